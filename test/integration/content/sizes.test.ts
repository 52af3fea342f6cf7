/**
 * Sizes bounded (issue 14, finding 4), on DynamoDB Local itself rather than a stand-in: the 1.1 MB
 * package with ~18k diagnostics ends `failed`, its record carrying the first 100 diagnostics and
 * the count of the rest, and a forced sync of it answers `failed` again (never "unchanged").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPodDefinitions } from '../../../shared/content/adapters.ts';
import { MAX_DIAGNOSTICS, syncContent, type SyncPorts } from '../../../shared/content/sync.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StoredItem } from '../../../shared/store/state-store.ts';
import { samplePackage } from '../../unit/content/packages.ts';
import { freshStateStore } from '../../helpers/tables.ts';

let table: Awaited<ReturnType<typeof freshStateStore>>;
beforeAll(async () => (table = await freshStateStore()));
afterAll(() => table.drop());

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

describe('a package with thousands of diagnostics, on DynamoDB Local', () => {
  it('ends failed with capped diagnostics in an item DynamoDB accepts; a forced sync ends failed again', async () => {
    const bytes = await hugePackage();
    expect(bytes.length).toBeGreaterThan(1_000_000);
    const ports: SyncPorts = {
      stage: 'dev',
      clock: new ManualClock('2026-12-01T09:00:00Z'),
      targets: {
        nativeStepsArn: 'arn:aws:lambda:us-east-1:0:function:n',
        jobRunnerArn: 'arn:aws:lambda:us-east-1:0:function:j',
      },
      repo: new DynamoPodDefinitions(table.store),
      registrar: { register: async (name) => `arn:aws:states:us-east-1:0:stateMachine:${name}` },
      documents: { put: async (id) => `s3://content/definitions/${id}.json` },
      forms: { confirm: async () => 1 },
    };
    const r = await syncContent({ source_uri: 's3://content/huge.zip', bytes }, ports);
    expect(r.status).toBe('failed');
    const rec = await table.store.get<
      StoredItem & { status: string; error_detail: unknown[]; diagnostics_total: number }
    >(keys.podDefinition(r.id));
    expect(rec).toMatchObject({ status: 'failed' });
    expect(rec!.error_detail).toHaveLength(MAX_DIAGNOSTICS);
    expect(rec!.diagnostics_total).toBeGreaterThan(17_900);
    const forced = await syncContent({ source_uri: 's3://content/huge.zip', bytes, force: true }, ports);
    expect(forced).toMatchObject({ id: r.id, status: 'failed' });
  }, 600_000);
});
