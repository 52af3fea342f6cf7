/** Every Lambda bundle, built with the construct's own esbuild options, stays under 1 MB. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { system } from '../../../infra/system.ts';
import { esbuildOptions } from '../../../infra/cdk/bundling.ts';
import { jqGlueSourcePath, jqWasmPath } from '../../../infra/cdk/job-task.ts';

const root = resolve(import.meta.dirname, '../../..');
// Inside the repository (git-ignored), so a bundle's external AWS SDK imports resolve from
// node_modules when it is loaded, as they resolve from the runtime's SDK in Lambda.
mkdirSync(join(root, '.build'), { recursive: true });
const out = mkdtempSync(join(root, '.build', 'test-bundles-'));
const MB = 1024 * 1024;

describe('Lambda bundles', () => {
  it.each(system.functions.map((f) => [f.name, f.entry] as const))(
    '%s is under 1 MB, loads in a fresh Node process, and loads the EC2 client only if it uses EC2',
    async (name, entry) => {
      const outfile = join(out, `${name}.mjs`);
      const { metafile } = await build(esbuildOptions(join(root, entry), outfile));
      const size = statSync(outfile).size;
      expect(size).toBeGreaterThan(1000);
      expect(size).toBeLessThan(MB);
      // Cold start (issue 17): @aws-sdk/client-ec2 is the largest SDK client (most of a cold
      // import's CPU for a handler that does not need it); a bundle loads it only when its code
      // reaches EC2 (the EC2 adapter or the EC2 client's own module), not through the shared
      // client registry.
      const output = Object.values(metafile!.outputs)[0]!;
      const loadsEc2 = output.imports.some((i) => i.path === '@aws-sdk/client-ec2');
      const reachesEc2 = Object.keys(output.inputs).some((f) =>
        ['shared/runtime/aws-ec2.ts', 'shared/adapters/ec2.ts'].includes(f),
      );
      expect(loadsEc2, `${name} loads @aws-sdk/client-ec2 without using EC2`).toBe(reachesEc2);
      // The bundle loads in a fresh Node process as Lambda loads it (an ES module, no CommonJS
      // globals): bundled CommonJS code that reads `__dirname` at load (ssh2 did) would fail
      // every cold start with a ReferenceError.
      const r = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', `await import(${JSON.stringify(outfile)})`],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: 120_000,
          env: {
            ...process.env,
            AWS_REGION: 'us-east-1',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        },
      );
      expect(r.stderr.slice(-600), `${name}: the bundle fails to load`).toBe('');
      expect(r.status).toBe(0);
    },
    180_000,
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
