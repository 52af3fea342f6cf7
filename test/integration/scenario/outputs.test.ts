/**
 * Issue 14, finding 4 (job outputs), on DynamoDB Local (which refuses items over 400 KB as
 * DynamoDB does): a job capturing 2 MB of device output, twice over (its step bucket and its flat
 * name), completes; the record stays under the limit with a digest, and the whole outputs are the
 * one document its `outputs_ref` names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { deadlineFor, sleeperFor } from '../../../shared/domain/sleep.ts';
import { executeJob, JobRepository, type JobContent } from '../../../shared/scenario/jobs.ts';
import type { OutputStore } from '../../../shared/scenario/functions.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StateStore } from '../../../shared/store/state-store.ts';
import { FakeConsoles, job, services } from '../../unit/scenario/fakes.ts';
import { freshStateStore } from '../../helpers/tables.ts';

const ITEM_LIMIT = 400 * 1024;

class MemoryOutputs implements OutputStore {
  readonly docs = new Map<string, Record<string, unknown>>();
  async put(jobId: string, run: number, outputs: Record<string, unknown>) {
    const ref = `s3://artefacts/outputs/${jobId}/run-${run}.json`;
    this.docs.set(ref, structuredClone(outputs));
    return ref;
  }
}

let store: StateStore;
let drop: () => Promise<void>;
beforeEach(async () => ({ store, drop } = await freshStateStore()));
afterEach(() => drop());

describe('job outputs larger than a record', () => {
  it('2 MB of device output: the job completes, its record stays under 400 KB, the whole output is in the stored document', async () => {
    let big = 'rtr01 uptime is 12 weeks\n';
    for (let i = 0; big.length < 2 * 1024 * 1024; i++) big += `line ${i} of show tech-support\n`;
    const content: JobContent = {
      definition: job([
        {
          id: 'show_tech',
          uses: 'collect@v1',
          target: 'r1',
          with: { command: 'show tech-support' },
          // Twice over: vars.show_tech.tech and vars.tech.
          capture: { output: 'tech' },
        },
        {
          id: 'uptime',
          uses: 'evaluate.regex@v1',
          with: { source: '${ .vars.tech }', regex: 'uptime is (\\d+) weeks' },
          capture: { groups: 'weeks' },
        },
      ]),
      connectors: [
        { name: 'r1', transport: 'telnet', host: '127.0.0.1', port: '2001', secret: 'cml/devices' },
      ],
      content: {},
    };
    const clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
    const repo = new JobRepository(store, clock);
    await repo.create({
      id: 'job_bigout01',
      job: 't@v1',
      pod_definition_id: 'pd_big01',
      origin: { kind: 'api' },
      input: {},
    });
    const outputs = new MemoryOutputs();
    const svc = {
      ...services(new FakeConsoles({ 2001: { 'show tech-support': big } })),
      sleep: sleeperFor(clock),
      // Step deadlines on the test's clock, which stands still: regex over 2 MB on a machine whose
      // cores are busy elsewhere can take longer than any wall-time floor, and this test is about
      // sizes, not timeouts (those are jq-deadline.test.ts and the executor's timeout tests).
      deadline: deadlineFor(clock, 0),
      outputs,
    };
    const r = await executeJob({
      repo,
      jobId: 'job_bigout01',
      clock,
      loadContent: async () => content,
      services: svc,
      by: 'test',
    });
    expect(r.status, JSON.stringify(r.error)).toBe('completed');
    const stored = await store.get(keys.job('job_bigout01'));
    expect(stored).toMatchObject({
      status: 'completed',
      outputs_ref: 's3://artefacts/outputs/job_bigout01/run-1.json',
    });
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(ITEM_LIMIT);
    expect(r.outputs).toMatchObject({
      weeks: ['12'],
      tech: { ref: r.outputs_ref, pointer: '/tech', preview: expect.stringMatching(/^rtr01 uptime/) },
      show_tech: { tech: { pointer: '/show_tech/tech' } },
    });
    const doc = outputs.docs.get(r.outputs_ref!)!;
    expect(doc.tech).toBe(big);
    expect((doc.show_tech as { tech: string }).tech).toBe(big);
  }, 120_000);
});
