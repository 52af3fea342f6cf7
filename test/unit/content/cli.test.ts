import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateAgainst, type JsonSchema } from '../../../shared/api/schema.ts';
import lifecycleSchema from '../../../shared/content/schemas/lifecycle.schema.json' with { type: 'json' };
import { main } from '../../../bin/cli.ts';
import type { Lifecycle } from '../../../shared/domain/lifecycle.ts';
import { STANDARD_LIFECYCLE } from '../../../state-machines/standard-lifecycle.ts';
import { CONTENT, brokenCases, filesOf, samplePackage } from './packages.ts';

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(
    args,
    (s) => void (out += s),
    (s) => void (err += s),
  );
  return { code, out, err };
}

// Compiling validates every machine with asl-validator (100–270 ms each): generous under load.
describe('lcm, the author command line', { timeout: 30_000 }, () => {
  it('lifecycle standard prints the standard lifecycle as YAML in the lifecycle.yaml format', async () => {
    const r = await cli('lifecycle', 'standard');
    expect(r.code).toBe(0);
    const printed = parse(r.out) as Lifecycle;
    expect(printed).toEqual(STANDARD_LIFECYCLE);
    // The product-only pod_types aside, it is a lifecycle.yaml as authors write them.
    const own = { ...printed, spec: { phases: printed.spec.phases.map(({ pod_types: _p, ...ph }) => ph) } };
    expect(validateAgainst(lifecycleSchema as JsonSchema, own)).toEqual([]);
  });

  it('content lint passes a good package directory', async () => {
    const r = await cli('content', 'lint', join(CONTENT, 'lablet-ospf-basics'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/lablet-ospf-basics 1\.0\.0 \(cml_on_aws/);
  });

  it('content lint names file, pointer and rule of a broken package and exits 1', async () => {
    const c = brokenCases().find((x) => x.name === 'rubric-max-points-mismatch')!;
    const dir = await mkdtemp(join(tmpdir(), 'lcm-lint-'));
    const files = filesOf('lablet-ospf-basics');
    for (const [p, v] of Object.entries(c.changes)) {
      if (v === null) files.delete(p);
      else files.set(p, Buffer.from(v));
    }
    for (const [p, b] of files) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), b);
    }
    const r = await cli('content', 'lint', dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('PAv1/grading/rubric.yaml#/spec/max_points [rubric.max_points_sum]');
  });

  it('content lint reads zips too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lcm-lint-'));
    await writeFile(join(dir, 'p.zip'), await samplePackage('lablet-ospf-basics'));
    expect((await cli('content', 'lint', join(dir, 'p.zip'))).code).toBe(0);
  });

  it('lifecycle compile prints the same ASL every time; --phase selects one', async () => {
    const a = await cli('lifecycle', 'compile', join(CONTENT, 'lablet-ospf-basics'), '--phase', 'grade');
    const b = await cli('lifecycle', 'compile', join(CONTENT, 'lablet-ospf-basics'), '--phase', 'grade');
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(JSON.parse(a.out).StartAt).toBe('job_grade_v1');
    expect(
      (await cli('lifecycle', 'compile', join(CONTENT, 'lablet-ospf-basics', 'PAv1', 'lifecycle.yaml'))).code,
    ).toBe(0);
  });

  it('lifecycle graph draws Mermaid; bad usage exits 2', async () => {
    expect((await cli('lifecycle', 'graph', join(CONTENT, 'lablet-ospf-basics'))).out).toMatch(
      /^flowchart TD/,
    );
    expect((await cli('nonsense')).code).toBe(2);
  });
});
