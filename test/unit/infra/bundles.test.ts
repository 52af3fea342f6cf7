/** Every Lambda bundle, built with the construct's own esbuild options, stays under 1 MB. */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { system } from '../../../infra/system.ts';
import { esbuildOptions } from '../../../infra/cdk/bundling.ts';

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
