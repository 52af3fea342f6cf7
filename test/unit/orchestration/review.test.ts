/**
 * Issue 15, finding 1: a manual review is never lost. The cleanup deadline tears down pods, never
 * a result; a review deadline from the definition escalates instead of dropping; the decision
 * names who made it.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../shared/orchestration/decide.ts';
import { cleanupDeadline } from '../../../shared/domain/timeslot.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import { MIN, T0, drive, tree } from './fixtures.ts';

const REPORT = { points_awarded: 6, points_max: 10, percentage: 60, passed: false };

/** A CCDE-like exam: four sequential web-only parts, the last reviewed by hand; driven to `reviewing`. */
function ccdeAwaitingReview(reviewDeadlineMinutes?: number): SessionTree {
  const t = tree({
    execution: 'sequential',
    parts: [
      { minutes: 60, pod: false },
      { minutes: 60, pod: false },
      { minutes: 60, pod: false },
      { minutes: 60, pod: true, review: 'manual' },
    ],
  });
  if (reviewDeadlineMinutes !== undefined) t.parts[3]!.review_deadline_minutes = reviewDeadlineMinutes;
  const { tree: cur } = drive(t, {
    // Session T0+60 → T0+300, cleanup deadline T0+310: stop just before it.
    until: T0 + 305 * MIN,
    onStep: (c) => {
      for (const p of c.parts)
        if (p.status === 'grading' && p.phase_execution?.outcome === 'succeeded' && !p.score_report)
          p.score_report = { ...REPORT };
    },
  });
  expect(cur.parts.map((p) => p.status)).toEqual(['archived', 'archived', 'archived', 'reviewing']);
  return cur;
}

describe('reviews are never lost', () => {
  it('a part awaiting review past the cleanup deadline keeps its result; its pods go, the session stays open', () => {
    const t = ccdeAwaitingReview();
    const deadline = cleanupDeadline(t.session.timeslot);
    const d = decide(t, deadline + 1, 'dev');
    expect(d.tree.parts[3]!.status).toBe('reviewing');
    expect(d.tree.parts[3]!.score_report).toMatchObject({ points_awarded: 6 });
    expect(d.tree.session.status).toBe('running');
    // The deadline still tears the pods down.
    expect(d.tree.pods.every((p) => p.status === 'terminated')).toBe(true);
    expect(d.commands.filter((c) => c.kind === 'teardown_pod')).toHaveLength(1);
    // …and a later decision with nothing new changes nothing.
    const again = decide(d.tree, deadline + 60 * MIN, 'dev');
    expect(again.changed).toEqual([]);
    expect(again.commands).toEqual([]);
  });

  it('a review decided two hours after the cleanup deadline completes the session with every part and the reviewer named', () => {
    const t = ccdeAwaitingReview();
    const deadline = cleanupDeadline(t.session.timeslot);
    let d = decide(t, deadline + 1, 'dev');
    const at = deadline + 120 * MIN;
    d.tree.parts[3]!.review_decision = {
      decision: 'accept',
      points_awarded: 9,
      comment: 'sound design',
      at: new Date(at).toISOString(),
      by: 'reviewer-ana',
    };
    d = decide(d.tree, at, 'dev');
    expect(d.tree.session.status).toBe('completed');
    expect(d.tree.session.state_history.map((h) => h.to)).toEqual([
      'pending',
      'admitting',
      'running',
      'aggregating',
      'submitting',
      'finalizing',
      'completed',
    ]);
    expect(d.tree.parts.map((p) => p.status)).toEqual(['archived', 'archived', 'archived', 'archived']);
    expect(d.tree.parts[3]!.score_report).toMatchObject({
      points_awarded: 9,
      review: { decision: 'accept', by: 'reviewer-ana' },
    });
    const combined = d.tree.session.score_report as { per_part: { order: number; points_awarded: number }[] };
    expect(combined.per_part.map((p) => [p.order, p.points_awarded])).toEqual([
      [1, 6],
      [2, 6],
      [3, 6],
      [4, 9],
    ]);
    // No phase runs past the deadline: the pods were already torn down.
    expect(d.commands.filter((c) => c.kind === 'start_execution')).toEqual([]);
  });

  it("the definition's review deadline escalates the part once, and keeps it awaiting its decision", () => {
    const t = ccdeAwaitingReview(60);
    const entered = Date.parse(t.parts[3]!.state_history.find((h) => h.to === 'reviewing')!.at);
    expect(t.parts[3]!.review_due).toBe(new Date(entered + 60 * MIN).toISOString());
    const before = decide(t, entered + 60 * MIN - 1, 'dev');
    expect(before.tree.parts[3]!.review_escalated).toBeUndefined();
    const due = decide(before.tree, entered + 60 * MIN, 'dev');
    expect(due.tree.parts[3]!.review_escalated).toMatchObject({ reason: 'review deadline passed' });
    expect(due.tree.parts[3]!.status).toBe('reviewing');
    expect(due.tree.parts[3]!.score_report).toMatchObject({ points_awarded: 6 });
    const later = decide(due.tree, entered + 200 * MIN, 'dev');
    expect(later.tree.parts[3]!.review_escalated).toEqual(due.tree.parts[3]!.review_escalated);
    expect(later.tree.parts[3]!.status).toBe('reviewing');
  });

  it('cancelling still ends an undecided review (explicit intent)', () => {
    const t = ccdeAwaitingReview();
    t.session.desired_status = 'cancelled';
    const d = decide(t, cleanupDeadline(t.session.timeslot) + 1, 'dev');
    expect(d.tree.session.status).toBe('cancelled');
    expect(d.tree.parts[3]!.status).toBe('cancelled');
  });
});
