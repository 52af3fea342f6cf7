#!/usr/bin/env node
/**
 * `npm test`: every suite that runs on this machine, as two Vitest processes side by side (D100).
 *
 * - `unit` and `integration` in one process, their files spread over three workers
 *   (vitest.config.ts).
 * - `e2e` in a second process: its files share one local runtime and run one at a time, most of
 *   their time waiting for its accelerated clock; the runtime is started by that process only, so
 *   it does not tick through the other suites' run, and its waiting overlaps their computing.
 *
 * Then `chaos` alone (see below). All run to the end; the exit status is non-zero when one fails.
 * Arguments after `--` go to each (e.g. `npm test -- --reporter=dot`). The e2e lines are prefixed `[e2e]`.
 * `LCM_TEST_SERIAL=1` runs the two one after the other instead (the e2e process second).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const extra = process.argv.slice(2);
const color = process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {};

const suites = [
  { name: 'unit, integration', prefix: '', projects: ['unit', 'integration'] },
  { name: 'e2e', prefix: '[e2e] ', projects: ['e2e'] },
];
// The chaos fleet runs once both are done. Its outcome does not depend on the machine's speed (its
// driver holds the clock while work in flight moves, D146: it passed 200 sessions at load average
// 7 to 18), but its 200 sessions keep both cores busy for minutes, and beside the other two suites
// every one of the three would take longer than all of them one after the other (D100).
const chaos = { name: 'chaos', prefix: '[chaos] ', projects: ['chaos'] };

/** Runs one Vitest process; resolves with its exit code and wall time. */
function run(suite) {
  const t0 = performance.now();
  // A file filter after `--` names files of one process only: the other one then has none.
  const passWithNone = extra.length ? ['--passWithNoTests'] : [];
  const args = [vitest, 'run', ...suite.projects.flatMap((p) => ['--project', p]), ...passWithNone, ...extra];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...color },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    let rest = '';
    from.setEncoding('utf8');
    from.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      if (lines.length) to.write(lines.map((l) => suite.prefix + l).join('\n') + '\n');
    });
    from.on('end', () => rest && to.write(suite.prefix + rest + '\n'));
  }
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ suite, code: code ?? (signal ? 1 : 0), seconds: (performance.now() - t0) / 1000 });
    }),
  );
}

const children = new Set();
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    for (const c of children) c.kill(sig);
  });

/**
 * CPU seconds (user + system) used by this process's finished children and everything they reaped
 * in turn (`cutime` + `cstime` of /proc/self/stat, Linux). The suites' CPU time, not their wall
 * time, is what two cores bound: `npm test` cannot take less than it divided by 2 (docs/performance.md).
 * A process left to init (killed without being waited for) is not counted: a lower bound.
 */
const tick = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
function childCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, cutime field 16, cstime field 17 (proc(5)).
    return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / tick;
  } catch {
    return NaN;
  }
}

const t0 = performance.now();
const results = process.env.LCM_TEST_SERIAL
  ? [await run(suites[0]), await run(suites[1])]
  : await Promise.all(suites.map(run));
const cpuBeforeChaos = childCpuSeconds();
results.push(await run(chaos));
const cpu = { together: cpuBeforeChaos, chaos: childCpuSeconds() - cpuBeforeChaos };
for (const r of results)
  console.log(`${r.code === 0 ? 'passed' : 'FAILED'}: ${r.suite.name} (${r.seconds.toFixed(0)} s)`);
const wall = (performance.now() - t0) / 1000;
if (Number.isFinite(cpu.together))
  console.log(
    `npm test: ${wall.toFixed(0)} s wall; CPU ${(cpu.together + cpu.chaos).toFixed(0)} s ` +
      `(unit, integration and e2e ${cpu.together.toFixed(0)} s, chaos ${cpu.chaos.toFixed(0)} s); ` +
      `on 2 cores no shorter than ${((cpu.together + cpu.chaos) / 2).toFixed(0)} s (goal 240 s)`,
  );
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
