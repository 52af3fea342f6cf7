import { describe, expect, it } from 'vitest';
import { STATE_HISTORY_LIMIT, newTimedResource, transition } from '../../../shared/domain/timed-resource.ts';

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

  it('stamps the first start only once, and the end on a terminal move', () => {
    const r = newTimedResource<string, string>('ses_1', 'pending', 'completed', t0, 'api');
    const started = transition(r, 'running', { now: t0 + 1000, by: 't', started: true });
    const again = transition(started, 'paused', { now: t0 + 2000, by: 't', started: true });
    expect(again.started_at).toBe('2026-12-01T09:00:01.000Z');
    expect(again.ended_at).toBeUndefined();
    const ended = transition(again, 'completed', { now: t0 + 3000, by: 't', terminal: true });
    expect(ended.ended_at).toBe('2026-12-01T09:00:03.000Z');
    expect(ended.state_version).toBe(r.state_version + 3);
  });
});
