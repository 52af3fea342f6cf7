/**
 * The reconcile decision's part-level rules (issue 18, decide.ts from line 301): when an open part
 * ends (its deadline from both sides, the candidate, a wrap-up) and with which reason, the move to
 * monitoring, the review (automatic, manual, its due time), a lost pod (which statuses it fails,
 * which it sends back to instantiate) and which earlier phases count after a pod was placed again.
 * Pure: every decision is taken at an instant the test names.
 */
import { describe, expect, it } from 'vitest';
import { decide, type Command } from '../../../shared/orchestration/decide.ts';
import type { PartDoc, SessionTree } from '../../../shared/domain/session.ts';
import { iso } from '../../../shared/domain/clock.ts';
import { MIN, T0, execution, running, tree } from './fixtures.ts';

const START = T0 + 60 * MIN;
const reasons = (p: PartDoc) => p.state_history.map((h) => `${h.to}: ${h.reason ?? ''}`);
const started = (d: { commands: Command[] }) =>
  d.commands.flatMap((c) => (c.kind === 'start_execution' ? [c.phase] : []));

/** A running single-part session (no pods); the part open since START, deadline at START + 60. */
function open(status: PartDoc['status'] = 'waiting', pod = false): SessionTree {
  const t = tree({ execution: 'single', parts: [{ minutes: 60, pod }] });
  t.session.status = 'running';
  const p = t.parts[0]!;
  p.status = status;
  p.activated_at = iso(START);
  p.started_at = iso(START);
  p.deadline = iso(START + 60 * MIN);
  return t;
}

describe('an open part ends at its deadline, when the candidate ends it, or on a wrap-up', () => {
  it('one millisecond before the deadline it keeps waiting; at the deadline it collects, then grades', () => {
    const before = decide(open(), START + 60 * MIN - 1, 'dev');
    expect(before.changed).toEqual([]);
    expect(before.tree.parts[0]!.status).toBe('waiting');
    const at = decide(open(), START + 60 * MIN, 'dev');
    const p = at.tree.parts[0]!;
    expect(reasons(p).slice(-2)).toEqual(['collecting: deadline reached', 'grading: collecting done']);
    expect(started(at)).toEqual(['grade']);
  });

  it('a monitoring part ends at its deadline too', () => {
    const d = decide(open('monitoring'), START + 60 * MIN, 'dev');
    expect(reasons(d.tree.parts[0]!)).toContain('collecting: deadline reached');
  });

  it('the candidate ending it wins, before the deadline, even over a wrap-up', () => {
    const t = open();
    t.parts[0]!.end_requested = { at: iso(START + 5 * MIN), by: 'candidate' };
    t.parts[0]!.desired_status = 'archived';
    const d = decide(t, START + 5 * MIN, 'dev');
    expect(reasons(d.tree.parts[0]!)).toContain('collecting: ended by the candidate');
  });

  it('a wrap-up ends it before the deadline', () => {
    const t = open();
    t.parts[0]!.desired_status = 'archived';
    const d = decide(t, START + 5 * MIN, 'dev');
    expect(reasons(d.tree.parts[0]!)).toContain('collecting: wrap-up requested');
  });

  it('a part without a deadline keeps waiting', () => {
    const t = open();
    delete t.parts[0]!.deadline;
    // Past the session's end (START + 60), before its cleanup deadline (START + 70).
    expect(decide(t, START + 65 * MIN, 'dev').tree.parts[0]!.status).toBe('waiting');
  });
});

describe('the candidate starting moves waiting to monitoring, once', () => {
  it('with a monitor phase it starts; without one, no execution', () => {
    const t = open();
    t.parts[0]!.candidate_started_at = iso(START + 2 * MIN);
    const plain = decide(t, START + 3 * MIN, 'dev');
    expect(reasons(plain.tree.parts[0]!).at(-1)).toBe('monitoring: candidate started');
    expect(plain.commands).toEqual([]);
    t.parts[0]!.phases = { ...t.parts[0]!.phases, monitor: 'dev-lcm-pd_1-monitor' };
    expect(started(decide(t, START + 3 * MIN, 'dev'))).toEqual(['monitor']);
  });

  it('a monitoring part with the candidate started does not move again', () => {
    const t = open('monitoring');
    t.parts[0]!.candidate_started_at = iso(START + 2 * MIN);
    const d = decide(t, START + 3 * MIN, 'dev');
    expect(d.changed).toEqual([]);
    expect(d.commands).toEqual([]);
  });
});

describe('review', () => {
  const REPORT = { points_awarded: 6, points_max: 10, percentage: 60, passed: true };
  function reviewing(review: 'auto' | 'manual'): SessionTree {
    const t = open('reviewing');
    const p = t.parts[0]!;
    p.review = review;
    p.score_report = { ...REPORT };
    return t;
  }

  it('automatic: straight on to submitting and archived (no phases defined for them)', () => {
    const d = decide(reviewing('auto'), START + 62 * MIN, 'dev');
    expect(reasons(d.tree.parts[0]!).slice(-3)).toEqual([
      'submitting: automatic review',
      'archiving: submitting done',
      'archived: lifecycle complete',
    ]);
  });

  it('manual without a decision: the part waits, nothing changes', () => {
    const d = decide(reviewing('manual'), START + 62 * MIN, 'dev');
    expect(d.changed).toEqual([]);
    expect(d.tree.parts[0]!.status).toBe('reviewing');
  });

  it('manual with a decision: applied (points capped at the maximum, the percentage recomputed), then on', () => {
    const t = reviewing('manual');
    t.parts[0]!.review_decision = {
      decision: 'accept',
      points_awarded: 12,
      at: iso(START + 62 * MIN),
      by: 'rev',
    } as never;
    const d = decide(t, START + 62 * MIN, 'dev');
    const p = d.tree.parts[0]!;
    expect(reasons(p)).toContain('submitting: review decided');
    expect(p.score_report).toMatchObject({ points_awarded: 10, percentage: 100, passed: true });
  });

  it('a rejection fails the report whatever its points', () => {
    const t = reviewing('manual');
    t.parts[0]!.review_decision = { decision: 'reject', at: iso(START + 62 * MIN), by: 'rev' } as never;
    const d = decide(t, START + 62 * MIN, 'dev');
    expect(d.tree.parts[0]!.score_report).toMatchObject({ points_awarded: 6, percentage: 60, passed: false });
  });

  /** A manual review of a report with the given fields, decided as given. */
  function decided(report: Record<string, unknown>, decision: Record<string, unknown>) {
    const t = reviewing('manual');
    const p = t.parts[0]!;
    p.score_report = report as never;
    p.review_decision = { decision: 'accept', at: iso(START + 62 * MIN), by: 'rev', ...decision } as never;
    return decide(t, START + 62 * MIN, 'dev').tree.parts[0]!.score_report as Record<string, unknown>;
  }

  it('the decision is recorded in the report: what, the comment, when and by whom', () => {
    const r = decided({ ...REPORT }, { comment: 'sound design' });
    expect(r.review).toEqual({
      decision: 'accept',
      comment: 'sound design',
      at: iso(START + 62 * MIN),
      by: 'rev',
    });
    expect(r).toMatchObject({ points_awarded: 6, percentage: 60, passed: true });
  });

  it('points on a report without a maximum stand as given, with no percentage', () => {
    const r = decided({ points_awarded: 6, passed: true }, { points_awarded: 4 });
    expect(r.points_awarded).toBe(4);
    expect(r).not.toHaveProperty('percentage');
  });

  it('the percentage is rounded to two decimals; a report without awarded points counts as none', () => {
    expect(decided({ points_max: 3 }, { points_awarded: 2 }).percentage).toBe(66.67);
    expect(decided({ points_max: 10 }, {}).percentage).toBe(0);
  });

  /** Grading has just succeeded. */
  function graded(review: 'auto' | 'manual', minutes?: number): SessionTree {
    const t = open('grading');
    const p = t.parts[0]!;
    p.review = review;
    if (minutes !== undefined) p.review_deadline_minutes = minutes;
    p.phase_execution = execution('grade', 'g1', START + 61 * MIN, {
      outcome: 'succeeded',
      ended_at: iso(START + 62 * MIN),
    });
    return t;
  }

  it("a manual review is due the definition's minutes after the part entered reviewing; none otherwise", () => {
    const at = START + 63 * MIN;
    const manual = decide(graded('manual', 30), at, 'dev').tree.parts[0]!;
    expect(manual.status).toBe('reviewing');
    expect(manual.review_due).toBe(iso(at + 30 * MIN));
    expect(decide(graded('manual'), at, 'dev').tree.parts[0]).not.toHaveProperty('review_due');
    const auto = decide(graded('auto', 30), at, 'dev').tree.parts[0]!;
    expect(auto).not.toHaveProperty('review_due');
  });
});

describe('a lost pod', () => {
  function lost(status: PartDoc['status']): SessionTree {
    const t = open(status, true);
    const p = t.parts[0]!;
    p.phase_execution = execution(status === 'collecting' ? 'collect' : 'grade', 'x1', START + 60 * MIN);
    const pod = t.pods[0]!;
    pod.status = 'failed';
    pod.host_id = 'wkr_1';
    pod.state_history.push({
      from: 'ready',
      to: 'failed',
      at: iso(START),
      by: 'fleet',
      reason: 'worker lost',
    });
    return t;
  }

  it("fails a collecting part with the pod's reason and stops its phase", () => {
    const d = decide(lost('collecting'), START + 61 * MIN, 'dev');
    const p = d.tree.parts[0]!;
    expect(p.status).toBe('failed');
    expect(p.failure).toEqual({ phase: 'collecting', error: 'pod_lost', cause: 'worker lost' });
    expect(d.commands).toContainEqual(
      expect.objectContaining({ kind: 'stop_execution', reason: 'worker lost' }),
    );
  });

  it('does not fail a grading part (the lab is no longer read): its phase goes on', () => {
    const d = decide(lost('grading'), START + 61 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('grading');
    expect(d.commands).toEqual([]);
  });

  /** Instantiating ahead of its start (not open), the instantiate phase done; the pod put back. */
  function putBack(provisioned: boolean): SessionTree {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.session.status = 'admitting';
    const p = t.parts[0]!;
    p.status = 'instantiating';
    if (provisioned) p.provisioned = true;
    p.phase_execution = execution('instantiate', 'i1', START - 15 * MIN, {
      outcome: 'succeeded',
      ended_at: iso(START - 10 * MIN),
    });
    return t;
  }

  it('a pod put back to be placed again re-instantiates a provisioned part, from then', () => {
    const t = putBack(true);
    const d = decide(t, START - 5 * MIN, 'dev');
    const p = d.tree.parts[0]!;
    expect(p.status).toBe('instantiating');
    // Already instantiating: no move, so no history entry (a status never moves to itself).
    expect(p.state_history).toEqual(t.parts[0]!.state_history);
    expect(p.provisioned).toBe(false);
    expect(p.replaced_at).toBe(iso(START - 5 * MIN));
    expect(started(d)).toEqual(['instantiate']);
  });

  it('while the instantiate phase still runs, its pending pod is not a loss: nothing moves', () => {
    const t = putBack(false);
    const ex = t.parts[0]!.phase_execution!;
    delete ex.outcome;
    delete ex.ended_at;
    const d = decide(t, START - 5 * MIN, 'dev');
    expect(d.changed).toEqual([]);
    expect(d.commands).toEqual([]);
  });

  it('after a pod was placed again, a phase started at the replacement instant counts; one before it does not', () => {
    const R = START - 5 * MIN;
    const again = (startedAt: number) => {
      const t = putBack(false);
      const p = t.parts[0]!;
      t.pods[0]!.status = 'ready';
      t.pods[0]!.host_id = 'wkr_2';
      p.replaced_at = iso(R);
      p.phase_execution = { ...p.phase_execution!, started_at: iso(startedAt), ended_at: iso(R + MIN) };
      return decide(t, R + 2 * MIN, 'dev');
    };
    const same = again(R);
    expect(started(same)).toEqual([]);
    expect(same.tree.parts[0]!.provisioned).toBe(true);
    expect(started(again(R - 1))).toEqual(['instantiate']);
  });
});

describe('starting a phase: its attempt, name and input', () => {
  const SID = 'ses_01jabcdefghjkmnpqrstvwxyz0';
  const entry = (phase: string, attempt: number, outcome: 'succeeded' | 'failed', cleanup = false) => ({
    phase,
    execution_name: `${phase}-${cleanup ? 'c' : ''}${attempt}`,
    state_machine: 'sm',
    attempt,
    started_at: iso(START),
    outcome,
    ...(cleanup ? { cleanup: true } : {}),
  });

  /** Collecting done; grading next. Two pods: one ready, one already terminated. */
  function collected(): SessionTree {
    const t = open('collecting', true);
    const p = t.parts[0]!;
    p.phase_log = [
      entry('grade', 1, 'failed'),
      entry('grade', 3, 'failed'),
      entry('grade', 5, 'failed', true),
    ];
    p.phase_log.push(entry('collect', 7, 'succeeded'));
    p.phase_execution = { ...entry('collect', 8, 'succeeded'), execution_name: 'collect-8' };
    t.pods[0]!.status = 'ready';
    t.pods.push({ ...structuredClone(t.pods[0]!), id: 'pod_gone', index: 1, status: 'terminated' });
    return t;
  }

  it('one more than the last attempt of the same phase (cleanups apart), with only the live pods', () => {
    const d = decide(collected(), START + 61 * MIN, 'dev');
    expect(d.commands).toEqual([
      {
        kind: 'start_execution',
        part: 1,
        phase: 'grade',
        state_machine: 'dev-lcm-pd_1-grade',
        execution_name: `dev-lcm-${SID}-p1-grade-a4`,
        input: {
          session_id: SID,
          part_order: 1,
          phase: 'grade',
          attempt: 4,
          pod_definition_id: 'pd_1',
          pods: [{ index: 0, id: 'pod_1' }],
          cleanup: false,
        },
      },
    ]);
    expect(d.tree.parts[0]!.phase_execution).toMatchObject({
      phase: 'grade',
      attempt: 4,
      started_at: iso(START + 61 * MIN),
    });
    expect(d.tree.parts[0]!.phase_execution).not.toHaveProperty('cleanup');
  });

  it('a part without a pod definition says null', () => {
    const t = collected();
    delete t.parts[0]!.pod_definition_id;
    const d = decide(t, START + 61 * MIN, 'dev');
    expect(d.commands[0]).toMatchObject({ input: { pod_definition_id: null } });
  });
});

describe('a failed phase fails the part and releases its pods', () => {
  /** Collecting with its collect phase ended as given; the pod in `pod`. */
  function failing(o: { error?: string; cause?: string; pod?: 'ready' | 'pending' }): SessionTree {
    const t = open('collecting', true);
    const p = t.parts[0]!;
    p.phase_log = [
      { phase: 'archive', execution_name: 'a2', state_machine: 'sm', attempt: 2, started_at: iso(START) },
      {
        phase: 'archive',
        execution_name: 'ac1',
        state_machine: 'sm',
        attempt: 1,
        started_at: iso(START),
        cleanup: true,
      },
    ] as never;
    p.phase_execution = execution('collect', 'c1', START + 60 * MIN, {
      outcome: 'failed',
      ...(o.error ? { error: o.error } : {}),
      ...(o.cause ? { cause: o.cause } : {}),
    });
    t.pods[0]!.status = o.pod ?? 'ready';
    return t;
  }

  it('with the error and cause; the lab it touched is archived by a cleanup (its own attempt count)', () => {
    const d = decide(failing({ error: 'States.Timeout', cause: 'too slow' }), START + 61 * MIN, 'dev');
    const p = d.tree.parts[0]!;
    expect(p.status).toBe('failed');
    expect(p.failure).toEqual({ phase: 'collect', error: 'States.Timeout', cause: 'too slow' });
    expect(reasons(p).at(-1)).toBe('failed: phase collect failed: States.Timeout');
    expect(d.commands).toHaveLength(1);
    expect(d.commands[0]).toMatchObject({
      kind: 'start_execution',
      phase: 'archive',
      execution_name: 'dev-lcm-ses_01jabcdefghjkmnpqrstvwxyz0-p1-cleanup-archive-a2',
      input: { cleanup: true, attempt: 2 },
    });
    expect(p.phase_execution).toMatchObject({ phase: 'archive', cleanup: true });
    expect(d.tree.pods[0]!.status).toBe('ready');
  });

  it('without an error the outcome stands for it, and no cause is invented', () => {
    const p = decide(failing({}), START + 61 * MIN, 'dev').tree.parts[0]!;
    expect(p.failure).toEqual({ phase: 'collect', error: 'failed' });
    expect(reasons(p).at(-1)).toBe('failed: phase collect failed');
  });

  it('pods that never touched a lab are released at once, without a cleanup', () => {
    const d = decide(failing({ pod: 'pending' }), START + 61 * MIN, 'dev');
    expect(d.commands).toEqual([]);
    expect(d.tree.pods[0]!.status).toBe('terminated');
    expect(d.tree.pods[0]!.state_history.at(-1)?.reason).toBe('released before provisioning');
    expect(d.tree.pods[0]!.ended_at).toBe(iso(START + 61 * MIN));
  });

  it('without an archive phase the teardown phase cleans up; with neither the pods are released', () => {
    const t = failing({});
    t.parts[0]!.phases = { instantiate: 'i', collect: 'c', teardown: 'dev-lcm-pd_1-teardown' };
    expect(decide(t, START + 61 * MIN, 'dev').commands[0]).toMatchObject({
      phase: 'teardown',
      input: { cleanup: true },
    });
    const bare = failing({});
    bare.parts[0]!.phases = { instantiate: 'i', collect: 'c' };
    const d = decide(bare, START + 61 * MIN, 'dev');
    expect(d.commands).toEqual([]);
    expect(d.tree.pods[0]!.status).toBe('terminated');
  });
});

describe('more part moves (issue 18, decide.ts 301–450 survivors)', () => {
  it('a part provisioned ahead of its start is not written again while it waits for it', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.session.status = 'admitting';
    const p = t.parts[0]!;
    p.status = 'instantiating';
    p.provisioned = true;
    p.phase_execution = execution('instantiate', 'i1', START - 15 * MIN, { outcome: 'succeeded' });
    Object.assign(t.pods[0]!, { status: 'ready', host_id: 'wkr_1' });
    const d = decide(t, START - 5 * MIN, 'dev');
    expect(d.changed).toEqual([]);
  });

  it('a monitoring part whose monitor phase has ended does not start it again', () => {
    const t = open('monitoring');
    const p = t.parts[0]!;
    p.candidate_started_at = iso(START + 2 * MIN);
    p.phases = { ...p.phases, monitor: 'dev-lcm-pd_1-monitor' };
    p.phase_execution = execution('monitor', 'm1', START + 2 * MIN, { outcome: 'succeeded' });
    const d = decide(t, START + 10 * MIN, 'dev');
    expect(d.commands).toEqual([]);
    expect(d.tree.parts[0]!.status).toBe('monitoring');
  });

  it('archiving runs each of its phases in turn: teardown, then archive', () => {
    const t = open('archiving', true);
    const p = t.parts[0]!;
    p.phases = { ...p.phases, teardown: 'dev-lcm-pd_1-teardown' };
    p.phase_execution = execution('teardown', 't1', START + 62 * MIN, { outcome: 'succeeded' });
    const d = decide(t, START + 63 * MIN, 'dev');
    expect(started(d)).toEqual(['archive']);
    expect(d.tree.parts[0]!.status).toBe('archiving');
  });

  it('a review phase starts when the part enters reviewing', () => {
    const t = open('grading');
    const p = t.parts[0]!;
    p.phases = { ...p.phases, review: 'dev-lcm-pd_1-review' };
    p.phase_execution = execution('grade', 'g1', START + 61 * MIN, { outcome: 'succeeded' });
    const d = decide(t, START + 62 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('reviewing');
    expect(started(d)).toEqual(['review']);
  });

  it('entering a status without a phase logs the last one and clears it; a manual review is due only once reviewing', () => {
    const t = open('grading');
    const p = t.parts[0]!;
    p.review = 'manual';
    p.review_deadline_minutes = 30;
    p.phase_execution = execution('grade', 'g1', START + 61 * MIN, { outcome: 'succeeded' });
    const d = decide(t, START + 62 * MIN, 'dev');
    const out = d.tree.parts[0]!;
    expect(out.status).toBe('reviewing');
    expect(out).not.toHaveProperty('phase_execution');
    expect(out.phase_log!.map((e) => e.execution_name)).toEqual(['g1']);
    // Before reviewing (collecting, then grading) no review is due yet.
    const w = open('waiting');
    w.parts[0]!.review = 'manual';
    w.parts[0]!.review_deadline_minutes = 30;
    const g = decide(w, START + 60 * MIN, 'dev').tree.parts[0]!;
    expect(g.status).toBe('grading');
    expect(g).not.toHaveProperty('review_due');
  });

  /** The pod lost while the part waits for the candidate; its history has an earlier reason. */
  function lostWhileWaiting(history?: 'empty'): SessionTree {
    const t = open('waiting', true);
    const pod = t.pods[0]!;
    Object.assign(pod, { status: 'failed', host_id: 'wkr_1' });
    pod.state_history =
      history === 'empty'
        ? []
        : [
            ...pod.state_history,
            { from: 'pending', to: 'ready', at: iso(START - 5 * MIN), by: 'fleet', reason: 'lab started' },
            { from: 'ready', to: 'failed', at: iso(START), by: 'fleet', reason: 'worker lost' },
          ];
    return t;
  }

  it('a waiting part fails when its pod is lost, with the last reason of the pod, ended then', () => {
    const d = decide(lostWhileWaiting(), START + 5 * MIN, 'dev');
    const p = d.tree.parts[0]!;
    expect(p.status).toBe('failed');
    expect(p.failure).toEqual({ phase: 'waiting', error: 'pod_lost', cause: 'worker lost' });
    expect(p.ended_at).toBe(iso(START + 5 * MIN));
  });

  it('a lost pod without any history names itself', () => {
    const p = decide(lostWhileWaiting('empty'), START + 5 * MIN, 'dev').tree.parts[0]!;
    expect(p.failure).toEqual({ phase: 'waiting', error: 'pod_lost', cause: 'pod pod_1 failed' });
  });

  /** Instantiated ahead and provisioned; its pod put back to be placed again, with the given history. */
  function putBackAgain(
    history: 'reasons' | 'empty',
    status: PartDoc['status'] = 'instantiating',
  ): SessionTree {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    t.session.status = status === 'instantiating' ? 'admitting' : 'running';
    const p = t.parts[0]!;
    p.status = status;
    p.provisioned = true;
    if (status !== 'instantiating') {
      p.activated_at = iso(START);
      p.deadline = iso(START + 60 * MIN);
      if (status === 'monitoring') p.candidate_started_at = iso(START + MIN);
    }
    const pod = t.pods[0]!;
    pod.state_history =
      history === 'empty'
        ? []
        : [
            ...pod.state_history,
            { from: 'pending', to: 'ready', at: iso(START - 10 * MIN), by: 'fleet', reason: 'lab started' },
            {
              from: 'ready',
              to: 'pending',
              at: iso(START - 6 * MIN),
              by: 'fleet',
              reason: 'worker lost; again',
            },
          ];
    return t;
  }

  it("re-instantiating says the pod's last reason, or names the pod when it has none", () => {
    const d = decide(putBackAgain('reasons', 'waiting'), START + 5 * MIN, 'dev');
    expect(reasons(d.tree.parts[0]!).at(-1)).toBe('instantiating: worker lost; again');
    const e = decide(putBackAgain('empty', 'waiting'), START + 5 * MIN, 'dev');
    expect(reasons(e.tree.parts[0]!).at(-1)).toBe('instantiating: pod pod_1 is to be placed again');
  });

  it('a monitoring part is not instantiated again for a pod put back (only before the candidate starts)', () => {
    const d = decide(putBackAgain('reasons', 'monitoring'), START + 5 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('monitoring');
    expect(started(d)).toEqual([]);
  });
});

describe('waiting for capacity: which pods, which bound, which failures', () => {
  /** Instantiating ahead of the start; its instantiate phase ended as given at `endedAt`. */
  function waitFailed(o: {
    outcome?: 'failed' | 'timed_out';
    status?: PartDoc['status'];
    endedAt: number;
    parts?: number;
  }): SessionTree {
    const t = tree({
      execution: 'parallel',
      parts: Array.from({ length: o.parts ?? 1 }, () => ({ minutes: 60, pod: true })),
    });
    t.session.status = 'admitting';
    const p = t.parts[0]!;
    p.status = o.status ?? 'instantiating';
    p.phase_execution = execution(o.status === 'waiting' ? 'ready' : 'instantiate', 'i1', o.endedAt - MIN, {
      ended_at: iso(o.endedAt),
      outcome: o.outcome ?? 'failed',
      error: 'lcm.WaitingForCapacity',
      cause: 'booting',
    });
    return t;
  }

  it("only the part's own pods that are pending and unplaced hold it: placed and gone pods, and other parts' pods, do not", () => {
    const t = waitFailed({ endedAt: START + 5 * MIN, parts: 2 });
    Object.assign(t.pods[0]!, { status: 'provisioning', host_id: 'w_1' });
    t.pods.push({
      ...structuredClone(t.pods[0]!),
      id: 'pod_gone',
      index: 1,
      status: 'failed',
      host_id: undefined,
    });
    delete t.pods[2]!.host_id;
    // Part 2's pod is pending and unplaced; part 2 itself is already cancelled (it moves nothing).
    t.parts[1]!.status = 'cancelled';
    const d = decide(t, START + 10 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('instantiating');
    expect(started(d)).toEqual(['instantiate']);
  });

  it('with two pods waiting, the wait lasts until the later bound', () => {
    const t = waitFailed({ endedAt: START + 19 * MIN });
    // pod_1 pending since T0 (bound: the start); pod_2 put back at START + 10 (bound: + 15 min lead).
    const second = { ...structuredClone(t.pods[0]!), id: 'pod_2', index: 1 };
    second.state_history.push({ from: 'ready', to: 'pending', at: iso(START + 10 * MIN), by: 'fleet' });
    t.pods.push(second);
    const d = decide(t, START + 20 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('instantiating');
    expect(d.tree.parts[0]!.waiting_for_capacity).toMatchObject({ until: iso(START + 25 * MIN) });
    expect(decide(t, START + 25 * MIN, 'dev').tree.parts[0]!.status).toBe('failed');
  });

  it('a timed-out phase, or a part no longer instantiating, fails whatever the error says', () => {
    const timedOut = decide(
      waitFailed({ endedAt: START - 5 * MIN, outcome: 'timed_out' }),
      START - 4 * MIN,
      'dev',
    );
    expect(timedOut.tree.parts[0]!.status).toBe('failed');
    const open = waitFailed({ endedAt: START + 5 * MIN, status: 'waiting' });
    open.session.status = 'running';
    open.parts[0]!.activated_at = iso(START);
    open.parts[0]!.deadline = iso(START + 60 * MIN);
    open.parts[0]!.phases = { ...open.parts[0]!.phases, ready: 'dev-lcm-pd_1-ready' };
    Object.assign(open.pods[0]!, { status: 'ready', host_id: 'w_1' });
    const d = decide(open, START + 6 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('failed');
  });
});

describe('which pods a part releases, and how a part ends (issue 18, decide.ts 451–556 survivors)', () => {
  /** Parallel, two parts open since START with a pod each, placed and ready. */
  function twoOpen(): SessionTree {
    const t = running('parallel', [true, true]);
    for (const p of t.parts)
      Object.assign(p, {
        status: 'waiting',
        activated_at: iso(START),
        started_at: iso(START),
        deadline: iso(START + 60 * MIN),
      });
    for (const pod of t.pods) Object.assign(pod, { status: 'ready', host_id: 'wkr_1' });
    return t;
  }

  /** Part 1 of `twoOpen` collecting, its collect phase ended as given. */
  function collectEnded(outcome: 'succeeded' | 'failed'): SessionTree {
    const t = twoOpen();
    const p = t.parts[0]!;
    p.status = 'collecting';
    p.phase_execution = execution('collect', 'c1', START + 30 * MIN, {
      outcome,
      ended_at: iso(START + 31 * MIN),
    });
    return t;
  }

  it("a phase's input lists only its own part's pods", () => {
    const d = decide(collectEnded('succeeded'), START + 32 * MIN, 'dev');
    expect(d.commands).toHaveLength(1);
    expect(d.commands[0]).toMatchObject({ phase: 'grade', input: { pods: [{ index: 0, id: 'pod_1' }] } });
  });

  it("a failed part whose pod never touched a lab releases it at once, whatever another part's pods hold", () => {
    const t = collectEnded('failed');
    t.pods[0]!.status = 'pending';
    delete t.pods[0]!.host_id;
    const d = decide(t, START + 32 * MIN, 'dev');
    expect(d.tree.parts.map((p) => p.status)).toEqual(['failed', 'waiting']);
    expect(d.commands).toEqual([]);
    expect(d.tree.pods.map((p) => p.status)).toEqual(['terminated', 'ready']);
  });

  it('a failed part whose pods are all gone starts no cleanup', () => {
    const t = collectEnded('failed');
    t.pods[0]!.status = 'terminated';
    const d = decide(t, START + 32 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('failed');
    expect(d.commands).toEqual([]);
  });

  it('one pod that touched a lab is enough for a cleanup that archives them all', () => {
    const t = collectEnded('failed');
    t.pods.push({ ...structuredClone(t.pods[0]!), id: 'pod_1b', index: 1, status: 'pending' });
    delete t.pods[2]!.host_id;
    const d = decide(t, START + 32 * MIN, 'dev');
    expect(started(d)).toEqual(['archive']);
    expect(d.commands[0]).toMatchObject({ input: { cleanup: true } });
    expect(d.tree.pods.map((p) => p.status)).toEqual(['ready', 'ready', 'pending']);
  });

  it('a failed part has ended at that instant', () => {
    const d = decide(collectEnded('failed'), START + 32 * MIN, 'dev');
    expect(d.tree.parts[0]!.ended_at).toBe(iso(START + 32 * MIN));
    expect(d.tree.parts[1]).not.toHaveProperty('ended_at');
  });
});
