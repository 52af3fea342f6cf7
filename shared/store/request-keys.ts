/**
 * Idempotency-Key records written in the same transaction as what the request creates (D236,
 * D238): a key is recorded exactly when its booking or job is, so no failure after the write can
 * leave the one without the other. Each command keeps its own answer on the record; this module
 * holds what they share: the key, the body's hash, the 24 hours on the service clock, the write.
 */
import { createHash } from 'node:crypto';
import { stringify as stableStringify } from 'safe-stable-stringify';
import { Problem } from '../domain/problem.ts';
import { iso } from '../domain/clock.ts';
import { ConflictError } from './errors.ts';
import { keys, type IdempotencyScope, type Key } from './keys.ts';
import type { StateStore, StoredItem, WriteOp } from './state-store.ts';

/** How long a key is remembered, on the service clock. */
export const REQUEST_KEY_SECONDS = 24 * 3600;

export interface RequestKeyRecord extends StoredItem {
  /** SHA-256 of the request body, keys sorted: a replay must carry the same body. */
  payload_sha256: string;
  created_at: string;
  /** Epoch seconds: the table's TTL attribute; the key is also ignored past it (TTL deletes late). */
  expires_at: number;
}

/** A (tenant, key) pair's record: hashed, so any key the API admits makes a valid sort key. */
export const requestKey = (scope: IdempotencyScope, tenant: string, key: string): Key => ({
  pk: keys.idempotencyPartition(scope),
  sk: `KEY#${createHash('sha256').update(`${tenant}\u0000${key}`).digest('hex')}`,
});

/** SHA-256 of the body as JSON with every object's keys sorted: the same in any key order. */
export const payloadHash = (body: unknown) =>
  createHash('sha256')
    .update(stableStringify(body) ?? '')
    .digest('hex');

/** Whether a record still holds its key at `now` (ms). */
export const isLive = (r: Pick<RequestKeyRecord, 'expires_at'> | undefined, now: number) =>
  !!r && r.expires_at * 1000 > now;

export const keyReused = () =>
  new Problem('idempotency-key-reused', 'this Idempotency-Key was used with a different body', {
    errors: [
      { pointer: '/headers/idempotency-key', detail: 'reused with another body', rule: 'idempotency' },
    ],
  });

/** The same body as the record's, or a 422. */
export function checkPayload(r: RequestKeyRecord, payload: string): void {
  if (r.payload_sha256 !== payload) throw keyReused();
}

/** The version a key's record is written at: 1, or one more than the expired record it replaces. */
export const keyRecordVersion = (expired?: StoredItem) => (expired?.state_version ?? 0) + 1;

/**
 * The conditional Put of a key's record, to go in the creating transaction: on a key never used,
 * or replacing `expired` (a record past its 24 hours that TTL has not deleted yet).
 */
export function keyRecordWrite<T extends object>(
  key: Key,
  payload: string,
  now: number,
  fields: T,
  expired?: StoredItem,
): WriteOp {
  const item: RequestKeyRecord & T = {
    ...fields,
    ...key,
    state_version: keyRecordVersion(expired),
    payload_sha256: payload,
    created_at: iso(now),
    expires_at: Math.floor(now / 1000) + REQUEST_KEY_SECONDS,
  };
  return { kind: 'put', item, expectedVersion: expired?.state_version ?? null };
}

/** Whether a refused write lost on this key's record (another request with the key came first). */
export const lostOnKey = (e: unknown, key: Key): e is ConflictError =>
  e instanceof ConflictError &&
  e.reasons.some((r) => !!r.key && (r.key as Key).pk === key.pk && (r.key as Key).sk === key.sk);

/**
 * The one flow of a command with an Idempotency-Key: a live record is replayed; otherwise the
 * command creates, writing the key's record in its own transaction (`create` is handed the expired
 * record it replaces, if any); a creation refused on the key means another request with it came
 * first, and that one's record is replayed.
 */
export async function onceForKey<Rec extends RequestKeyRecord, R>(o: {
  store: Pick<StateStore, 'get'>;
  key: Key;
  now: () => number;
  replay: (record: Rec) => R | Promise<R>;
  create: (expired: Rec | undefined) => Promise<R>;
}): Promise<R> {
  const found = await o.store.get<Rec>(o.key);
  if (found && isLive(found, o.now())) return o.replay(found);
  try {
    return await o.create(found);
  } catch (e) {
    if (!lostOnKey(e, o.key)) throw e;
    const winner = await o.store.get<Rec>(o.key);
    if (winner && isLive(winner, o.now())) return o.replay(winner);
    throw e;
  }
}
