/**
 * The Idempotency-Key records both commands write in their creating transaction (D236, D238).
 */
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../shared/store/errors.ts';
import {
  checkPayload,
  isLive,
  keyRecordWrite,
  lostOnKey,
  payloadHash,
  REQUEST_KEY_SECONDS,
  requestKey,
  type RequestKeyRecord,
} from '../../../shared/store/request-keys.ts';

const T = Date.parse('2026-12-03T10:00:00Z');

describe('a request key', () => {
  it('is per scope and per tenant, and any key the API admits makes a fixed-length sort key', () => {
    const a = requestKey('create-session', 'sched-a', 'k1');
    expect(a.pk).toBe('IDEMPOTENCY#create-session');
    expect(a.sk).toMatch(/^KEY#[0-9a-f]{64}$/);
    expect(requestKey('create-session', 'sched-b', 'k1').sk).not.toBe(a.sk);
    expect(requestKey('submit-job', 'sched-a', 'k1').pk).toBe('IDEMPOTENCY#submit-job');
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(requestKey('create-session', 'ab', 'c').sk).not.toBe(requestKey('create-session', 'a', 'bc').sk);
    expect(requestKey('create-session', 't', 'x'.repeat(128) + 'é/#\n').sk).toHaveLength(68);
  });
});

describe('the body’s hash', () => {
  it('is the same in any key order, and differs for any other value', () => {
    const body = { fqn: 'F', timeslot: { start: 'a', end: 'b' }, parts: [{ order: 1 }, { order: 2 }] };
    const reordered = { parts: [{ order: 1 }, { order: 2 }], timeslot: { end: 'b', start: 'a' }, fqn: 'F' };
    expect(payloadHash(reordered)).toBe(payloadHash(body));
    expect(payloadHash({ ...body, parts: [{ order: 2 }, { order: 1 }] })).not.toBe(payloadHash(body));
    expect(payloadHash({ ...body, fqn: 'G' })).not.toBe(payloadHash(body));
    expect(payloadHash({ a: 1 })).not.toBe(payloadHash({ a: '1' }));
    expect(payloadHash({ a: null })).not.toBe(payloadHash({}));
  });

  it('a replay with another body is a 422 naming the header', () => {
    const r = { payload_sha256: payloadHash({ a: 1 }) } as RequestKeyRecord;
    expect(() => checkPayload(r, payloadHash({ a: 1 }))).not.toThrow();
    expect(() => checkPayload(r, payloadHash({ a: 2 }))).toThrow(
      expect.objectContaining({ kind: 'idempotency-key-reused' }),
    );
  });
});

describe('the record', () => {
  it('holds its key for 24 hours of the service clock, not a second more', () => {
    const w = keyRecordWrite(requestKey('submit-job', 't', 'k'), 'h', T, { job_id: 'job_1' });
    expect(w).toMatchObject({ kind: 'put', expectedVersion: null });
    const item = (w as unknown as { item: RequestKeyRecord & { job_id: string } }).item;
    expect(item).toMatchObject({
      job_id: 'job_1',
      payload_sha256: 'h',
      state_version: 1,
      created_at: '2026-12-03T10:00:00.000Z',
    });
    expect(item.expires_at).toBe(T / 1000 + REQUEST_KEY_SECONDS);
    expect(isLive(item, T + REQUEST_KEY_SECONDS * 1000 - 1)).toBe(true);
    expect(isLive(item, T + REQUEST_KEY_SECONDS * 1000)).toBe(false);
    expect(isLive(undefined, T)).toBe(false);
  });

  it('replaces an expired record at its version (TTL deletes late)', () => {
    const key = requestKey('submit-job', 't', 'k');
    const expired = { ...key, state_version: 3 };
    const w = keyRecordWrite(key, 'h', T, {}, expired);
    expect(w).toMatchObject({ kind: 'put', expectedVersion: 3, item: { state_version: 4, ...key } });
  });

  it('a refused transaction lost on the key only when the key is among its reasons', () => {
    const key = requestKey('create-session', 't', 'k');
    const onKey = new ConflictError('lost', [{ index: 3, code: 'ConditionalCheckFailed', key }]);
    const elsewhere = new ConflictError('lost', [
      { index: 0, code: 'ConditionalCheckFailed', key: { pk: key.pk, sk: 'KEY#other' } },
    ]);
    expect(lostOnKey(onKey, key)).toBe(true);
    expect(lostOnKey(elsewhere, key)).toBe(false);
    expect(lostOnKey(new Error('lost'), key)).toBe(false);
  });
});
