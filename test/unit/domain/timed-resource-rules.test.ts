/**
 * Timed resources (shared/domain/timed-resource.ts), rule by rule (issue 18): a new resource's
 * first history entry (the outbox announces one status change per entry, the creation included),
 * a transition's entry with or without a reason, and the history's bound from both sides.
 */
import { describe, expect, it } from 'vitest';
import { STATE_HISTORY_LIMIT, newTimedResource, transition } from '../../../shared/domain/timed-resource.ts';

const T0 = Date.parse('2026-12-01T09:00:00Z');

describe('timed resources', () => {
  it('a new resource is at version 1 with its creation as the one history entry, and neither started nor ended', () => {
    const r = newTimedResource<string, string>('pod_1', 'pending', 'ready', T0, 'planner');
    expect(r).toEqual({
      id: 'pod_1',
      status: 'pending',
      desired_status: 'ready',
      state_version: 1,
      state_history: [
        { from: null, to: 'pending', at: '2026-12-01T09:00:00.000Z', by: 'planner', reason: 'created' },
      ],
      created_at: '2026-12-01T09:00:00.000Z',
      updated_at: '2026-12-01T09:00:00.000Z',
    });
  });

  it('a transition without a reason records none, and keeps the creation time', () => {
    const r = transition(
      newTimedResource<string, string>('pod_1', 'pending', 'ready', T0, 'planner'),
      'ready',
      {
        now: T0 + 5000,
        by: 'reconciler',
      },
    );
    expect(r.state_history).toEqual([
      { from: null, to: 'pending', at: '2026-12-01T09:00:00.000Z', by: 'planner', reason: 'created' },
      { from: 'pending', to: 'ready', at: '2026-12-01T09:00:05.000Z', by: 'reconciler' },
    ]);
    expect(r.created_at).toBe('2026-12-01T09:00:00.000Z');
    expect(r.updated_at).toBe('2026-12-01T09:00:05.000Z');
    expect(r).not.toHaveProperty('started_at');
    expect(r).not.toHaveProperty('ended_at');
  });

  it('the history holds exactly the limit: at the limit the creation is kept, one entry more drops it', () => {
    let r = newTimedResource<string, string>('ses_1', 's0', 'd', T0, 'api');
    for (let i = 1; i < STATE_HISTORY_LIMIT; i++) r = transition(r, `s${i}`, { now: T0 + i, by: 't' });
    expect(r.state_history).toHaveLength(STATE_HISTORY_LIMIT);
    expect(r.state_history[0]).toMatchObject({ from: null, reason: 'created' });
    r = transition(r, 'next', { now: T0 + 1000, by: 't' });
    expect(r.state_history).toHaveLength(STATE_HISTORY_LIMIT);
    expect(r.state_history[0]).toMatchObject({ from: 's0', to: 's1' });
    expect(r.state_history.at(-1)).toMatchObject({ from: `s${STATE_HISTORY_LIMIT - 1}`, to: 'next' });
    expect(r.state_version).toBe(STATE_HISTORY_LIMIT + 1);
  });
});
