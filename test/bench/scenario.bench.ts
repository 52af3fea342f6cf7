/**
 * Scenario engine: jq evaluation per call (cold: the first call in a process, including the
 * WebAssembly load; warm: a cached program), and a 50-step job against the zero-delay device
 * console simulator over real telnet sockets.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { BenchResult } from './run.ts';
import { percentile } from './stats.ts';
import { evaluateJq } from '../../shared/scenario/jq.ts';
import { runJob } from '../../shared/scenario/executor.ts';
import { TelnetConsole } from '../../shared/adapters/console.ts';
import { DeviceConsoleSimulator } from '../../infra/local/sim/device-console.ts';
import { ScaledClock, iso } from '../../shared/domain/clock.ts';
import { sleeperFor } from '../../shared/domain/sleep.ts';
import type { JobStep } from '../../shared/dsl/catalogue.ts';

const root = resolve(import.meta.dirname, '../..');

function coldCall(): number {
  const script = `
    const t0 = performance.now();
    const { evaluateJq } = await import('./shared/scenario/jq.ts');
    await evaluateJq('.vars.x + 1', { session: {}, content: {}, runtime_env: {}, vars: { x: 1 } });
    console.log(performance.now() - t0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return Number(r.stdout.trim().split('\n').at(-1));
}

export async function run(): Promise<BenchResult> {
  const colds = [0, 1, 2].map(coldCall);
  const scopes = {
    session: { id: 's' },
    content: {},
    runtime_env: {},
    vars: { out: 'FULL '.repeat(50), n: 7 },
  };
  await evaluateJq('.vars.n', scopes);
  const warm: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    await evaluateJq(i % 2 ? '.vars.out | test("FULL")' : '$vars.n * 2', scopes);
    warm.push(performance.now() - t0);
  }

  const sim = new DeviceConsoleSimulator();
  const port = await sim.addDevice({
    hostname: 'rtr01',
    enablePassword: 'en',
    commands: { 'show ip ospf neighbor': '2.2.2.2  1  FULL/DR  00:00:35  10.0.0.2  Gi0/1' },
  });
  const steps: JobStep[] = [];
  for (let i = 0; i < 25; i++) {
    steps.push({
      id: `c${i}`,
      uses: 'collect@v1',
      target: 'rtr01',
      with: { command: 'show ip ospf neighbor' },
      capture: { output: `o${i}` },
    });
    steps.push({
      id: `e${i}`,
      uses: 'evaluate.regex@v1',
      with: { source: `\${ .vars.o${i} }`, regex: 'FULL' },
      capture: { passed: `p${i}` },
    });
  }
  const clock = new ScaledClock(1);
  const services = {
    console: new TelnetConsole(),
    cml: () => {
      throw new Error('unused');
    },
    reports: { put: async () => 'mem://r' },
    secrets: { resolve: async () => ({ enable_password: 'en' }) },
    sleep: sleeperFor(clock),
    now: () => iso(clock.now()),
  };
  const connectors = [
    {
      name: 'rtr01',
      host: '127.0.0.1',
      port: String(port),
      prompt: 'rtr01[>#]',
      secret: 'cml/devices',
      timeout: 10,
    },
  ];
  const times: number[] = [];
  let sessions = 0;
  for (let i = 0; i < 5; i++) {
    const before = sim.sessionsOpened();
    const t0 = performance.now();
    const r = await runJob(
      { kind: 'JobDefinition', metadata: { name: 'b', version: 'v1' }, spec: { steps } },
      { session: {}, content: {}, runtime_env: {} },
      {
        services,
        connectors,
        job: { id: 'job_bench', pod_definition_id: 'pd_bench' },
      },
    );
    times.push(performance.now() - t0);
    sessions = sim.sessionsOpened() - before;
    if (r.status !== 'completed') throw new Error(JSON.stringify(r.error));
  }
  await sim.stop();
  const warmP50 = percentile(warm, 50);
  return {
    name: 'scenario engine',
    figures: {
      'jq cold call, fresh process (ms, median of 3)': percentile(colds, 50),
      'jq warm call p50 (ms)': `${warmP50.toFixed(3)}   goal ≤ 1`,
      'jq warm call p95 (ms)': percentile(warm, 95),
      'jq cold / warm ratio': percentile(colds, 50) / warmP50,
      '50-step job (25 collect + 25 evaluate) p50 (ms)': percentile(times, 50),
      '50-step job per step (ms)': percentile(times, 50) / 50,
      'console sessions opened per job': sessions,
    },
    notes: ['zero-delay telnet device simulator on loopback; the clock is real (no step waits)'],
  };
}
