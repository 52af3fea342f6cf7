/**
 * The extend rule (shared/domain/extend.ts) at its boundaries, from both sides (issue 18): the
 * limit (the definition's, capped at a day after the start) and which hosts leave the extra time
 * without capacity, each refusal with its rule and pointer.
 */
import { describe, expect, it } from 'vitest';
import { extensionProblem } from '../../../shared/domain/extend.ts';

const START = Date.parse('2026-12-01T09:00:00Z');
const END = Date.parse('2026-12-01T17:00:00Z');
const DAY = 24 * 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const session = (extend_limit?: string): Parameters<typeof extensionProblem>[0] => ({
  id: 'ses_1' as never,
  timeslot: { start: iso(START), end: iso(END), lead_time_minutes: 30, teardown_buffer_minutes: 10 },
  ...(extend_limit ? { extend_limit } : {}),
});
const MAX = { kind: 'invalid-timeslot', errors: [{ pointer: '/end', rule: 'extend.max' }] };
const CAPACITY = {
  kind: 'capacity-unavailable',
  status: 409,
  errors: [{ pointer: '/end', detail: 'no capacity for the extra time', rule: 'extend.capacity' }],
};

describe('extend: the limit', () => {
  it('without a limit of its own a session may be extended to a day after its start, not a millisecond more', () => {
    expect(extensionProblem(session(), START + DAY, [])).toBeUndefined();
    expect(extensionProblem(session(), START + DAY + 1, [])).toMatchObject(MAX);
  });

  it('a limit later than a day after the start is capped at the day', () => {
    const s = session(iso(START + 2 * DAY));
    expect(extensionProblem(s, START + DAY, [])).toBeUndefined();
    expect(extensionProblem(s, START + DAY + 1, [])).toMatchObject(MAX);
  });

  it('a limit earlier than the day holds at its own instant, from both sides, and names it', () => {
    const limit = END + 30 * 60_000;
    const s = session(iso(limit));
    expect(extensionProblem(s, limit, [])).toBeUndefined();
    const p = extensionProblem(s, limit + 1, []);
    expect(p).toMatchObject(MAX);
    expect(p?.detail).toContain(iso(limit));
  });

  it('the limit is checked before the hosts: a new end past it is refused by extend.max even with a host leaving', () => {
    expect(extensionProblem(session(), START + DAY + 1, [{ id: 'wrk_1', status: 'stopping' }])).toMatchObject(
      MAX,
    );
  });
});

describe('extend: the hosts holding the pods', () => {
  const wanted = END + 15 * 60_000;

  it('no host, or only running hosts meant to keep running, leave the capacity in place', () => {
    expect(extensionProblem(session(), wanted, [])).toBeUndefined();
    expect(extensionProblem(session(), wanted, [{ id: 'wrk_1', status: 'running' }])).toBeUndefined();
    expect(
      extensionProblem(session(), wanted, [
        { id: 'wrk_1', status: 'running', desired_status: 'running' },
        { id: 'wrk_2', status: 'running' },
      ]),
    ).toBeUndefined();
  });

  it('a host that is not running, or is meant to stop running, refuses the extension with extend.capacity', () => {
    for (const h of [
      { id: 'wrk_1', status: 'stopping' },
      { id: 'wrk_1', status: 'pending', desired_status: 'running' },
      { id: 'wrk_1', status: 'running', desired_status: 'draining' },
      { id: 'wrk_1', status: 'running', desired_status: 'terminated' },
    ])
      expect(extensionProblem(session(), wanted, [h]), JSON.stringify(h)).toMatchObject(CAPACITY);
  });

  it('one leaving host among running ones is enough, and the refusal names each leaving host and why', () => {
    const p = extensionProblem(session(), wanted, [
      { id: 'wrk_1', status: 'running' },
      { id: 'wrk_2', status: 'running', desired_status: 'draining' },
      { id: 'wrk_3', status: 'stopping' },
    ]);
    expect(p).toMatchObject(CAPACITY);
    expect(p?.detail).toContain('(wrk_2: draining, wrk_3: stopping)');
    expect(p?.detail).not.toContain('wrk_1');
  });
});
