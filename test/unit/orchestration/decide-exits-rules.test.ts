/**
 * The reconcile decision's whole-session exits and its writes (issue 18, decide.ts from line 671):
 * the cleanup deadline with a manual review outstanding (what it holds, what it stops, once), the
 * held review decided, a cancel's reasons, the forced cleanup (which phases it stops, when it
 * combines a report, one escalation), the bounded phase log and recording a phase's outcome.
 * Pure: every decision is taken at an instant the test names.
 */
import { describe, expect, it } from 'vitest';
import { decide, recordPhaseOutcome, type Command } from '../../../shared/orchestration/decide.ts';
import type { PartDoc, SessionTree } from '../../../shared/domain/session.ts';
import { iso } from '../../../shared/domain/clock.ts';
import { MIN, T0, execution, running, tree } from './fixtures.ts';

const START = T0 + 60 * MIN;
/** The fixtures' 60-minute session ends at START + 60; its cleanup deadline is 10 minutes later. */
const CLEANUP = START + 70 * MIN;
const REPORT = { points_awarded: 6, points_max: 10, percentage: 60, passed: true };
const reasons = (x: { state_history: { to: string; reason?: string }[] }) =>
  x.state_history.map((h) => `${h.to}: ${h.reason ?? ''}`);
const ofKind = <K extends Command['kind']>(d: { commands: Command[] }, kind: K) =>
  d.commands.filter((c): c is Extract<Command, { kind: K }> => c.kind === kind);

/**
 * Running, parallel: part 1 awaits its manual review (graded, with a report), part 2 is as given;
 * both pods ready.
 */
function held(part2: Partial<PartDoc> = {}, review: 'manual' | 'auto' = 'manual'): SessionTree {
  const t = tree({
    execution: 'parallel',
    parts: [
      { minutes: 60, pod: true, review },
      { minutes: 60, pod: true },
    ],
  });
  t.session.status = 'running';
  for (const p of t.parts) Object.assign(p, { activated_at: iso(START), started_at: iso(START) });
  const p1 = t.parts[0]!;
  p1.status = 'reviewing';
  p1.score_report = { ...REPORT } as never;
  p1.phase_execution = execution('grade', 'g1', START + 61 * MIN, {
    outcome: 'succeeded',
    ended_at: iso(START + 62 * MIN),
  });
  Object.assign(t.parts[1]!, {
    status: 'collecting',
    phase_execution: execution('collect', 'c2', START + 60 * MIN),
    ...part2,
  });
  for (const pod of t.pods) Object.assign(pod, { status: 'ready', host_id: 'wkr_1' });
  return t;
}

describe('the cleanup deadline with a manual review outstanding', () => {
  it('holds the session for that part, once: the other open part is cancelled and stopped, every pod torn down', () => {
    const before = decide(held(), CLEANUP - 1, 'dev');
    expect(before.tree.session).not.toHaveProperty('held_for_review');
    const d = decide(held(), CLEANUP, 'dev');
    expect(d.tree.session.status).toBe('running');
    expect(d.tree.session.held_for_review).toEqual({ at: iso(CLEANUP), parts: [1] });
    const [p1, p2] = d.tree.parts;
    expect(p1!.status).toBe('reviewing');
    expect(p1!.score_report).toMatchObject(REPORT);
    expect(p2).toMatchObject({ status: 'cancelled', desired_status: 'cancelled', ended_at: iso(CLEANUP) });
    expect(reasons(p2!).at(-1)).toBe('cancelled: cleanup deadline passed');
    expect(ofKind(d, 'stop_execution')).toEqual([
      {
        kind: 'stop_execution',
        part: 2,
        execution_name: 'c2',
        state_machine: 'sm',
        reason: 'cleanup deadline passed',
      },
    ]);
    expect(ofKind(d, 'teardown_pod').map((c) => [c.part, c.pod])).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(d.tree.pods.map((p) => [p.status, p.ended_at])).toEqual([
      ['terminated', iso(CLEANUP)],
      ['terminated', iso(CLEANUP)],
    ]);
    // Held: a later decision with nothing new changes nothing and issues nothing.
    const again = decide(d.tree, CLEANUP + 30 * MIN, 'dev');
    expect(again.changed).toEqual([]);
    expect(again.commands).toEqual([]);
  });

  it("stops a settled part's running cleanup on the first held decision only", () => {
    const t = held({
      status: 'failed',
      phase_execution: execution('archive', 'a2', START + 65 * MIN, { cleanup: true }),
    });
    const d = decide(t, CLEANUP, 'dev');
    expect(ofKind(d, 'stop_execution').map((c) => c.execution_name)).toEqual(['a2']);
    expect(d.tree.parts[1]!.status).toBe('failed');
    expect(ofKind(decide(d.tree, CLEANUP + MIN, 'dev'), 'stop_execution')).toEqual([]);
  });

  it('an automatic review holds nothing: the forced cleanup cancels it', () => {
    const d = decide(held({}, 'auto'), CLEANUP, 'dev');
    expect(d.tree.session).not.toHaveProperty('held_for_review');
    expect(d.tree.parts.map((p) => p.status)).toEqual(['cancelled', 'cancelled']);
    expect(d.tree.session.status).toBe('failed');
  });

  it('a manual review not yet reached (the part still collecting) holds nothing', () => {
    const t = held();
    t.parts[0]!.status = 'collecting';
    const d = decide(t, CLEANUP, 'dev');
    expect(d.tree.session).not.toHaveProperty('held_for_review');
    expect(d.tree.parts.map((p) => p.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('two reviews held: deciding one keeps the session held for the other', () => {
    const t = held({
      status: 'reviewing',
      review: 'manual',
      score_report: { ...REPORT } as never,
      phase_execution: execution('grade', 'g2', START + 61 * MIN, { outcome: 'succeeded' }),
    });
    const h = decide(t, CLEANUP, 'dev').tree;
    expect(h.session.held_for_review).toEqual({ at: iso(CLEANUP), parts: [1, 2] });
    h.parts[0]!.review_decision = { decision: 'accept', at: iso(CLEANUP + MIN), by: 'rev' } as never;
    const d = decide(h, CLEANUP + MIN, 'dev');
    expect(d.tree.parts.map((p) => p.status)).toEqual(['archived', 'reviewing']);
    expect(d.tree.session.status).toBe('running');
  });

  it('decided later: applied and archived without running a phase, ended then; the session completes', () => {
    const t = decide(held(), CLEANUP, 'dev').tree;
    const at = CLEANUP + 120 * MIN;
    t.parts[0]!.review_decision = { decision: 'accept', points_awarded: 8, at: iso(at), by: 'rev' } as never;
    const d = decide(t, at, 'dev');
    const p1 = d.tree.parts[0]!;
    expect(reasons(p1).slice(-3)).toEqual([
      'submitting: review decided',
      'archiving: review decided after the cleanup deadline: no phase runs',
      'archived: review decided after the cleanup deadline',
    ]);
    expect(p1.ended_at).toBe(iso(at));
    expect(p1).not.toHaveProperty('phase_execution');
    expect(p1.phase_log!.map((e) => e.execution_name)).toEqual(['g1']);
    expect(p1.score_report).toMatchObject({ points_awarded: 8, percentage: 80 });
    expect(ofKind(d, 'start_execution')).toEqual([]);
    expect(d.tree.session.status).toBe('completed');
    // Combined against the session's cut score; nothing escalated.
    expect(d.tree.session.score_report).toMatchObject({ cut_score: 70 });
    expect(d.tree.session).not.toHaveProperty('escalation');
    expect(reasons(d.tree.session).slice(-4)).toEqual([
      'aggregating: every part settled',
      'submitting: combined report ready',
      'finalizing: report submitted',
      'completed: finalized after the held review',
    ]);
    expect(d.tree.session.ended_at).toBe(iso(at));
  });
});

describe('a cancel', () => {
  /** Running, single part open with its collect phase running and its pod ready. */
  function cancelled(reason?: string): SessionTree {
    const t = held();
    t.parts.splice(0, 1);
    t.pods.splice(0, 1);
    t.session.desired_status = 'cancelled';
    if (reason) t.session.cancel_reason = reason;
    return t;
  }

  it('without a reason the parts say "session cancelled" and the session "cancel requested"; with one, that reason', () => {
    const plain = decide(cancelled(), START + 30 * MIN, 'dev');
    expect(reasons(plain.tree.parts[0]!).at(-1)).toBe('cancelled: session cancelled');
    expect(reasons(plain.tree.session).at(-1)).toBe('finalizing: cancel requested');
    const why = decide(cancelled('candidate no-show'), START + 30 * MIN, 'dev');
    expect(reasons(why.tree.parts[0]!).at(-1)).toBe('cancelled: candidate no-show');
    expect(reasons(why.tree.session).at(-1)).toBe('finalizing: candidate no-show');
  });
});

describe('the forced cleanup (no review outstanding)', () => {
  /**
   * Running, parallel: part 1 already failed, its archive cleanup still running, its pod ready;
   * part 2 (no pod) never opened.
   */
  function failedCleaning(): SessionTree {
    const t = running('parallel', [true, false]);
    const p = t.parts[0]!;
    p.status = 'failed';
    p.phase_execution = execution('archive', 'a1', START + 65 * MIN, { cleanup: true });
    Object.assign(t.pods[0]!, { status: 'ready', host_id: 'wkr_1' });
    return t;
  }

  it("stops a settled part's running cleanup too; with no part archived there is no report and the session fails, escalated", () => {
    const d = decide(failedCleaning(), CLEANUP, 'dev');
    expect(ofKind(d, 'stop_execution').map((c) => [c.execution_name, c.reason])).toEqual([
      ['a1', 'cleanup deadline passed'],
    ]);
    expect(ofKind(d, 'teardown_pod')).toHaveLength(1);
    expect(d.tree.session).not.toHaveProperty('score_report');
    expect(d.tree.parts.map((p) => p.status)).toEqual(['failed', 'cancelled']);
    expect(d.tree.session.status).toBe('failed');
    // Only the failed part is named, not the cancelled one.
    expect(d.tree.session.escalation).toEqual({
      reason: 'cleanup deadline passed',
      at: iso(CLEANUP),
      failed_parts: [1],
    });
  });

  /**
   * Running, parallel: part 1 archived with its report (60 %), its pod already terminated; part 2
   * still collecting on its ready pod. The session's cut score is the fixtures' 70.
   */
  function oneArchived(): SessionTree {
    const t = running('parallel', [true, true]);
    const [p1, p2] = t.parts;
    Object.assign(p1!, { status: 'archived', score_report: { ...REPORT } });
    Object.assign(p2!, {
      status: 'collecting',
      phase_execution: execution('collect', 'c2', START + 60 * MIN),
    });
    Object.assign(t.pods[0]!, { status: 'terminated', host_id: 'wkr_1' });
    Object.assign(t.pods[1]!, { status: 'ready', host_id: 'wkr_1' });
    return t;
  }

  it('with one part archived: the open part is cancelled and ended, only the live pod torn down, the report held to the cut score, the session completed through finalizing without escalation', () => {
    const d = decide(oneArchived(), CLEANUP, 'dev');
    const p2 = d.tree.parts[1]!;
    expect(p2.status).toBe('cancelled');
    expect(p2.desired_status).toBe('cancelled');
    expect(p2.ended_at).toBe(iso(CLEANUP));
    expect(ofKind(d, 'teardown_pod').map((c) => [c.part, c.pod])).toEqual([[2, d.tree.pods[1]!.index]]);
    // 6 of 10 points against the session's cut score of 70: not passed.
    expect(d.tree.session.score_report).toMatchObject({ points_awarded: 6, points_max: 10, passed: false });
    expect(reasons(d.tree.session).slice(-2)).toEqual([
      'finalizing: cleanup deadline passed',
      'completed: cleanup deadline passed',
    ]);
    expect(d.tree.session.ended_at).toBe(iso(CLEANUP));
    expect(d.tree.session).not.toHaveProperty('escalation');
  });

  it('a session wanted cancelled ends cancelled at the deadline, ended then', () => {
    const t = oneArchived();
    t.session.desired_status = 'cancelled';
    const d = decide(t, CLEANUP, 'dev');
    expect(d.tree.session.status).toBe('cancelled');
    expect(d.tree.session.ended_at).toBe(iso(CLEANUP));
  });

  it('an earlier escalation is kept, not overwritten', () => {
    const t = failedCleaning();
    const earlier = { reason: 'every part failed', at: iso(START + 66 * MIN), failed_parts: [1] };
    t.session.escalation = earlier;
    expect(decide(t, CLEANUP, 'dev').tree.session.escalation).toEqual(earlier);
  });
});

describe('one part archived, the other failed', () => {
  /** Aggregating: part 1 archived with its report, part 2 failed; both pods terminated. */
  function mixed(): SessionTree {
    const t = running('parallel', [true, true]);
    t.session.status = 'aggregating';
    Object.assign(t.parts[0]!, { status: 'archived', score_report: { ...REPORT } });
    Object.assign(t.parts[1]!, { status: 'failed' });
    for (const pod of t.pods) Object.assign(pod, { status: 'terminated', host_id: 'wkr_1' });
    return t;
  }

  it('the failed part fails alone: one decision combines the report, submits it and completes the session, unescalated', () => {
    const d = decide(mixed(), START + 65 * MIN, 'dev');
    expect(reasons(d.tree.session).slice(-3)).toEqual([
      'submitting: combined report ready',
      'finalizing: report submitted',
      'completed: finalized',
    ]);
    expect(d.tree.session.score_report).toMatchObject({ points_awarded: 6 });
    expect(d.tree.session).not.toHaveProperty('escalation');
  });

  it('a cancel is not done while a part still has a phase running, even with every pod gone and another part without one', () => {
    const t = mixed();
    t.session.status = 'running';
    t.session.desired_status = 'cancelled';
    Object.assign(t.parts[0]!, {
      status: 'failed',
      score_report: undefined,
      phase_execution: execution('archive', 'a1', START + 50 * MIN, { cleanup: true }),
    });
    const d = decide(t, START + 55 * MIN, 'dev');
    expect(d.tree.session.status).toBe('finalizing');
  });
});

describe('the phase log', () => {
  const entry = (i: number) => ({
    ...execution('collect', `x${i}`, START, { outcome: 'failed' as const }),
    attempt: i,
  });

  it('keeps the last 30 finished executions, newest last, each once and without its input', () => {
    const t = held();
    const p = t.parts[1]!;
    p.phase_log = Array.from({ length: 30 }, (_, i) => entry(i + 1));
    p.phase_execution = { ...entry(31), input: { session_id: 's' } as never };
    // Failing the part logs its last execution before the cleanup starts.
    const d = decide(t, START + 65 * MIN, 'dev');
    const log = d.tree.parts[1]!.phase_log!;
    expect(log).toHaveLength(30);
    expect(log[0]!.execution_name).toBe('x2');
    expect(log.at(-1)).toEqual(entry(31));
    // Logged once: an execution already in the log is not added again.
    const again = held();
    again.parts[1]!.phase_log = [entry(1)];
    again.parts[1]!.phase_execution = entry(1);
    expect(
      decide(again, START + 65 * MIN, 'dev').tree.parts[1]!.phase_log!.map((e) => e.execution_name),
    ).toEqual(['x1']);
  });
});

describe('recording a phase outcome', () => {
  /** Part 2 of `held()` has collect `c2` running. */
  it('records the outcome, error, cause (cut to 500 characters) and end on the running execution of that name', () => {
    const t = held();
    const at = START + 64 * MIN;
    expect(recordPhaseOutcome(t, 'c2', 'failed', 'States.Timeout', at, 'x'.repeat(501))).toBe(true);
    expect(t.parts[1]!.phase_execution).toEqual({
      ...execution('collect', 'c2', START + 60 * MIN),
      outcome: 'failed',
      error: 'States.Timeout',
      cause: 'x'.repeat(500),
      ended_at: iso(at),
    });
    expect(t.parts[1]!.updated_at).toBe(iso(at));
  });

  it('no error or cause: none recorded', () => {
    const t = held();
    expect(recordPhaseOutcome(t, 'c2', 'succeeded', undefined, START + 64 * MIN)).toBe(true);
    expect(t.parts[1]!.phase_execution).not.toHaveProperty('error');
    expect(t.parts[1]!.phase_execution).not.toHaveProperty('cause');
  });

  it('an unknown name or an execution that has already ended is refused, and nothing changes', () => {
    const t = held();
    const before = structuredClone(t);
    expect(recordPhaseOutcome(t, 'nope', 'succeeded', undefined, START + 64 * MIN)).toBe(false);
    // g1 (part 1's grade) has already succeeded.
    expect(recordPhaseOutcome(t, 'g1', 'failed', 'late', START + 64 * MIN)).toBe(false);
    expect(t).toEqual(before);
  });
});
