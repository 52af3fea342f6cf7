/**
 * Ids (shared/domain/ids.ts), rule by rule (issue 18): a type prefix, then a lower-case ULID whose
 * time is the injected clock's; ids of one clock instant still sort in the order they were made;
 * unguessable ids are fresh randomness each time; part and pod ids are positional inside their
 * session; the short hash is deterministic and keeps the parts apart.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { decodeTime } from 'ulid';
import { ManualClock } from '../../../shared/domain/clock.ts';
import {
  ID_PREFIX,
  newId,
  newJobId,
  newSessionId,
  newUnguessableId,
  partId,
  podInstanceId,
  shortHash,
  type SessionId,
} from '../../../shared/domain/ids.ts';

const T0 = Date.parse('2026-12-01T09:00:00Z');
const ULID = /^[0-9a-hjkmnp-tv-z]{26}$/; // Crockford's base 32, lower case
const timeOf = (id: string, prefix: string) => decodeTime(id.slice(prefix.length).toUpperCase());

describe('ids', () => {
  it('a session id is ses_ and a lower-case ULID carrying the clock time', () => {
    const clock = new ManualClock(T0);
    const id = newSessionId(clock);
    expect(id.startsWith('ses_')).toBe(true);
    expect(id.slice(4)).toMatch(ULID);
    expect(timeOf(id, 'ses_')).toBe(T0);
  });

  it('a job id is job_ and a lower-case ULID carrying the clock time', () => {
    const clock = new ManualClock(T0 + 1234);
    const id = newJobId(clock);
    expect(id.startsWith('job_')).toBe(true);
    expect(id.slice(4)).toMatch(ULID);
    expect(timeOf(id, 'job_')).toBe(T0 + 1234);
  });

  it('newId takes any prefix and the clock time; an id never sorts before one made earlier, even at an earlier clock time', () => {
    const first = newId<string>(ID_PREFIX.worker, new ManualClock(T0 + 60_000));
    expect(first.startsWith('wrk_')).toBe(true);
    expect(first.slice(4)).toMatch(ULID);
    expect(timeOf(first, 'wrk_')).toBe(T0 + 60_000);
    // Made next, at an earlier clock time: it keeps the last id's time and still sorts after it.
    const next = newId<string>(ID_PREFIX.worker, new ManualClock(T0));
    expect(timeOf(next, 'wrk_')).toBe(T0 + 60_000);
    expect(first < next).toBe(true);
    // A later clock time is taken as it is.
    expect(timeOf(newId<string>(ID_PREFIX.worker, new ManualClock(T0 + 90_000)), 'wrk_')).toBe(T0 + 90_000);
  });

  it('ids made at one clock instant still sort in the order they were made', () => {
    const clock = new ManualClock(T0 + 120_000);
    const ids = Array.from({ length: 20 }, () => newSessionId(clock));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) expect(timeOf(id, 'ses_')).toBe(T0 + 120_000);
  });

  it('an unguessable id carries the clock time but fresh randomness: not the last id + 1', () => {
    // Earlier than the ids above: an unguessable id is not monotonic, it takes the clock time as it is.
    const clock = new ManualClock(T0 + 99);
    const a = newUnguessableId<string>(ID_PREFIX.job, clock);
    const b = newUnguessableId<string>(ID_PREFIX.job, clock);
    for (const id of [a, b]) {
      expect(id.startsWith('job_')).toBe(true);
      expect(id.slice(4)).toMatch(ULID);
      expect(timeOf(id, 'job_')).toBe(T0 + 99);
    }
    // Same time part; the 16 random characters differ in more than the last one (a monotonic
    // factory would change only the last character, or carry into the one before it).
    expect(a.slice(0, 14)).toBe(b.slice(0, 14));
    expect(a.slice(14, -2)).not.toBe(b.slice(14, -2));
  });

  it('part and pod instance ids are positional inside their session', () => {
    const s = 'ses_01jdx0k7m6v3g8w2q4t5n9c1ba' as SessionId;
    expect(partId(s, 2)).toBe('ses_01jdx0k7m6v3g8w2q4t5n9c1ba.p2');
    expect(podInstanceId(s, 2)).toBe('pod_01jdx0k7m6v3g8w2q4t5n9c1ba.p2.0');
    expect(podInstanceId(s, 3, 1)).toBe('pod_01jdx0k7m6v3g8w2q4t5n9c1ba.p3.1');
  });

  it('the short hash is 16 hex characters of SHA-256, the same for the same parts, and keeps the parts apart', () => {
    const h = shortHash('pd', 'sha-of-bytes');
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(shortHash('pd', 'sha-of-bytes')).toBe(h);
    // The first 16 hex characters of SHA-256 over the parts joined by NUL.
    expect(h).toBe(createHash('sha256').update('pd\u0000sha-of-bytes').digest('hex').slice(0, 16));
    expect(shortHash('ab', 'c')).not.toBe(shortHash('a', 'bc'));
    expect(shortHash('abc')).not.toBe(shortHash('ab', 'c'));
    expect(shortHash('a')).not.toBe(shortHash('b'));
  });
});
