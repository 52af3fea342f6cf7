/**
 * D236: `POST /v1/sessions` with an Idempotency-Key books one session per key, whatever fails
 * after the tree was written. The key's record is written in the tree's own transaction, so there
 * is no state in which the tree exists and the key does not (or the other way round).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  callerHeaders,
  failAfterNextWrite,
  startLocalApi,
  type LocalApiHarness,
} from '../../helpers/local-api.ts';

let api: LocalApiHarness;
beforeAll(async () => {
  api = await startLocalApi();
});
afterAll(() => api?.stop());

const tenant = callerHeaders('scheduler-once', 'scheduler');
const slot = (h: number) => ({
  start: new Date(Date.parse('2030-01-02T08:00:00Z') + h * 3600_000).toISOString(),
  end: new Date(Date.parse('2030-01-02T10:00:00Z') + h * 3600_000).toISOString(),
});
const body = (candidate: string, h = 1) => ({
  fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
  timeslot: slot(h),
  candidate: { candidate_id: candidate },
});
const post = (key: string, b: unknown) =>
  api.request<{ session: { id: string }; type?: string }>('POST', '/v1/sessions', {
    headers: { ...tenant, 'idempotency-key': key },
    body: b,
  });
const sessionsOf = async (candidate: string) =>
  (await api.scan()).filter(
    (i) =>
      i.entity === 'session' &&
      (i.candidate as { candidate_id?: string } | undefined)?.candidate_id === candidate,
  );

let undo = () => undefined as void;
afterEach(() => undo());

/** The next transaction the API writes commits, and then the invocation fails. */
const failAfterNextTransaction = () =>
  (undo = failAfterNextWrite((command) => /TransactWrite/.test(command)));

describe('a POST with an Idempotency-Key books once (D236)', () => {
  it('an invocation that fails after its tree is written, retried with the key, answers that session and books no second', async () => {
    failAfterNextTransaction();
    const first = await post('once-1', body('cand-once-1'));
    expect(first.status).toBe(500);
    expect(await sessionsOf('cand-once-1')).toHaveLength(1);

    const retry = await post('once-1', body('cand-once-1'));
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const booked = await sessionsOf('cand-once-1');
    expect(booked).toHaveLength(1);
    expect(retry.body.session.id).toBe(booked[0]!.id);
  });

  it('two requests with one key at the same time: one session, both answered with it', async () => {
    const [a, b] = await Promise.all([
      post('once-2', body('cand-once-2')),
      post('once-2', body('cand-once-2')),
    ]);
    expect([a.status, b.status], `${a.text}\n${b.text}`).toEqual([201, 201]);
    expect(a.body.session.id).toBe(b.body.session.id);
    expect([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']].filter(Boolean)).toEqual([
      'true',
    ]);
    expect(await sessionsOf('cand-once-2')).toHaveLength(1);
  });

  it('the same key with another body is refused and books nothing; the key is the tenant’s own', async () => {
    const first = await post('once-3', body('cand-once-3'));
    expect(first.status).toBe(201);
    const other = await post('once-3', body('cand-once-3', 2));
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:lcm:problem:idempotency-key-reused');
    expect(await sessionsOf('cand-once-3')).toHaveLength(1);
    // The same key, another tenant: its own booking.
    const otherTenant = callerHeaders('scheduler-twice', 'scheduler');
    const theirs = await api.request<{ session: { id: string } }>('POST', '/v1/sessions', {
      headers: { ...otherTenant, 'idempotency-key': 'once-3' },
      body: body('cand-once-3'),
    });
    expect(theirs.status, theirs.text).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.session.id).not.toBe(first.body.session.id);
  });

  it('a key is remembered 24 hours of the service clock, then books anew', async () => {
    const first = await post('once-4', body('cand-once-4', 100));
    expect(first.status).toBe(201);
    api.clock.advance(23 * 3600_000);
    const replay = await post('once-4', body('cand-once-4', 100));
    expect(replay.body.session.id).toBe(first.body.session.id);
    api.clock.advance(2 * 3600_000);
    const later = await post('once-4', body('cand-once-4', 100));
    expect(later.status, later.text).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.body.session.id).not.toBe(first.body.session.id);
  });
});
