import { describe, expect, it } from 'vitest';
import {
  STATE_HISTORY_LIMIT,
  newTimedResource,
  setDesired,
  transition,
} from '../../../shared/domain/timed-resource.ts';

describe('TimedResource', () => {
  const t0 = Date.parse('2026-12-01T09:00:00Z');
  it('a transition bumps the version and records who, when and why', () => {
    const r = newTimedResource<string, string>('ses_1', 'pending', 'completed', t0, 'api');
    const r2 = transition(r, 'admitting', {
      now: t0 + 1000,
      by: 'reconciler',
      reason: 'provision_at reached',
      started: true,
    });
    expect(r2.state_version).toBe(2);
    expect(r2.status).toBe('admitting');
    expect(r2.started_at).toBe('2026-12-01T09:00:01.000Z');
    expect(r2.state_history.at(-1)).toEqual({
      from: 'pending',
      to: 'admitting',
      at: '2026-12-01T09:00:01.000Z',
      by: 'reconciler',
      reason: 'provision_at reached',
    });
    expect(r.status).toBe('pending'); // pure
  });

  it('keeps the history bounded, dropping the oldest', () => {
    let r = newTimedResource<string, string>('ses_1', 's0', 'd', t0, 'api');
    for (let i = 1; i <= STATE_HISTORY_LIMIT + 5; i++) r = transition(r, `s${i}`, { now: t0 + i, by: 't' });
    expect(r.state_history).toHaveLength(STATE_HISTORY_LIMIT);
    expect(r.state_history.at(-1)?.to).toBe(`s${STATE_HISTORY_LIMIT + 5}`);
    expect(r.state_history[0]?.from).toBe('s5');
  });

  it('changing intent bumps the version but not the status; the same intent is a no-op', () => {
    const r = newTimedResource<string, string>('ses_1', 'running', 'completed', t0, 'api');
    const c = setDesired(r, 'cancelled', t0 + 5);
    expect(c.desired_status).toBe('cancelled');
    expect(c.status).toBe('running');
    expect(c.state_version).toBe(2);
    expect(setDesired(c, 'cancelled', t0 + 6)).toBe(c);
  });
});
