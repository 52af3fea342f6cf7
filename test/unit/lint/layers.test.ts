/**
 * The import rules (.dependency-cruiser.cjs) hold on the product, and they would catch the next
 * change that breaks them: a cycle between application modules, a handler importing infra/, a
 * building block importing an application module, I/O in the domain.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as IConfiguration & {
  LAYERS: string[][];
};

async function check(baseDir: string, folders: string[]) {
  const { output } = await cruise(folders, {
    baseDir,
    ruleSet: { forbidden: config.forbidden },
    validate: true,
    doNotFollow: config.options!.doNotFollow!,
    exclude: config.options!.exclude!,
    tsPreCompilationDeps: true,
  });
  return (output as ICruiseResult).summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

/** A throwaway tree of the product's folders with the given files (path → source). */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lcm-layers-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

describe('import rules', { timeout: 120_000 }, () => {
  it('hold on the product as it is', async () => {
    expect(await check(root, ['shared', 'lambdas', 'state-machines', 'bin', 'infra'])).toEqual([]);
  });

  it('catch a cycle between application modules, naming both sides', async () => {
    const dir = await tree({
      'shared/catalog/plan.ts': "import { x } from '../sessions/service.ts';\nexport const y = x;\n",
      'shared/sessions/service.ts': "import { y } from '../catalog/plan.ts';\nexport const x = 1; void y;\n",
    });
    const v = await check(dir, ['shared']);
    expect(v).toContain('no-circular: shared/catalog/plan.ts → shared/sessions/service.ts');
    expect(v).toContain('layer:shared/catalog: shared/catalog/plan.ts → shared/sessions/service.ts');
  });

  it('catch a handler importing infra/, and a building block importing an application module', async () => {
    const dir = await tree({
      'infra/system.ts': 'export const system = {};\n',
      'lambdas/jobs-api.ts': "import { system } from '../infra/system.ts';\nexport const h = system;\n",
      'shared/sessions/service.ts': 'export const s = 1;\n',
      'shared/store/keys.ts': "import { s } from '../sessions/service.ts';\nexport const k = s;\n",
    });
    const v = await check(dir, ['lambdas', 'shared', 'infra']);
    expect(v).toContain('no-infra-from-product: lambdas/jobs-api.ts → infra/system.ts');
    expect(v).toContain('layer:shared/store: shared/store/keys.ts → shared/sessions/service.ts');
  });

  it('catch siblings of one layer importing each other, and I/O in the domain', async () => {
    const dir = await tree({
      'shared/orchestration/a.ts': "import { b } from '../scenario/b.ts';\nexport const a = b;\n",
      'shared/scenario/b.ts': 'export const b = 1;\n',
      'shared/domain/c.ts': "import { readFileSync } from 'node:fs';\nexport const c = readFileSync;\n",
    });
    const v = await check(dir, ['shared']);
    expect(v).toContain('layer:shared/orchestration: shared/orchestration/a.ts → shared/scenario/b.ts');
    expect(v.some((x) => x.startsWith('pure-domain: shared/domain/c.ts → '))).toBe(true);
  });

  it('rank every product folder exactly once', () => {
    const ranked = config.LAYERS.flat();
    expect(new Set(ranked).size).toBe(ranked.length);
  });
});
