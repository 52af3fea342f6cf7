/**
 * D238: `POST /v1/jobs` with an Idempotency-Key stores one job per key, whatever fails after the
 * job was stored: the key's record is written in the job's own transaction. A replay of a job whose
 * runner never took it (its start was lost) starts the runner again; the runner's claim is
 * conditional, so the job still runs once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  callerHeaders,
  failAfterNextWrite,
  putReadyPodDefinition,
  startLocalApi,
  type LocalApiHarness,
} from '../../helpers/local-api.ts';

let api: LocalApiHarness;
const pd = 'pd_00000000000000aa';
beforeAll(async () => {
  api = await startLocalApi();
  await putReadyPodDefinition(api.store, pd, ['check@v1']);
});
afterAll(() => api?.stop());

const author = (name: string) => callerHeaders(name, 'author');
const submit = (key: string, vars: Record<string, unknown>, who = 'author-once') =>
  api.request<{ job_id: string; status: string; type?: string }>('POST', '/v1/jobs', {
    headers: { ...author(who), 'idempotency-key': key },
    body: { job: 'check@v1', pod_definition_id: pd, input: { vars } },
  });
const jobsWith = async (marker: string) =>
  (await api.scan()).filter(
    (i) => String(i.pk).startsWith('JOB#') && JSON.stringify(i.input).includes(marker),
  );
const startsOf = (jobId: string) => api.invocations.filter((i) => i.payload.includes(jobId)).length;

let undo = () => undefined as void;
afterEach(() => undo());

/** The next write that stores a job lands, and then the invocation fails. */
const failAfterNextJobWrite = () =>
  (undo = failAfterNextWrite((_command, input) => JSON.stringify(input).includes('"JOB#')));

describe('a job submitted with an Idempotency-Key is stored once (D238)', () => {
  it('an invocation that fails after the job is stored, retried with the key: one job, and its runner is started', async () => {
    failAfterNextJobWrite();
    const first = await submit('jk-1', { m: 'once-1' });
    expect(first.status).toBe(500);
    const stored = await jobsWith('once-1');
    expect(stored).toHaveLength(1);
    const id = String(stored[0]!.id);
    expect(startsOf(id)).toBe(0);

    const retry = await submit('jk-1', { m: 'once-1' });
    expect(retry.status, retry.text).toBe(202);
    expect(retry.body.job_id).toBe(id);
    expect(await jobsWith('once-1')).toHaveLength(1);
    // Stored moments ago: its runner may be starting; a replay does not start another.
    expect(startsOf(id)).toBe(0);
    // Still not taken a minute later: the start was lost, and the replay starts the runner.
    api.clock.advance(2 * 60_000);
    const later = await submit('jk-1', { m: 'once-1' });
    expect(later.body.job_id).toBe(id);
    expect(startsOf(id)).toBe(1);
  });

  it('two submissions with one key at the same time: one job, one runner start, both answered with it', async () => {
    const [a, b] = await Promise.all([submit('jk-2', { m: 'once-2' }), submit('jk-2', { m: 'once-2' })]);
    expect([a.status, b.status], `${a.text}\n${b.text}`).toEqual([202, 202]);
    expect(a.body.job_id).toBe(b.body.job_id);
    expect(await jobsWith('once-2')).toHaveLength(1);
    expect(startsOf(a.body.job_id)).toBe(1);
  });

  it('another body with the key is a 422 and stores nothing; the key is remembered 24 h of the service clock', async () => {
    const first = await submit('jk-3', { m: 'once-3' });
    expect(first.status).toBe(202);
    const other = await submit('jk-3', { m: 'once-3b' });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:lcm:problem:idempotency-key-reused');
    expect(await jobsWith('once-3b')).toHaveLength(0);
    api.clock.advance(25 * 3600_000);
    const later = await submit('jk-3', { m: 'once-3' });
    expect(later.status, later.text).toBe(202);
    expect(later.body.job_id).not.toBe(first.body.job_id);
  });

  it('a runner that could not be started fails its job and frees the key: the retry submits anew', async () => {
    api.failInvocations = true;
    let first;
    try {
      first = await submit('jk-4', { m: 'once-4' });
    } finally {
      api.failInvocations = false;
    }
    expect(first.status).toBe(503);
    const retry = await submit('jk-4', { m: 'once-4' });
    expect(retry.status, retry.text).toBe(202);
    const jobs = await jobsWith('once-4');
    expect(jobs.map((j) => j.status).sort()).toEqual(['failed', 'submitted']);
    expect(retry.body.job_id).toBe(String(jobs.find((j) => j.status === 'submitted')!.id));
  });
});
