/**
 * Sizes bounded (issue 14, finding 4): a package that produces thousands of diagnostics ends
 * `failed` with a capped list (and the count of the rest) that fits a DynamoDB item; a definition
 * left `synchronizing` (its sync died) is reclaimed by a forced sync.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import {
  MAX_DIAGNOSTICS,
  syncContent,
  type PodDefinitionRecord,
  type SyncPorts,
} from '../../../shared/content/sync.ts';
import { samplePackage } from './packages.ts';

const ITEM_LIMIT = 400 * 1024;

/** A repository as strict as DynamoDB about item size (JSON length stands in for the marshalled size). */
function strictPorts() {
  const records = new Map<string, PodDefinitionRecord>();
  const ports: SyncPorts = {
    stage: 'dev',
    clock: new ManualClock('2026-12-01T09:00:00Z'),
    targets: {
      nativeStepsArn: 'arn:aws:lambda:us-east-1:0:function:n',
      jobRunnerArn: 'arn:aws:lambda:us-east-1:0:function:j',
    },
    repo: {
      get: async (id) => structuredClone(records.get(id)),
      listByName: async (name) =>
        [...records.values()].filter((r) => r.name === name).map((r) => structuredClone(r)),
      put: async (r, expected) => {
        if (Buffer.byteLength(JSON.stringify(r)) > ITEM_LIMIT)
          throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
            name: 'ValidationException',
          });
        const cur = records.get(r.id);
        if ((cur?.state_version ?? null) !== expected && !(expected === null && !cur))
          throw new Error(`conflict on ${r.id}`);
        records.set(r.id, structuredClone(r));
      },
    },
    registrar: { register: async (name) => `arn:aws:states:us-east-1:0:stateMachine:${name}` },
    documents: { put: async (id) => `s3://content/definitions/${id}.json` },
    forms: { confirm: async () => 1 },
  };
  return { ports, records };
}

/** 36 jobs of 500 steps (the schema's most) that all reuse one step id: ~18k diagnostics. */
async function hugePackage() {
  const steps = Array.from(
    { length: 500 },
    (_, i) =>
      `    - { id: same_step_id, uses: pause@v1, with: { seconds: ${i} }, stage: collect, timeout: 30 }`,
  ).join('\n');
  const jobs = Object.fromEntries(
    Array.from({ length: 36 }, (_, j) => [
      `PAv1/jobs/huge_${j}.yaml`,
      `kind: JobDefinition\nmetadata: { name: huge_${j}, version: v1 }\nspec:\n  steps:\n${steps}\n`,
    ]),
  );
  return samplePackage('lablet-ospf-basics', jobs);
}

describe('sizes', () => {
  it('a 1.1 MB package with ~18k diagnostics ends failed, with the first 100 diagnostics and the count of the rest, in an item under 400 KB', async () => {
    const bytes = await hugePackage();
    const f = strictPorts();
    const r = await syncContent({ source_uri: 's3://content/huge.zip', bytes }, f.ports);
    expect(r.status).toBe('failed');
    const rec = f.records.get(r.id)!;
    expect(rec.status).toBe('failed');
    expect(rec.error_detail).toHaveLength(MAX_DIAGNOSTICS);
    expect(rec.diagnostics_total).toBeGreaterThan(17_900);
    expect(rec.error_message).toContain(`${rec.diagnostics_total} problem(s)`);
    expect(Buffer.byteLength(JSON.stringify(rec))).toBeLessThan(ITEM_LIMIT);
  }, 300_000);

  it('a definition stuck in synchronizing (its sync died) is reclaimed by a forced sync', async () => {
    const bytes = await samplePackage('lablet-ospf-basics', {
      'PAv1/grading/rubric.yaml':
        'kind: EvaluationRuleset\nspec:\n  max_points: 100\n  items:\n    - { id: a, points: 90, checks: [{ source: rtr01_ospf, regex: FULL }] }\n',
    });
    const f = strictPorts();
    const first = await syncContent({ source_uri: 's3://content/stuck.zip', bytes }, f.ports);
    // What a sync that died after its first write leaves behind.
    const stuck = { ...f.records.get(first.id)!, status: 'synchronizing' as const, state_version: 7 };
    delete stuck.error_detail;
    f.records.set(first.id, stuck);
    expect((await syncContent({ source_uri: 's3://content/stuck.zip', bytes }, f.ports)).outcome).toBe(
      'unchanged',
    );
    const forced = await syncContent({ source_uri: 's3://content/stuck.zip', bytes, force: true }, f.ports);
    expect(forced.outcome).toBe('failed');
    expect(f.records.get(first.id)!.status).toBe('failed');
  }, 120_000);
});
