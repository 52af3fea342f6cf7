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
import { MIN, T0, execution, tree } from './fixtures.ts';

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
    t.parts[0]!.phase_execution = execution('collect', 'x', START);
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
      p.phase_execution = execution('instantiate', `x${p.order}`, START);
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
    // The pods are gone, but a phase still runs (a cleanup): still finalizing.
    const running = structuredClone(t);
    running.parts[0]!.phase_execution = execution('archive', 'a1', START + 61 * MIN, { cleanup: true });
    expect(decide(running, START + 65 * MIN, 'dev').tree.session.status).toBe('finalizing');
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

describe('an extension (requested_end) moves the open parts that end with the session', () => {
  const END = START + 120 * MIN;
  /**
   * Running, parallel, quiet (nothing else moves): part 1 ends at 60 min, part 2 has archived,
   * parts 3 and 4 are open to the session's end. Parts 1 and 3 are registered in the LDS.
   */
  function extending(requestedEnd?: number): SessionTree {
    const t = tree({
      execution: 'parallel',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 120, pod: false },
        { minutes: 120, pod: false },
        { minutes: 120, pod: false },
      ],
    });
    t.session.status = 'running';
    t.session.started_at = iso(START);
    for (const p of t.parts) {
      p.status = 'waiting';
      p.activated_at = iso(START);
      p.started_at = iso(START);
      p.deadline = p.timeslot.end;
    }
    t.parts[1]!.status = 'archived';
    t.parts[0]!.lds_session_id = 'lds_1';
    t.parts[2]!.lds_session_id = 'lds_1';
    if (requestedEnd !== undefined) t.session.requested_end = iso(requestedEnd);
    return t;
  }

  it('the quiet tree moves nothing by itself', () => {
    const d = decide(extending(), START + 30 * MIN, 'dev');
    expect(d.changed).toEqual([]);
    expect(d.commands).toEqual([]);
  });

  it("30 minutes more: the session's end and each open part ending with it, by exactly 30 minutes", () => {
    const t = extending(END + 30 * MIN);
    // Part 4's deadline lies 10 minutes before the window's end: it moves by the 30 minutes too.
    t.parts[3]!.deadline = iso(END - 10 * MIN);
    const d = decide(t, START + 30 * MIN, 'dev');
    const [p1, p2, p3, p4] = d.tree.parts;
    expect(d.tree.session.timeslot.end).toBe(iso(END + 30 * MIN));
    expect(d.tree.session).not.toHaveProperty('requested_end');
    // Part 3: its window (start kept), planned minutes and deadline move.
    expect(p3!.timeslot).toMatchObject({ start: iso(START), end: iso(END + 30 * MIN) });
    expect(p3!.duration_minutes).toBe(150);
    expect(p3!.deadline).toBe(iso(END + 30 * MIN));
    expect(p4!.timeslot.end).toBe(iso(END + 30 * MIN));
    expect(p4!.duration_minutes).toBe(150);
    expect(p4!.deadline).toBe(iso(END + 20 * MIN));
    // Part 1 ends before the session does, part 2 has settled: neither moves.
    expect(p1!.timeslot.end).toBe(iso(START + 60 * MIN));
    expect(p1!.duration_minutes).toBe(60);
    expect(p1!.deadline).toBe(iso(START + 60 * MIN));
    expect(p2!.timeslot.end).toBe(iso(END));
    expect(p2!.duration_minutes).toBe(120);
    // The LDS hears of the one moved part registered with it (part 4 is not).
    expect(d.commands).toEqual([{ kind: 'lds_extend', part: 3, ends_at: iso(END + 30 * MIN) }]);
    expect([...d.changed].sort()).toEqual(['session', partRef(3), partRef(4)].sort());
  });

  it("a part's deadline moves by the added time but never past the new end", () => {
    const t = extending(END + 30 * MIN);
    t.parts[2]!.deadline = iso(END + 10 * MIN);
    const d = decide(t, START + 30 * MIN, 'dev');
    expect(d.tree.parts[2]!.deadline).toBe(iso(END + 30 * MIN));
  });

  it('a requested end at the current end, or before it, changes nothing; one millisecond later is applied', () => {
    for (const at of [END, END - 1, END - 30 * MIN]) {
      const d = decide(extending(at), START + 30 * MIN, 'dev');
      expect(d.tree.session.timeslot.end).toBe(iso(END));
      expect(d.tree.parts[2]!.timeslot.end).toBe(iso(END));
      expect(d.tree.parts[2]!.duration_minutes).toBe(120);
      expect(d.commands).toEqual([]);
    }
    const d = decide(extending(END + 1), START + 30 * MIN, 'dev');
    expect(d.tree.session.timeslot.end).toBe(iso(END + 1));
    expect(d.tree.parts[2]!.timeslot.end).toBe(iso(END + 1));
    expect(d.commands).toEqual([{ kind: 'lds_extend', part: 3, ends_at: iso(END + 1) }]);
  });
});

describe("the session's end closes the parts that never started", () => {
  /** Sequential: part 1 (gating) is grading with its phase running; part 2 never opened. */
  function gradingAtEnd(): SessionTree {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: false },
      ],
    });
    t.session.status = 'running';
    const p1 = t.parts[0]!;
    p1.status = 'grading';
    p1.activated_at = iso(START);
    p1.phase_execution = execution('grade', 'g1', START + 59 * MIN);
    return t;
  }
  const END = START + 120 * MIN;

  it('one millisecond before the end nothing is closed; at the end the unstarted part is cancelled, with the reason', () => {
    const before = decide(gradingAtEnd(), END - 1, 'dev');
    expect(before.tree.parts.map((p) => p.status)).toEqual(['grading', 'pending']);
    expect(before.changed).toEqual([]);
    const at = decide(gradingAtEnd(), END, 'dev');
    expect(at.tree.parts.map((p) => p.status)).toEqual(['grading', 'cancelled']);
    expect(lastReason(at.tree.parts[1]!)).toBe('the session ended before the part started');
    // Abandoned: wanted cancelled too, and ended then.
    expect(at.tree.parts[1]).toMatchObject({ desired_status: 'cancelled', ended_at: iso(END) });
    expect(at.changed).toEqual([partRef(2)]);
  });
});

describe('which parts open: order, gates and abort on part failure', () => {
  it('parts open by their order, whatever order the tree lists them in', () => {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: false },
      ],
    });
    t.session.status = 'running';
    t.parts.reverse();
    const d = decide(t, START, 'dev');
    const byOrder = (o: number) => d.tree.parts.find((p) => p.order === o)!;
    expect(byOrder(1).activated_at).toBe(iso(START));
    expect(byOrder(1).status).toBe('instantiating');
    expect(byOrder(2).activated_at).toBeUndefined();
    expect(byOrder(2).status).toBe('pending');
  });

  it('a parallel session ignores gates_next: every part opens at its start', () => {
    const t = tree({
      execution: 'parallel',
      parts: [
        { minutes: 60, pod: false, gates: true },
        { minutes: 60, pod: false, gates: true },
      ],
    });
    t.session.status = 'running';
    const d = decide(t, START, 'dev');
    expect(d.tree.parts.map((p) => p.activated_at)).toEqual([iso(START), iso(START)]);
  });

  it('an open part is not opened again: its activation time and deadline stay', () => {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: false },
      ],
    });
    t.session.status = 'running';
    const p1 = t.parts[0]!;
    p1.status = 'waiting';
    p1.activated_at = iso(START);
    p1.deadline = iso(START + 60 * MIN);
    const d = decide(t, START + 5 * MIN, 'dev');
    expect(d.changed).toEqual([]);
    expect(d.tree.parts[0]).toMatchObject({ activated_at: iso(START), deadline: iso(START + 60 * MIN) });
  });

  /** Sequential, aborting on part failure; part 2 gates the rest. */
  function aborting(part2: 'failed' | 'archived'): SessionTree {
    const t = tree({
      execution: 'sequential',
      abortOnFailure: true,
      parts: [
        { minutes: 60, pod: false, gates: false },
        { minutes: 60, pod: false, gates: true },
        { minutes: 60, pod: false, gates: true },
      ],
    });
    t.session.status = 'running';
    // Part 1 does not gate: it is still open (to 180 min) while part 2 has settled.
    const p1 = t.parts[0]!;
    p1.timeslot = makeTimeslot({ start: START, end: START + 180 * MIN });
    p1.status = 'waiting';
    p1.activated_at = iso(START);
    p1.deadline = iso(START + 180 * MIN);
    const p2 = t.parts[1]!;
    p2.activated_at = iso(START + 60 * MIN);
    p2.status = part2;
    return t;
  }

  it('a gating part that failed abandons every later unsettled part, and only those, with the reason', () => {
    const t = aborting('failed');
    const history2 = t.parts[1]!.state_history.length;
    const d = decide(t, START + 130 * MIN, 'dev');
    expect(d.tree.parts.map((p) => p.status)).toEqual(['waiting', 'failed', 'cancelled']);
    expect(lastReason(d.tree.parts[2]!)).toBe('part 2 failed and the definition aborts on part failure');
    expect(d.tree.parts[1]!.state_history).toHaveLength(history2);
    expect(d.changed).toEqual([partRef(3)]);
  });

  it('a gating part that archived opens the next part at its start, abort on failure or not', () => {
    const d = decide(aborting('archived'), START + 120 * MIN, 'dev');
    expect(d.tree.parts[2]!.activated_at).toBe(iso(START + 120 * MIN));
    expect(d.tree.parts[2]!.status).toBe('instantiating');
  });
});

describe('opening a part (activate)', () => {
  it('a pending part with an instantiate phase starts it and counts as started from then', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    t.session.status = 'running';
    const d = decide(t, START, 'dev');
    const p = d.tree.parts[0]!;
    expect(p.status).toBe('instantiating');
    expect(p.started_at).toBe(iso(START));
    expect(p.deadline).toBe(iso(START + 60 * MIN));
    expect(d.commands.map((c) => c.kind === 'start_execution' && c.phase)).toEqual(['instantiate']);
  });

  it('a part provisioned ahead opens straight into waiting, started then, without instantiating again', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.session.status = 'running';
    const p = t.parts[0]!;
    p.status = 'instantiating';
    p.provisioned = true;
    p.phase_execution = execution('instantiate', 'i1', START - 15 * MIN, {
      outcome: 'succeeded',
      ended_at: iso(START - 5 * MIN),
    });
    t.pods[0]!.status = 'ready';
    t.pods[0]!.host_id = 'wkr_1';
    const d = decide(t, START, 'dev');
    const out = d.tree.parts[0]!;
    expect(out.status).toBe('waiting');
    expect(lastReason(out)).toBe('activated; pods ready');
    expect(out.started_at).toBe(iso(START));
    expect(d.commands).toEqual([]);
  });

  it('a part without an instantiate phase opens into waiting and starts its ready phase', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    t.session.status = 'running';
    t.parts[0]!.phases = { ready: 'dev-lcm-pd_1-ready', grade: 'dev-lcm-pd_1-grade' };
    const d = decide(t, START, 'dev');
    const p = d.tree.parts[0]!;
    expect(p.status).toBe('waiting');
    expect(lastReason(p)).toBe('activated');
    expect(p.started_at).toBe(iso(START));
    expect(d.commands.map((c) => c.kind === 'start_execution' && c.phase)).toEqual(['ready']);
  });
});
