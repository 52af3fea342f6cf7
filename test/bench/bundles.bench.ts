/**
 * Lambda bundles: size of each (the construct's esbuild options) and the cold import of a
 * handler module in a fresh Node process (what a Lambda cold start pays before the handler).
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
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const t=performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now()-t)`,
        ],
        { cwd: root, encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } },
      );
      samples.push(Number(r.stdout.trim().split('\n').at(-1)));
    }
    imports[f.name] = percentile(samples, 50);
  }
  sizes.sort((a, b) => b[1] - a[1]);
  const figures: Record<string, number | string> = {};
  for (const [n, s] of sizes.slice(0, 3)) figures[`largest bundle: ${n} (KB)`] = Math.round(s / 1024);
  figures['bundles under 1 MB'] = `${sizes.filter(([, s]) => s < 1024 * 1024).length}/${sizes.length}`;
  for (const [n, ms] of Object.entries(imports).sort((a, b) => b[1] - a[1]))
    figures[`cold import ${n} (ms)`] = ms;
  return {
    name: 'Lambda bundles',
    figures,
    notes: ['cold import: median of 3 fresh `node` processes importing the bundle'],
  };
}
