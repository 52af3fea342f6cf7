/**
 * Issue 16, finding 4: object-level authorisation. A session belongs to the scheduler client
 * (tenant) that booked it; parts are ended by proctors and reviewed by reviewers; jobs started
 * through the API belong to their author and are apart from exam (lifecycle) jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { JobRepository, lifecycleJobId } from '../../../shared/scenario/jobs.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StoredItem } from '../../../shared/store/state-store.ts';
import {
  callerHeaders,
  putReadyPodDefinition,
  startLocalApi,
  type LocalApiHarness,
} from '../../helpers/local-api.ts';

let api: LocalApiHarness;
beforeAll(async () => {
  api = await startLocalApi();
});
afterAll(() => api?.stop());

const as = callerHeaders;
const tenantA = as('scheduler-a', 'scheduler');
const tenantB = as('scheduler-b', 'scheduler');

const slot = (h: number) => ({
  start: new Date(Date.parse('2030-01-02T08:00:00Z') + h * 3600_000).toISOString(),
  end: new Date(Date.parse('2030-01-02T10:00:00Z') + h * 3600_000).toISOString(),
});
async function book(headers: Record<string, string>, h: number, candidate = `c-${h}`) {
  const r = await api.request<{ session: { id: string } }>('POST', '/v1/sessions', {
    headers,
    body: {
      fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
      timeslot: slot(h),
      candidate: { candidate_id: candidate },
    },
  });
  expect(r.status, r.text).toBe(201);
  await api.project(r.body.session.id);
  return r.body.session.id;
}

describe('sessions belong to the tenant that booked them', () => {
  it("tenant B gets 404 reading, cancelling or extending tenant A's session, and does not list it", async () => {
    const id = await book(tenantA, 1, 'c-shared');
    const mine = await book(tenantB, 2, 'c-shared');
    expect((await api.request('GET', `/v1/sessions/${id}`, { headers: tenantA })).status).toBe(200);
    const before = await api.snapshot();
    for (const [method, path, body] of [
      ['GET', `/v1/sessions/${id}`, undefined],
      ['POST', `/v1/sessions/${id}/cancel`, {}],
      ['POST', `/v1/sessions/${id}/extend`, { end: slot(5).end }],
    ] as const) {
      const r = await api.request<{ type: string }>(method, path, {
        headers: tenantB,
        ...(body ? { body } : {}),
      });
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(404);
      expect(r.body.type).toBe('urn:lcm:problem:not-found');
    }
    expect(await api.snapshot()).toBe(before);
    for (const q of ['', '?candidate_id=c-shared', '?status=pending']) {
      const list = await api.request<{ items: { session: { id: string } }[] }>('GET', `/v1/sessions${q}`, {
        headers: tenantB,
      });
      expect(list.status).toBe(200);
      const ids = list.body.items.map((t) => t.session.id);
      expect(ids, q).toContain(mine);
      expect(ids, q).not.toContain(id);
    }
  });
});

describe('roles', () => {
  it('an operator can neither end a part nor award points; a proctor ends, a reviewer reviews', async () => {
    const id = await book(tenantA, 3);
    const operator = as('ops', 'operator', 'scheduler');
    expect(
      (await api.request('POST', `/v1/sessions/${id}/parts/1/end`, { headers: operator, body: {} })).status,
    ).toBe(403);
    expect(
      (
        await api.request('POST', `/v1/sessions/${id}/parts/1/review`, {
          headers: operator,
          body: { decision: 'accept', points_awarded: 10 },
        })
      ).status,
    ).toBe(403);
    // The part is pending: the proctor's and the reviewer's requests reach the domain (409), not 403.
    expect(
      (await api.request('POST', `/v1/sessions/${id}/parts/1/end`, { headers: as('p', 'proctor'), body: {} }))
        .status,
    ).toBe(409);
    expect(
      (
        await api.request('POST', `/v1/sessions/${id}/parts/1/review`, {
          headers: as('r', 'reviewer'),
          body: { decision: 'accept' },
        })
      ).status,
    ).toBe(409);
  });
});

describe('jobs started through the API', () => {
  const pd = 'pd_0123456789abcdef';
  const author = (name: string) => as(name, 'author');
  const submit = (headers: Record<string, string>, vars: Record<string, unknown> = {}) =>
    api.request<{ job_id: string }>('POST', '/v1/jobs', {
      headers,
      body: { job: 'check@v1', pod_definition_id: pd, input: { vars } },
    });

  beforeAll(() => putReadyPodDefinition(api.store, pd, ['check@v1']));

  it('belong to their author: another author gets 404 reading or cancelling them', async () => {
    const r = await submit(author('author-a'));
    expect(r.status, r.text).toBe(202);
    expect(
      (await api.request('GET', `/v1/jobs/${r.body.job_id}`, { headers: author('author-a') })).status,
    ).toBe(200);
    expect(
      (await api.request('GET', `/v1/jobs/${r.body.job_id}`, { headers: author('author-b') })).status,
    ).toBe(404);
    expect(
      (await api.request('DELETE', `/v1/jobs/${r.body.job_id}`, { headers: author('author-b') })).status,
    ).toBe(404);
  });

  it('an author can neither read nor cancel an exam (lifecycle) job', async () => {
    const origin = {
      kind: 'lifecycle' as const,
      session_id: 'ses_x',
      part_order: 1,
      phase: 'grade',
      attempt: 1,
    };
    const id = lifecycleJobId(origin, 'check@v1');
    await new JobRepository(api.store, new ManualClock('2030-01-01T08:00:00Z')).create({
      id,
      job: 'check@v1',
      pod_definition_id: pd,
      origin,
      input: {},
    });
    expect((await api.request('GET', `/v1/jobs/${id}`, { headers: author('author-a') })).status).toBe(404);
    expect((await api.request('DELETE', `/v1/jobs/${id}`, { headers: author('author-a') })).status).toBe(404);
    expect((await api.store.get<StoredItem & { status: string }>(keys.job(id)))?.status).toBe('submitted');
  });

  it('job ids are not predictable from one another', async () => {
    const a = (await submit(author('author-a'), { n: 1 })).body.job_id;
    const b = (await submit(author('author-a'), { n: 2 })).body.job_id;
    // A ULID's last 16 characters are its randomness: a monotonic factory would give b = a + 1.
    const common = [...a.slice(-16)].findIndex((ch, i) => ch !== b.slice(-16)[i]);
    expect(common).toBeLessThan(8);
  });

  it('honours Idempotency-Key: a replay is the same job, another body with the key is a 422', async () => {
    const headers = { ...author('author-a'), 'idempotency-key': 'job-key-1' };
    const first = await submit(headers, { x: 1 });
    const again = await submit(headers, { x: 1 });
    expect(first.status, first.text).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.job_id).toBe(first.body.job_id);
    expect(api.invocations.filter((i) => i.payload.includes(first.body.job_id))).toHaveLength(1);
    expect((await submit(headers, { x: 2 })).status).toBe(422);
    // Another author's same key is another request.
    const other = await submit({ ...author('author-b'), 'idempotency-key': 'job-key-1' }, { x: 1 });
    expect(other.body.job_id).not.toBe(first.body.job_id);
  });

  it('a failed invoke leaves no submitted job behind', async () => {
    api.failInvocations = true;
    try {
      const r = await submit(author('author-a'), { orphan: true });
      expect(r.status).toBe(503);
    } finally {
      api.failInvocations = false;
    }
    const jobs = (await api.scan()).filter(
      (i) => String(i.pk).startsWith('JOB#') && i.status === 'submitted',
    );
    const orphans = jobs.filter((j) => JSON.stringify(j.input).includes('orphan'));
    expect(orphans).toEqual([]);
  });
});
