/**
 * The reconcile decision's session-level rules, each from both sides (issue 18, docs/testing.md
 * "Mutation testing"): one version per changed item and none for the others, the admission time
 * (the earliest provisioning time of the session or any part), the start of the timeslot, the
 * proctor's gate, the cleanup deadline, and the end of a part's wait for capacity. Pure: every
 * decision is taken at an instant the test names (no clock runs).
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../shared/orchestration/decide.ts';
import { partRef, podRef, type SessionTree } from '../../../shared/domain/session.ts';
import { iso } from '../../../shared/domain/clock.ts';
import { makeTimeslot } from '../../../shared/domain/timeslot.ts';
import { MIN, T0, tree } from './fixtures.ts';

/** Session starts at T0 + 60 min (the fixtures' default). */
const START = T0 + 60 * MIN;
const lastReason = (x: { state_history: { reason?: string }[] }) => x.state_history.at(-1)?.reason;

/** Two sequential 60-minute parts with pods, and distinct versions on every item. */
function versioned(): SessionTree {
  const t = tree({
    execution: 'sequential',
    parts: [
      { minutes: 60, pod: true },
      { minutes: 60, pod: true },
    ],
  });
  t.session.state_version = 5;
  t.parts[0]!.state_version = 4;
  t.parts[1]!.state_version = 9;
  t.pods[0]!.state_version = 3;
  t.pods[1]!.state_version = 7;
  return t;
}

describe('versions: each changed item moves by one from its own version, the others not at all', () => {
  it('only the first part provisions: the second part and both pods keep their versions', () => {
    const t = versioned();
    const d = decide(t, START - 15 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('instantiating');
    expect(d.tree.session.state_version).toBe(6);
    expect(d.tree.parts.map((p) => p.state_version)).toEqual([5, 9]);
    expect(d.tree.pods.map((p) => p.state_version)).toEqual([3, 7]);
    expect([...d.changed].sort()).toEqual(['session', partRef(1)].sort());
    // The input is not changed.
    expect(t.session.state_version).toBe(5);
    expect(t.parts[0]!.status).toBe('pending');
  });

  it('at the cleanup deadline every part and pod moves, each by one from its own version', () => {
    const t = versioned();
    t.session.status = 'running';
    const cleanup = START + 120 * MIN + 10 * MIN;
    const d = decide(t, cleanup, 'dev');
    expect(d.tree.session.status).toBe('failed');
    expect(d.tree.session.state_version).toBe(6);
    expect(d.tree.parts.map((p) => [p.status, p.state_version])).toEqual([
      ['cancelled', 5],
      ['cancelled', 10],
    ]);
    expect(d.tree.pods.map((p) => [p.status, p.state_version])).toEqual([
      ['terminated', 4],
      ['terminated', 8],
    ]);
    expect([...d.changed].sort()).toEqual(
      ['session', partRef(1), partRef(2), podRef(t.pods[0]!), podRef(t.pods[1]!)].sort(),
    );
  });
});

describe('the cleanup deadline (end + teardown buffer)', () => {
  it('one millisecond before it nothing is torn down; at it the session is finalized', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.session.status = 'running';
    t.parts[0]!.status = 'collecting';
    t.parts[0]!.phase_execution = {
      phase: 'collect',
      execution_name: 'x',
      state_machine: 'sm',
      attempt: 1,
      started_at: iso(START),
    };
    const deadline = START + 60 * MIN + 10 * MIN;
    const before = decide(t, deadline - 1, 'dev');
    expect(before.tree.session.status).toBe('running');
    expect(before.commands).toEqual([]);
    const at = decide(t, deadline, 'dev');
    expect(at.tree.session.status).toBe('failed');
    expect(lastReason(at.tree.session)).toBe('cleanup deadline passed');
    expect(at.commands.map((c) => c.kind).sort()).toEqual(['stop_execution', 'teardown_pod']);
  });

  it('a settled session is left alone, even past its cleanup deadline', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.session.status = 'completed';
    const d = decide(t, START + 24 * 60 * MIN, 'dev');
    expect(d.changed).toEqual([]);
    expect(d.commands).toEqual([]);
    expect(d.tree.pods[0]!.status).toBe('pending');
  });

  it('a cancel asked before the deadline is carried out at once: parts abandoned, session finalizing', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    t.session.status = 'running';
    t.session.desired_status = 'cancelled';
    const d = decide(t, START + 5 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('cancelled');
    expect(d.tree.session.status).toBe('cancelled');
  });
});

describe('admission: the earliest provisioning time of the session or any part', () => {
  it("a part with a longer lead time admits the session at that part's provisioning time, not a millisecond before", () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true, lead: 40 }] });
    // The session's own lead is the default 15 min; the part's is 40.
    expect(t.session.timeslot.lead_time_minutes).toBe(15);
    const provision = START - 40 * MIN;
    expect(decide(t, provision - 1, 'dev').tree.session.status).toBe('pending');
    const d = decide(t, provision, 'dev');
    expect(d.tree.session.status).not.toBe('pending');
    expect(d.tree.session.state_history.map((h) => h.to)).toContain('admitting');
    expect(d.tree.parts[0]!.status).toBe('instantiating');
  });

  it("the session's own lead counts when it is the longer one", () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false, lead: 5 }] });
    t.session.timeslot = makeTimeslot({ start: START, end: START + 60 * MIN, lead_time_minutes: 30 });
    expect(decide(t, START - 30 * MIN - 1, 'dev').tree.session.status).toBe('pending');
    expect(decide(t, START - 30 * MIN, 'dev').tree.session.status).toBe('admitting');
  });
});

describe('the timeslot start and the proctor gate', () => {
  const admitting = () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    t.session.status = 'admitting';
    return t;
  };

  it('running starts at the timeslot start, not a millisecond before', () => {
    expect(decide(admitting(), START - 1, 'dev').tree.session.status).toBe('admitting');
    const d = decide(admitting(), START, 'dev');
    expect(d.tree.session.status).toBe('running');
    expect(d.tree.session.state_history.find((h) => h.to === 'running')?.reason).toBe('timeslot started');
  });

  it('with a proctor gate the session waits at its start until admitted, and then says so', () => {
    const gated = admitting();
    gated.session.admission_gate = 'proctor';
    expect(decide(gated, START + 5 * MIN, 'dev').tree.session.status).toBe('admitting');
    gated.session.admitted = { at: iso(START + 6 * MIN), by: 'proctor-1' };
    expect(decide(gated, START + 5 * MIN, 'dev').tree.session.status).toBe('running');
    const early = admitting();
    early.session.admission_gate = 'proctor';
    early.session.admitted = { at: iso(START - 5 * MIN), by: 'proctor-1' };
    expect(decide(early, START - 1, 'dev').tree.session.status).toBe('admitting');
    const d = decide(early, START, 'dev');
    expect(d.tree.session.state_history.find((h) => h.to === 'running')?.reason).toBe(
      'timeslot started; admitted by a proctor',
    );
  });
});

describe('the end of a wait for capacity (D195)', () => {
  /** Part 1 instantiating with its phase running; `placed` pods have a worker. */
  function waiting(o: { status?: 'instantiating' | 'waiting'; placed: boolean; otherUnplaced?: boolean }) {
    const t = tree({
      execution: 'parallel',
      parts: [
        { minutes: 60, pod: true },
        { minutes: 60, pod: true },
      ],
    });
    t.session.status = 'running';
    for (const p of t.parts) {
      p.status = o.status ?? 'instantiating';
      p.activated_at = iso(START);
      p.phase_execution = {
        phase: 'instantiate',
        execution_name: `x${p.order}`,
        state_machine: 'sm',
        attempt: 1,
        started_at: iso(START),
      };
    }
    const wait = { since: iso(START), until: iso(START + 10 * MIN), reason: 'waiting' };
    t.parts[0]!.waiting_for_capacity = wait;
    if (o.placed) t.pods[0]!.host_id = 'wkr_1';
    if (!o.otherUnplaced) t.pods[1]!.host_id = 'wkr_2';
    return t;
  }

  it('stays while a pod of the part is left to place', () => {
    const d = decide(waiting({ placed: false }), START + MIN, 'dev');
    expect(d.tree.parts[0]!.waiting_for_capacity).toBeDefined();
    expect(d.changed).toEqual([]);
  });

  it("goes when the part's pods are placed, whatever another part's pods wait for", () => {
    const d = decide(waiting({ placed: true, otherUnplaced: true }), START + MIN, 'dev');
    expect(d.tree.parts[0]).not.toHaveProperty('waiting_for_capacity');
    expect(d.changed).toEqual([partRef(1)]);
  });

  it('goes when the part is no longer instantiating, even with a pod unplaced', () => {
    const d = decide(waiting({ placed: false, status: 'waiting' }), START + MIN, 'dev');
    expect(d.tree.parts[0]).not.toHaveProperty('waiting_for_capacity');
  });

  it('an unplaced pod that is no longer pending does not hold it', () => {
    const t = waiting({ placed: false });
    t.pods[0]!.status = 'provisioning';
    const d = decide(t, START + MIN, 'dev');
    expect(d.tree.parts[0]).not.toHaveProperty('waiting_for_capacity');
  });
});

describe('the session`s own moves', () => {
  it('moving to running stamps when the session started', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    t.session.status = 'admitting';
    const d = decide(t, START, 'dev');
    expect(d.tree.session.started_at).toBe(iso(START));
  });

  /** Aggregating with the given parts' outcomes (settled, so nothing else moves). */
  function aggregating(parts: { status: 'archived' | 'failed'; percentage?: number }[]) {
    const t = tree({ execution: 'parallel', parts: parts.map(() => ({ minutes: 60, pod: false })) });
    t.session.status = 'aggregating';
    parts.forEach((o, i) => {
      const p = t.parts[i]!;
      p.status = o.status;
      if (o.percentage !== undefined)
        p.score_report = {
          points_awarded: o.percentage,
          points_max: 100,
          percentage: o.percentage,
          passed: true,
        } as never;
    });
    return t;
  }

  it('an archived part without a report and a failed part: no report to combine, finalizing', () => {
    const d = decide(
      aggregating([{ status: 'archived' }, { status: 'failed', percentage: 90 }]),
      START + 61 * MIN,
      'dev',
    );
    expect(d.tree.session).not.toHaveProperty('score_report');
    expect(d.tree.session.state_history.map((h) => h.to)).toContain('finalizing');
    expect(d.tree.session.state_history.map((h) => h.to)).not.toContain('submitting');
    expect(d.tree.session.state_history.find((h) => h.to === 'finalizing')?.reason).toBe(
      'no part produced a report',
    );
  });

  it("an archived part's report is combined against the session's cut score", () => {
    const d = decide(aggregating([{ status: 'archived', percentage: 60 }]), START + 61 * MIN, 'dev');
    expect(d.tree.session.score_report).toMatchObject({ cut_score: 70, passed: false });
    expect(d.tree.session.state_history.map((h) => h.to)).toContain('submitting');
  });

  it('finalizing ends when every pod is gone and no phase runs, not before', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.session.status = 'finalizing';
    t.parts[0]!.status = 'archived';
    const waiting = decide(t, START + 65 * MIN, 'dev');
    expect(waiting.tree.session.status).toBe('finalizing');
    t.pods[0]!.status = 'terminated';
    const d = decide(t, START + 65 * MIN, 'dev');
    expect(d.tree.session.status).toBe('completed');
    expect(lastReason(d.tree.session)).toBe('finalized');
  });

  it('past the cleanup deadline a cancel wins over a held review: the session is cancelled', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false, review: 'manual' }] });
    t.session.status = 'running';
    t.parts[0]!.status = 'reviewing';
    t.session.held_for_review = { at: iso(START + 70 * MIN), parts: [1] };
    t.session.desired_status = 'cancelled';
    const d = decide(t, START + 80 * MIN, 'dev');
    expect(d.tree.session.status).toBe('cancelled');
    expect(d.tree.parts[0]!.status).toBe('cancelled');
  });
});
