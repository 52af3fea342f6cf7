/**
 * Lambda bundles: size of each (the construct's esbuild options) and the cold import of a
 * handler module in a fresh Node process (what a Lambda cold start pays before the handler), in
 * CPU milliseconds (`process.cpuUsage`: on a machine other processes keep busy, wall time
 * measures the neighbours), and as a ratio to the floor beside it: importing the DynamoDB client
 * module bundled, which every handler needs (issue 17, D184, D189, D213).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { BenchResult } from './run.ts';
import { percentile } from './stats.ts';
import { system } from '../../infra/system.ts';
import { BUNDLE_ENTRY, esbuildOptions } from '../../infra/cdk/bundling.ts';

const root = resolve(import.meta.dirname, '../..');

/** Fresh processes per handler (and per floor beside it). */
const ROUNDS = 5;
/** The goal of issue 17, in CPU ms; under load the ratio to the floor is the figure. */
const GOAL_MS = 150;

export async function run(): Promise<BenchResult> {
  // Inside the repository so the externalised AWS SDK resolves from node_modules, as in Lambda.
  const out = join(root, '.build', 'bench-bundles');
  mkdirSync(out, { recursive: true });
  // The floor (D189, D213): the DynamoDB client module bundled as a handler carries it, which every
  // handler but the system function imports. It is imported in a fresh process right before each
  // handler's, round after round, so both see the same load; the ratio holds where milliseconds
  // do not (the same handler measured 97–188 ms at load averages 9–22).
  const floorFile = await bundle(join(root, 'shared/runtime/aws-dynamodb.ts'), join(out, 'floor-dynamodb'));
  const sizes: [string, number][] = [];
  const rows: { name: string; ms: number; floor: number; ratio: number; kb: number }[] = [];
  const allFloor: number[] = [];
  for (const f of system.functions) {
    // A bundle is a directory (D241): index.mjs, imported here, and the chunks it imports.
    const dir = join(out, f.name);
    const file = await bundle(join(root, f.entry), dir);
    sizes.push([f.name, bundleBytes.get(dir)!]);
    const samples: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      floor.push(coldImportCpuMs(floorFile));
      samples.push(coldImportCpuMs(file));
    }
    allFloor.push(...floor);
    const ms = percentile(samples, 50);
    const fl = percentile(floor, 50);
    rows.push({ name: f.name, ms, floor: fl, ratio: ms / fl, kb: Math.round(coldBytes.get(dir)! / 1024) });
  }
  const fromNodeModules: number[] = [];
  for (let i = 0; i < ROUNDS; i++)
    fromNodeModules.push(coldImportCpuMs('@aws-sdk/lib-dynamodb', '@aws-sdk/client-dynamodb'));
  sizes.sort((a, b) => b[1] - a[1]);
  const figures: Record<string, number | string> = {};
  for (const [n, s] of sizes.slice(0, 3)) figures[`largest bundle: ${n} (KB)`] = Math.round(s / 1024);
  figures['bundles under 1.5 MB'] =
    `${sizes.filter(([, s]) => s < 1.5 * 1024 * 1024).length}/${sizes.length}`;
  figures['floor: import the DynamoDB clients from node_modules (ms CPU)'] = percentile(fromNodeModules, 50);
  const floorMs = percentile(allFloor, 50);
  figures['floor: the DynamoDB clients bundled (ms CPU)'] = floorMs;
  const goalRatio = GOAL_MS / FLOOR_MS_MEASURED;
  for (const r of rows.sort((a, b) => b.ratio - a.ratio))
    figures[`cold import ${r.name} (ms CPU; × floor, goal ≤ ${GOAL_MS} ms ≈ ${goalRatio.toFixed(1)} ×)`] =
      `${r.ms} ms; ${r.ratio.toFixed(2)} × floor (${r.floor} ms); ${r.kb} KB read at import${r.ratio <= goalRatio ? '' : '  over'}`;
  figures['handlers within the goal (× floor)'] =
    `${rows.filter((r) => r.ratio <= goalRatio).length}/${rows.length}`;
  return {
    name: 'Lambda bundles',
    figures,
    notes: [
      `cold import: median of ${ROUNDS} fresh \`node\` processes importing the bundle, CPU time of the import; each beside the bundled DynamoDB floor imported in a fresh process just before it, round by round`,
      'what each bundle evaluates at import is pinned by test/unit/infra/bundles.test.ts (LOADS, a count), which fails on a regression on any machine',
    ],
  };
}

/**
 * The bundled DynamoDB floor as measured on this machine (88–125 ms CPU, median ≈ 100, load
 * averages 9–22, D213): the goal's 150 ms expressed against it is 1.5 × floor, the ratio a loaded
 * machine can compare.
 */
export const FLOOR_MS_MEASURED = 100;

/** Bytes of each bundle directory built: every file, and those a cold start reads (index.mjs and the chunks it imports statically). */
const bundleBytes = new Map<string, number>();
const coldBytes = new Map<string, number>();

/** Builds `entry` into `dir` with the construct's options; answers the file a cold start imports. */
async function bundle(entry: string, dir: string): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  const { metafile } = await build(esbuildOptions(entry, dir));
  const outputs = metafile!.outputs;
  bundleBytes.set(
    dir,
    Object.values(outputs).reduce((n, o) => n + o.bytes, 0),
  );
  // Not `entryPoint`: esbuild marks the chunks a dynamic import starts with one too.
  const index = Object.keys(outputs).find((o) => o.endsWith(`/${BUNDLE_ENTRY}`))!;
  const seen = new Set([index]);
  for (const o of seen)
    for (const i of outputs[o]!.imports)
      if (i.kind === 'import-statement' && outputs[i.path]) seen.add(i.path);
  coldBytes.set(
    dir,
    [...seen].reduce((n, o) => n + outputs[o]!.bytes, 0),
  );
  return join(dir, BUNDLE_ENTRY);
}

/** CPU time (user + system) a fresh Node process spends importing `specifiers`, one after the other. */
function coldImportCpuMs(...specifiers: string[]): number {
  const imports = specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ');
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const c0 = process.cpuUsage(); ${imports} const c = process.cpuUsage(c0); console.log((c.user + c.system) / 1000)`,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );
  const ms = Number(r.stdout.trim().split('\n').at(-1));
  if (r.status !== 0 || !Number.isFinite(ms) || ms === 0)
    throw new Error(`importing ${specifiers.join(', ')} failed: ${r.stderr.slice(-400)}`);
  return Math.round(ms);
}
