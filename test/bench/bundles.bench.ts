/**
 * Lambda bundles: size of each (the construct's esbuild options) and the cold import of a
 * handler module in a fresh Node process (what a Lambda cold start pays before the handler), in
 * CPU milliseconds (`process.cpuUsage`: on a machine other processes keep busy, wall time
 * measures the neighbours). The floor beside them: importing the DynamoDB client alone, which
 * every handler needs (issue 17, D184).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { BenchResult } from './run.ts';
import { percentile } from './stats.ts';
import { system } from '../../infra/system.ts';
import { esbuildOptions } from '../../infra/cdk/bundling.ts';

const root = resolve(import.meta.dirname, '../..');

export async function run(): Promise<BenchResult> {
  // Inside the repository so the externalised AWS SDK resolves from node_modules, as in Lambda.
  const out = join(root, '.build', 'bench-bundles');
  mkdirSync(out, { recursive: true });
  const sizes: [string, number][] = [];
  const imports: Record<string, number> = {};
  for (const f of system.functions) {
    const file = join(out, `${f.name}.mjs`);
    await build(esbuildOptions(join(root, f.entry), file));
    sizes.push([f.name, statSync(file).size]);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) samples.push(coldImportCpuMs(file));
    imports[f.name] = percentile(samples, 50);
  }
  const floor: number[] = [];
  for (let i = 0; i < 5; i++)
    floor.push(coldImportCpuMs('@aws-sdk/lib-dynamodb', '@aws-sdk/client-dynamodb'));
  // The same clients as a handler carries them (D189): the DynamoDB client module, bundled.
  const floorFile = join(out, 'floor-dynamodb.mjs');
  await build(esbuildOptions(join(root, 'shared/runtime/aws-dynamodb.ts'), floorFile));
  const bundledFloor: number[] = [];
  for (let i = 0; i < 5; i++) bundledFloor.push(coldImportCpuMs(floorFile));
  sizes.sort((a, b) => b[1] - a[1]);
  const figures: Record<string, number | string> = {};
  for (const [n, s] of sizes.slice(0, 3)) figures[`largest bundle: ${n} (KB)`] = Math.round(s / 1024);
  figures['bundles under 1.5 MB'] =
    `${sizes.filter(([, s]) => s < 1.5 * 1024 * 1024).length}/${sizes.length}`;
  figures['floor: import the DynamoDB clients from node_modules (ms CPU)'] = percentile(floor, 50);
  figures['floor: the DynamoDB clients bundled (ms CPU)'] = percentile(bundledFloor, 50);
  for (const [n, ms] of Object.entries(imports).sort((a, b) => b[1] - a[1]))
    figures[`cold import ${n} (ms CPU, goal ≤ 150)`] = ms;
  return {
    name: 'Lambda bundles',
    figures,
    notes: ['cold import: median of 5 fresh `node` processes importing the bundle, CPU time of the import'],
  };
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
