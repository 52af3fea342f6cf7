/**
 * Issue: catalog and scheduling, through the public HTTP API only. Sessions are scheduled a month
 * ahead (virtual time), so nothing starts running while these checks look at the trees.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { api, busEvents, hasLocalEndpoints, waitFor } from './support/api.ts';
import { PARTS_COUNT_MISMATCH } from './support/seeds.ts';

interface Tree {
  session: {
    id: string;
    session_type: string;
    status: string;
    timeslot: { start: string; end: string; provision_at?: string; lead_time_minutes: number };
  };
  parts: {
    order: number;
    name: string;
    form: { fqn: string; version: string };
    timeslot: { start: string; end: string; lead_time_minutes: number };
  }[];
  pods: { part_order: number; pod_type: string }[];
}
interface Problem {
  type: string;
  status: number;
  pointer?: string;
  errors?: { pointer: string; detail: string }[];
}

let base = 0;
const at = (hours: number) => new Date(base + hours * 3600_000).toISOString();
const slot = (fromH: number, toH: number) => ({ start: at(fromH), end: at(toH) });
let seq = 0;
const candidate = () => ({ candidate_id: `e2e-cand-${Date.now()}-${++seq}` });

beforeAll(async () => {
  const now = hasLocalEndpoints()
    ? Date.parse((await api<{ now: string }>('GET', '/local/clock')).body.now)
    : Date.now();
  base = Math.ceil((now + 30 * 24 * 3600_000) / 3600_000) * 3600_000; // a month ahead, on the hour
});

describe('scheduling each kind of delivery', () => {
  it('a lablet by FQN', async () => {
    const r = await api<Tree>('POST', '/v1/sessions', {
      fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
      timeslot: slot(0, 2),
      candidate: candidate(),
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`/v1/sessions/${r.body.session.id}`);
    expect(r.body.session.session_type).toBe('lablet');
    expect(r.body.parts).toHaveLength(1);
    expect(r.body.pods).toHaveLength(1);
  });

  it('a practice lab from the pool', async () => {
    const r = await api<Tree>('POST', '/v1/sessions', {
      session_type: 'practicelab',
      timeslot: slot(0, 3),
      candidate: candidate(),
    });
    expect(r.status).toBe(201);
    expect(r.body.parts[0]!.form.fqn).toMatch(/^Practice /);
  });

  it('the CCIE lab exam: pinned forms, back-to-back windows, the DOO pod provisioning earlier', async () => {
    const r = await api<Tree>('POST', '/v1/sessions', {
      session_type: 'CCIE-EI-Lab-Exam',
      timeslot: slot(24, 32),
      candidate: candidate(),
    });
    expect(r.status).toBe(201);
    const [doo, ai] = r.body.parts;
    expect(doo!.form).toEqual({ fqn: expect.stringMatching(/^Exam CCIE EI v1\.1 DOO /), version: '1' });
    expect(ai!.form).toEqual({ fqn: expect.stringMatching(/^Exam CCIE EI v1\.1 AI-DOO /), version: '1' });
    expect(doo!.timeslot.end).toBe(ai!.timeslot.start);
    expect(doo!.timeslot.lead_time_minutes).toBe(60);
    expect(doo!.timeslot.lead_time_minutes).toBeGreaterThan(r.body.session.timeslot.lead_time_minutes);
    expect(r.body.pods.map((p) => p.pod_type)).toEqual(['cml_on_aws', 'cml_on_aws']);
    const read = await api<Tree>('GET', `/v1/sessions/${r.body.session.id}`);
    expect(read.status).toBe(200);
    expect(read.body.parts.map((p) => p.form)).toEqual(r.body.parts.map((p) => p.form));
  });

  it('the CCIE exam with its design module first', async () => {
    const r = await api<Tree>('POST', '/v1/sessions', {
      session_type: 'CCIE-EI-Exam-With-Design',
      timeslot: slot(48, 56),
      candidate: candidate(),
    });
    expect(r.status).toBe(201);
    expect(r.body.parts.map((p) => p.name)).toEqual(['DES', 'DOO', 'AI-DOO']);
    expect(r.body.pods.map((p) => p.part_order)).toEqual([2, 3]);
  });

  it('the CCDE design exam: four COR forms, none repeated, no pods', async () => {
    const r = await api<Tree>('POST', '/v1/sessions', {
      session_type: 'CCDE-Design-Exam',
      timeslot: slot(72, 80),
      candidate: candidate(),
    });
    expect(r.status).toBe(201);
    const fqns = r.body.parts.map((p) => p.form.fqn);
    expect(new Set(fqns).size).toBe(4);
    expect(fqns.every((f) => / COR /.test(f))).toBe(true);
    expect(r.body.pods).toEqual([]);
  });

  it('the session is announced once on the bus and listed from the views', async () => {
    const c = candidate();
    const r = await api<Tree>('POST', '/v1/sessions', {
      session_type: 'CCDE-Design-Exam',
      timeslot: slot(96, 104),
      candidate: c,
    });
    const id = r.body.session.id;
    if (hasLocalEndpoints()) {
      const scheduled = await waitFor('session.scheduled', async () => {
        const ev = (await busEvents()).filter(
          (e) => e['detail-type'] === 'lcm.session.scheduled.v1' && e.detail.data.id === id,
        );
        return ev.length ? ev : undefined;
      });
      expect(scheduled).toHaveLength(1);
      expect(scheduled[0]!.detail).toMatchObject({
        specversion: '1.0',
        source: 'lcm.sessions',
        subject: `sessions/${id}`,
      });
    }
    const listed = await waitFor('the listing', async () => {
      const l = await api<{ items: Tree[] }>('GET', `/v1/sessions?candidate_id=${c.candidate_id}`);
      return l.body.items.length ? l.body.items : undefined;
    });
    expect(listed.map((t) => t.session.id)).toEqual([id]);
  });

  it('lists by status with cursor pagination', async () => {
    const first = await api<{ items: Tree[]; next_cursor?: string }>(
      'GET',
      '/v1/sessions?status=pending&limit=2',
    );
    expect(first.status).toBe(200);
    expect(first.body.items.length).toBeLessThanOrEqual(2);
    if (first.body.next_cursor) {
      const second = await api<{ items: Tree[] }>(
        'GET',
        `/v1/sessions?status=pending&limit=2&cursor=${first.body.next_cursor}`,
      );
      expect(second.body.items.map((t) => t.session.id)).not.toContain(first.body.items[0]!.session.id);
    }
  });
});

describe('idempotency', () => {
  it('the same POST with its key returns the same session; another body with the key is a 422', async () => {
    const body = { session_type: 'CCDE-Design-Exam', timeslot: slot(120, 128), candidate: candidate() };
    const key = `idem-${Date.now()}`;
    const a = await api<Tree>('POST', '/v1/sessions', body, { 'idempotency-key': key });
    const b = await api<Tree>('POST', '/v1/sessions', body, { 'idempotency-key': key });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.session.id).toBe(a.body.session.id);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await api<Problem>(
      'POST',
      '/v1/sessions',
      { ...body, reservation_id: 'other' },
      { 'idempotency-key': key },
    );
    expect(c.status).toBe(422);
    expect(c.body.type).toBe('urn:lcm:problem:idempotency-key-reused');
    const listed = await waitFor('the listing', async () => {
      const l = await api<{ items: Tree[] }>(
        'GET',
        `/v1/sessions?candidate_id=${body.candidate.candidate_id}`,
      );
      return l.body.items.length ? l.body.items : undefined;
    });
    expect(listed).toHaveLength(1);
  });
});

describe('bad requests get a documented problem and change nothing', () => {
  const good = () => ({
    session_type: 'CCIE-EI-Lab-Exam',
    timeslot: slot(200, 208),
    candidate: { candidate_id: 'e2e-bad' },
  });
  const cases: [string, string, string, () => unknown, number, string, string?][] = [
    [
      'unknown session type',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), session_type: 'CCIE-XX' }),
      422,
      'unknown-session-type',
      '/session_type',
    ],
    [
      'malformed FQN',
      'POST',
      '/v1/sessions',
      () => ({ fqn: 'Lablet CCNP LAB', timeslot: slot(200, 202), candidate: { candidate_id: 'e2e-bad' } }),
      422,
      'malformed-fqn',
      '/fqn',
    ],
    [
      'unknown FQN',
      'POST',
      '/v1/sessions',
      () => ({
        fqn: 'Lablet CCNP ENCOR v1.1 LAB NOPE-1',
        timeslot: slot(200, 202),
        candidate: { candidate_id: 'e2e-bad' },
      }),
      422,
      'unknown-form',
      '/fqn',
    ],
    [
      'FQN with a bad version pin',
      'POST',
      '/v1/sessions',
      () => ({
        fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01@',
        timeslot: slot(200, 202),
        candidate: { candidate_id: 'e2e-bad' },
      }),
      422,
      'malformed-fqn',
      '/fqn',
    ],
    [
      'a draft form',
      'POST',
      '/v1/sessions',
      () => ({
        fqn: 'Lablet CCNA CCNA v1.1 LAB CCNA-L02',
        timeslot: slot(200, 202),
        candidate: { candidate_id: 'e2e-bad' },
      }),
      409,
      'empty-pool',
      '/fqn',
    ],
    [
      'content not yet synced',
      'POST',
      '/v1/sessions',
      () => ({
        fqn: 'Lablet CCNP ENCOR v1.1 LAB EIGRP-201',
        timeslot: slot(200, 202),
        candidate: { candidate_id: 'e2e-bad' },
      }),
      409,
      'empty-pool',
      '/fqn',
    ],
    [
      'neither session_type nor fqn',
      'POST',
      '/v1/sessions',
      () => ({ timeslot: slot(200, 202), candidate: { candidate_id: 'e2e-bad' } }),
      422,
      'validation-error',
      '/session_type',
    ],
    [
      'end before start',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), timeslot: { start: at(208), end: at(200) } }),
      422,
      'invalid-timeslot',
      '/timeslot/end',
    ],
    [
      'a timeslot in the past',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), timeslot: { start: '2020-01-01T09:00:00Z', end: '2020-01-01T17:00:00Z' } }),
      422,
      'invalid-timeslot',
      '/timeslot/end',
    ],
    [
      'fqn with a type addressed by session_type (ambiguous)',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01' }),
      422,
      'ambiguous-addressing',
      '/fqn',
    ],
    [
      'a session in the year 9999 (booking horizon)',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), timeslot: { start: '9999-12-01T09:00:00Z', end: '9999-12-01T17:00:00Z' } }),
      422,
      'invalid-timeslot',
      '/timeslot/start',
    ],
    [
      'a 60-minute lablet slot for its 120-minute part',
      'POST',
      '/v1/sessions',
      () => ({
        fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
        timeslot: slot(200, 201),
        candidate: { candidate_id: 'e2e-bad' },
      }),
      422,
      'windows-do-not-fit',
      '/timeslot',
    ],
    [
      'a timeslot longer than a day',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), timeslot: slot(200, 230) }),
      422,
      'invalid-timeslot',
      '/timeslot/end',
    ],
    [
      'parts that do not fit',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), timeslot: slot(200, 204) }),
      422,
      'windows-do-not-fit',
      '/timeslot',
    ],
    [
      'a window outside the session',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), parts: [{ order: 1, window: { start: at(199), end: at(202) } }] }),
      422,
      'window-outside-session',
      '/parts/0/window',
    ],
    [
      'overlapping sequential windows',
      'POST',
      '/v1/sessions',
      () => ({
        ...good(),
        parts: [
          { order: 1, window: { start: at(200), end: at(203) } },
          { order: 2, window: { start: at(202), end: at(207) } },
        ],
      }),
      422,
      'windows-do-not-fit',
      '/parts/1/window',
    ],
    [
      'a window ending before it starts',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), parts: [{ order: 1, window: { start: at(203), end: at(202) } }] }),
      422,
      'invalid-timeslot',
      '/parts/0/window/end',
    ],
    [
      'a part the definition lacks',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), parts: [{ order: 7 }] }),
      422,
      'validation-error',
      '/parts/0/order',
    ],
    [
      'a form that does not fit its part',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), parts: [{ order: 1, form: 'Exam CCIE EI v1.1 AI-DOO AIDOO-1' }] }),
      409,
      'empty-pool',
      '/parts/0/form',
    ],
    [
      'an unknown field',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), colour: 'red' }),
      422,
      'validation-error',
      '/colour',
    ],
    [
      'an unknown nested field',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), candidate: { candidate_id: 'x', age: 3 } }),
      422,
      'validation-error',
      '/candidate/age',
    ],
    [
      'a missing candidate',
      'POST',
      '/v1/sessions',
      () => ({ session_type: 'CCDE-Design-Exam', timeslot: slot(200, 208) }),
      422,
      'validation-error',
      '/candidate',
    ],
    [
      'a missing timeslot',
      'POST',
      '/v1/sessions',
      () => ({ session_type: 'CCDE-Design-Exam', candidate: { candidate_id: 'x' } }),
      422,
      'validation-error',
      '/timeslot',
    ],
    [
      'a timeslot that is not a date-time',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), timeslot: { start: 'tomorrow', end: at(208) } }),
      422,
      'validation-error',
      '/timeslot/start',
    ],
    [
      'a negative lead time',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), timeslot: { ...slot(200, 208), lead_time_minutes: -5 } }),
      422,
      'validation-error',
      '/timeslot/lead_time_minutes',
    ],
    [
      'a bad email',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), candidate: { candidate_id: 'x', email: 'not-an-email' } }),
      422,
      'validation-error',
      '/candidate/email',
    ],
    [
      'a session_type with spaces',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), session_type: 'CCIE EI' }),
      422,
      'validation-error',
      '/session_type',
    ],
    [
      'too many parts',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), parts: Array.from({ length: 21 }, (_, i) => ({ order: (i % 20) + 1 })) }),
      422,
      'validation-error',
      '/parts',
    ],
    ['malformed JSON', 'POST', '/v1/sessions', () => '{"session_type":', 400, 'malformed-json'],
    [
      'an oversized body',
      'POST',
      '/v1/sessions',
      () => ({ ...good(), reservation_id: 'x'.repeat(40_000) }),
      413,
      'payload-too-large',
    ],
    [
      'a malformed session id',
      'GET',
      '/v1/sessions/not-an-id',
      () => undefined,
      422,
      'validation-error',
      '/params/id',
    ],
    [
      'an unknown session',
      'GET',
      '/v1/sessions/ses_00000000000000000000000000',
      () => undefined,
      404,
      'not-found',
    ],
    [
      'an unknown status filter',
      'GET',
      '/v1/sessions?status=sleeping',
      () => undefined,
      422,
      'validation-error',
      '/query/status',
    ],
    [
      'a limit over 100',
      'GET',
      '/v1/sessions?limit=1000',
      () => undefined,
      422,
      'validation-error',
      '/query/limit',
    ],
    [
      'a forged cursor',
      'GET',
      '/v1/sessions?cursor=bm9wZQ',
      () => undefined,
      400,
      'bad-request',
      '/query/cursor',
    ],
    [
      'an unknown query parameter',
      'GET',
      '/v1/sessions?colour=red',
      () => undefined,
      422,
      'validation-error',
      '/query/colour',
    ],
    [
      'cancel an unknown session',
      'POST',
      '/v1/sessions/ses_00000000000000000000000000/cancel',
      () => ({}),
      404,
      'not-found',
    ],
    [
      'extend without an end',
      'POST',
      '/v1/sessions/ses_00000000000000000000000000/extend',
      () => ({}),
      422,
      'validation-error',
      '/end',
    ],
    [
      'review with a bad decision',
      'POST',
      '/v1/sessions/ses_00000000000000000000000000/parts/1/review',
      () => ({ decision: 'maybe' }),
      422,
      'validation-error',
      '/decision',
    ],
    [
      'a bad part number',
      'POST',
      '/v1/sessions/ses_00000000000000000000000000/parts/0/end',
      () => ({}),
      422,
      'validation-error',
      '/params/n',
    ],
    [
      'an unknown session definition',
      'GET',
      '/v1/session-definitions/NOPE',
      () => undefined,
      404,
      'not-found',
    ],
    [
      'a bad selector in the preview',
      'GET',
      '/v1/forms?selector=Exam%20**LAB',
      () => undefined,
      422,
      'validation-error',
      '/query/selector',
    ],
    ['an unknown route', 'GET', '/v1/nothing-here', () => undefined, 404, 'route-not-found'],
    ['a wrong method', 'DELETE', '/v1/sessions', () => undefined, 405, 'method-not-allowed'],
  ];

  it(`has at least 30 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(30));

  let eventsBefore = 0;
  let listedBefore = 0;
  beforeAll(async () => {
    if (hasLocalEndpoints())
      eventsBefore = (await busEvents()).filter(
        (e) => e['detail-type'] === 'lcm.session.scheduled.v1',
      ).length;
    listedBefore = (await api<{ items: unknown[] }>('GET', '/v1/sessions?candidate_id=e2e-bad')).body.items
      .length;
  });

  it.each(cases)('%s', async (_what, method, path, makeBody, status, kind, pointer) => {
    const body = makeBody();
    const headers: Record<string, string> =
      body === undefined || typeof body !== 'string' ? {} : { 'content-type': 'application/json' };
    const r = await api<Problem>(method, path, body, headers);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body.type).toBe(`urn:lcm:problem:${kind}`);
    expect(r.body.status).toBe(status);
    if (pointer) expect(r.body.errors?.map((e) => e.pointer) ?? [r.body.pointer]).toContain(pointer);
  });

  it('and nothing was written: no session listed, no event announced', async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(
      (await api<{ items: unknown[] }>('GET', '/v1/sessions?candidate_id=e2e-bad')).body.items.length,
    ).toBe(listedBefore);
    if (hasLocalEndpoints())
      expect((await busEvents()).filter((e) => e['detail-type'] === 'lcm.session.scheduled.v1').length).toBe(
        eventsBefore,
      );
  });
});

describe('definitions mean what they say (issue 15, finding 3)', () => {
  it('a definition whose four parts share a selector that admits one part is refused at booking: parts-count-exceeded, nothing written', async () => {
    // The e2e catalog's copy of the CCDE design exam with parts_count 1 on each COR part
    // (test/e2e/support/seeds.ts). Before D74 it was accepted and planned four parts.
    const def = await api<{ parts: { requirements?: { parts_count?: number } }[] }>(
      'GET',
      `/v1/session-definitions/${PARTS_COUNT_MISMATCH}`,
    );
    expect(def.status).toBe(200);
    expect(def.body.parts.map((p) => p.requirements?.parts_count)).toEqual([1, 1, 1, 1]);
    const who = candidate();
    const scheduledBefore = hasLocalEndpoints()
      ? (await busEvents()).filter((e) => e['detail-type'] === 'lcm.session.scheduled.v1').length
      : 0;
    const r = await api<
      Problem & { detail: string; errors: { pointer: string; detail: string; rule: string }[] }
    >('POST', '/v1/sessions', {
      session_type: PARTS_COUNT_MISMATCH,
      timeslot: slot(300, 308),
      candidate: who,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body.type).toBe('urn:lcm:problem:parts-count-exceeded');
    expect(r.body.errors[0]).toMatchObject({ pointer: '/session_type', rule: 'requirements.parts_count' });
    expect(r.body.errors[0]!.detail).toMatch(/4 parts share "\* CCDE \* COR".*parts_count is 1/);
    await new Promise((res) => setTimeout(res, 300));
    const listed = await api<{ items: unknown[] }>('GET', `/v1/sessions?candidate_id=${who.candidate_id}`);
    expect(listed.body.items).toEqual([]);
    if (hasLocalEndpoints())
      expect((await busEvents()).filter((e) => e['detail-type'] === 'lcm.session.scheduled.v1').length).toBe(
        scheduledBefore,
      );
  });
});

describe('catalog reads', () => {
  it('lists the session definitions and previews a selector with reasons', async () => {
    const defs = await api<{ items: { session_type: string }[] }>('GET', '/v1/session-definitions');
    expect(defs.body.items.map((d) => d.session_type)).toEqual(
      expect.arrayContaining([
        'lablet',
        'practicelab',
        'CCIE-EI-Lab-Exam',
        'CCIE-EI-Exam-With-Design',
        'CCDE-Design-Exam',
      ]),
    );
    const one = await api<{ parts: unknown[] }>('GET', '/v1/session-definitions/CCDE-Design-Exam');
    expect(one.body.parts).toHaveLength(4);
    const prev = await api<{ admitted: { fqn: string }[]; rejected: { form: string; reason: string }[] }>(
      'GET',
      '/v1/forms?selector=Exam%20CCIE%20*%20*%20DES*&track_acronym=EI&include_rejected=true',
    );
    expect(prev.body.admitted.every((f) => f.fqn.startsWith('Exam CCIE EI '))).toBe(true);
    expect(prev.body.rejected.some((r) => /track_acronym SEC/.test(r.reason))).toBe(true);
  });

  it('serves the OpenAPI document of every route', async () => {
    const doc = await api<{ openapi: string; paths: Record<string, unknown> }>('GET', '/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/sessions',
        '/v1/sessions/{id}/cancel',
        '/v1/forms',
        '/v1/content/sync',
        '/v1/pod-definitions/{id}',
        '/v1/events',
      ]),
    );
  });
});
