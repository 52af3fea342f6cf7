/**
 * The session model's rules in shared/domain/session.ts (issue 18): the status vocabularies and
 * which statuses are terminal, settled or gone, each from both sides; which status a phase runs
 * in; when a part awaits a reviewer and since when; the names of tree items.
 */
import { describe, expect, it } from 'vitest';
import { PHASE_ORDER } from '../../../shared/domain/lifecycle.ts';
import {
  PART_DESIRED,
  PART_SETTLED,
  PART_STATUSES,
  PHASE_STATUS,
  POD_GONE,
  POD_STATUSES,
  SESSION_DESIRED,
  SESSION_STATUSES,
  SESSION_TERMINAL,
  awaitingReview,
  partRef,
  podRef,
  reviewingSince,
  type PartDoc,
} from '../../../shared/domain/session.ts';

describe('status vocabularies', () => {
  it('a session moves through these statuses and may be wanted completed or cancelled', () => {
    expect(SESSION_STATUSES).toEqual([
      'pending',
      'admitting',
      'running',
      'aggregating',
      'submitting',
      'finalizing',
      'completed',
      'cancelled',
      'failed',
    ]);
    expect(SESSION_DESIRED).toEqual(['completed', 'cancelled']);
  });

  it('a part moves through these statuses and may be wanted pending, active, archived or cancelled', () => {
    expect(PART_STATUSES).toEqual([
      'pending',
      'instantiating',
      'waiting',
      'monitoring',
      'collecting',
      'grading',
      'reviewing',
      'submitting',
      'archiving',
      'archived',
      'failed',
      'cancelled',
    ]);
    expect(PART_DESIRED).toEqual(['pending', 'active', 'archived', 'cancelled']);
  });

  it('a pod moves through these statuses', () => {
    expect(POD_STATUSES).toEqual([
      'pending',
      'provisioning',
      'ready',
      'active',
      'tearing_down',
      'terminated',
      'failed',
    ]);
  });

  it('a session is terminal only when completed, cancelled or failed', () => {
    const terminal = SESSION_STATUSES.filter((s) => SESSION_TERMINAL.has(s));
    expect(terminal).toEqual(['completed', 'cancelled', 'failed']);
    expect(SESSION_TERMINAL.size).toBe(3);
  });

  it('a part is settled only when archived, failed or cancelled (archiving still holds its gate)', () => {
    const settled = PART_STATUSES.filter((s) => PART_SETTLED.has(s));
    expect(settled).toEqual(['archived', 'failed', 'cancelled']);
    expect(PART_SETTLED.has('archiving')).toBe(false);
    expect(PART_SETTLED.size).toBe(3);
  });

  it('a pod is gone only when terminated or failed (tearing down is not gone)', () => {
    const gone = POD_STATUSES.filter((s) => POD_GONE.has(s));
    expect(gone).toEqual(['terminated', 'failed']);
    expect(POD_GONE.has('tearing_down')).toBe(false);
    expect(POD_GONE.size).toBe(2);
  });
});

describe('the part status a phase runs in', () => {
  it('maps every phase name, and only those', () => {
    expect(Object.keys(PHASE_STATUS).sort()).toEqual([...PHASE_ORDER].sort());
    expect(PHASE_STATUS).toEqual({
      instantiate: 'instantiating',
      post_init: 'instantiating',
      ready: 'waiting',
      monitor: 'monitoring',
      collect: 'collecting',
      grade: 'grading',
      review: 'reviewing',
      submit: 'submitting',
      teardown: 'archiving',
      archive: 'archiving',
    });
    for (const status of Object.values(PHASE_STATUS)) expect(PART_STATUSES).toContain(status);
  });
});

describe('a part awaiting a reviewer', () => {
  const decision = { decision: 'accept' as const, at: '2026-12-01T10:00:00.000Z', by: 'rev' };

  it('is in reviewing, reviewed by hand, not yet decided', () => {
    expect(awaitingReview({ status: 'reviewing', review: 'manual' })).toBe(true);
  });

  it('not when the review is automatic', () => {
    expect(awaitingReview({ status: 'reviewing', review: 'auto' })).toBe(false);
  });

  it('not when a decision is recorded (accept or reject)', () => {
    expect(awaitingReview({ status: 'reviewing', review: 'manual', review_decision: decision })).toBe(false);
    expect(
      awaitingReview({
        status: 'reviewing',
        review: 'manual',
        review_decision: { ...decision, decision: 'reject' },
      }),
    ).toBe(false);
  });

  it.each(PART_STATUSES.filter((s) => s !== 'reviewing'))('not while %s', (status) => {
    expect(awaitingReview({ status, review: 'manual' })).toBe(false);
  });
});

describe('since when a part is reviewing', () => {
  const at = (m: number) => `2026-12-01T10:${String(m).padStart(2, '0')}:00.000Z`;
  const hop = (from: PartDoc['status'] | null, to: PartDoc['status'], m: number) => ({
    from,
    to,
    at: at(m),
    by: 'reconciler',
  });

  it('the last time it entered reviewing, not the first, nor a later move', () => {
    const p = {
      updated_at: at(59),
      state_history: [
        hop(null, 'pending', 0),
        hop('grading', 'reviewing', 10),
        hop('reviewing', 'grading', 20),
        hop('grading', 'reviewing', 30),
        hop('reviewing', 'submitting', 40),
      ],
    };
    expect(reviewingSince(p)).toBe(at(30));
  });

  it('its last update when its history never shows it entering reviewing', () => {
    expect(
      reviewingSince({
        updated_at: at(59),
        state_history: [hop(null, 'pending', 0), hop('reviewing', 'grading', 5)],
      }),
    ).toBe(at(59));
    expect(reviewingSince({ updated_at: at(58), state_history: [] })).toBe(at(58));
  });
});

describe('tree item names', () => {
  it('a part by its order, a pod by its part and index', () => {
    expect(partRef(3)).toBe('part:3');
    expect(podRef({ part_order: 2, index: 1 })).toBe('pod:2:1');
  });
});
