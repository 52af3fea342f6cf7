/** Every Lambda bundle, built with the construct's own esbuild options, stays under 1 MB. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { system } from '../../../infra/system.ts';
import { esbuildOptions } from '../../../infra/cdk/bundling.ts';
import { jqGlueSourcePath, jqWasmPath } from '../../../infra/cdk/job-task.ts';

const root = resolve(import.meta.dirname, '../../..');
const out = mkdtempSync(join(tmpdir(), 'lcm-bundles-'));
const MB = 1024 * 1024;

describe('Lambda bundles', () => {
  it.each(system.functions.map((f) => [f.name, f.entry] as const))(
    '%s is under 1 MB',
    async (name, entry) => {
      const outfile = join(out, `${name}.mjs`);
      await build(esbuildOptions(join(root, entry), outfile));
      const size = statSync(outfile).size;
      expect(size).toBeGreaterThan(1000);
      expect(size).toBeLessThan(MB);
    },
  );
});

describe('jq in a bundle', () => {
  it('a bundled job runner evaluates jq in its worker thread from jq.wasm and jq-wasm.cjs beside it (no node_modules), and ends a runaway expression', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lcm-jq-bundle-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { evaluateJq } from ${JSON.stringify(join(root, 'shared/scenario/jq.ts'))};
const s = { session: {}, content: {}, runtime_env: {}, vars: { x: 41 } };
const ok = await evaluateJq('.vars.x + 1', s);
const err = await evaluateJq('def f: f; f', s, { maxMs: 300 }).then(() => 'returned', (e) => e.kind);
console.log(JSON.stringify({ ok, err, again: await evaluateJq('$vars.x', s) }));
process.exit(0);`,
    );
    const outfile = join(dir, 'index.mjs');
    await build(esbuildOptions(entry, outfile));
    copyFileSync(jqWasmPath(root), join(dir, 'jq.wasm'));
    copyFileSync(jqGlueSourcePath(root), join(dir, 'jq-wasm.cjs'));
    const r = spawnSync(process.execPath, [outfile], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ok: 42, err: 'timeout', again: 41 });
  }, 90_000);
});
