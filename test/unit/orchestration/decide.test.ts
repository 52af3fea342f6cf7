import { describe, expect, it } from 'vitest';
import { decide } from '../../../shared/orchestration/decide.ts';
import { executionName, parseExecutionName } from '../../../shared/domain/names.ts';
import { MIN, T0, drive, tree } from './fixtures.ts';

const starts = (cmds: { kind: string }[]) =>
  cmds.filter(
    (c): c is { kind: 'start_execution'; part: number; phase: string } & typeof c =>
      c.kind === 'start_execution',
  ) as unknown as {
    part: number;
    phase: string;
    execution_name: string;
  }[];

describe('decide: a single-part lablet', () => {
  it('runs admit → run → aggregate → submit → finalize, through every phase, with pods torn down', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const reports = { score_report: { points_awarded: 8, points_max: 10, percentage: 80, passed: true } };
    const { tree: end, commands } = drive(t, {
      until: T0 + 3 * 60 * MIN,
      onStep: (cur) => {
        const p = cur.parts[0]!;
        if (p.status === 'grading' && p.phase_execution?.outcome === 'succeeded' && !p.score_report)
          Object.assign(p, reports);
      },
    });
    expect(end.session.status).toBe('completed');
    expect(end.parts[0]!.status).toBe('archived');
    expect(end.pods[0]!.status).toBe('terminated');
    expect(starts(commands).map((c) => c.phase)).toEqual(['instantiate', 'collect', 'grade', 'archive']);
    expect(end.session.score_report).toMatchObject({
      points_awarded: 8,
      points_max: 10,
      percentage: 80,
      passed: true,
    });
    expect(end.session.state_history.map((h) => h.to)).toEqual([
      'pending',
      'admitting',
      'running',
      'aggregating',
      'submitting',
      'finalizing',
      'completed',
    ]);
    const statuses = end.parts[0]!.state_history.map((h) => h.to);
    expect(statuses).toEqual([
      'pending',
      'instantiating',
      'waiting',
      'collecting',
      'grading',
      'reviewing',
      'submitting',
      'archiving',
      'archived',
    ]);
  });

  it('provisions at provision_at, not before', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true, lead: 15 }] });
    const early = decide(t, T0 + 44 * MIN, 'dev'); // session starts at T0+60; lead 15 → provision at T0+45
    expect(early.commands).toEqual([]);
    expect(early.tree.session.status).toBe('pending');
    const due = decide(t, T0 + 45 * MIN, 'dev');
    expect(due.tree.session.status).toBe('admitting');
    expect(starts(due.commands).map((c) => c.phase)).toEqual(['instantiate']);
  });

  it('is idempotent: the same input decides the same thing, and a decided tree asks for nothing new', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const a = decide(t, T0 + 50 * MIN, 'dev');
    const b = decide(t, T0 + 50 * MIN, 'dev');
    expect(b).toEqual(a);
    const again = decide(a.tree, T0 + 50 * MIN, 'dev');
    expect(again.commands).toEqual([]);
    expect(again.changed).toEqual([]);
  });

  it('bumps each changed item by exactly one version per decision', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const d = decide(t, T0 + 61 * MIN, 'dev');
    expect(d.tree.session.state_version).toBe(t.session.state_version + 1);
    expect(d.tree.session.status).toBe('running');
    expect(d.tree.parts[0]!.state_version).toBe(t.parts[0]!.state_version + 1);
  });
});

describe('decide: sequential gated parts', () => {
  it('provisions the later part eagerly, but activates it only after the earlier one settles', () => {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 120, pod: false },
        { minutes: 60, pod: true, lead: 150 },
      ],
    });
    let overlapped = false;
    let provisionedWhileFirstActive = false;
    const { tree: end } = drive(t, {
      until: T0 + 5 * 60 * MIN,
      onStep: (cur) => {
        const [a, b] = cur.parts;
        const active = (s: string) => ['waiting', 'monitoring'].includes(s);
        if (active(a!.status) && active(b!.status)) overlapped = true;
        if (active(a!.status) && b!.provisioned) provisionedWhileFirstActive = true;
      },
    });
    expect(overlapped).toBe(false);
    expect(provisionedWhileFirstActive).toBe(true);
    expect(end.parts.map((p) => p.status)).toEqual(['archived', 'archived']);
    const a1 = Date.parse(end.parts[0]!.ended_at!);
    const b1 = Date.parse(end.parts[1]!.activated_at!);
    expect(b1).toBeGreaterThanOrEqual(a1);
  });

  it('a failed part does not stop the others; the session completes', () => {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 60, pod: true },
        { minutes: 60, pod: false },
      ],
    });
    const { tree: end, commands } = drive(t, {
      until: T0 + 4 * 60 * MIN,
      outcome: (c) => (c.part === 1 && c.phase === 'instantiate' ? 'failed' : 'succeeded'),
    });
    expect(end.parts.map((p) => p.status)).toEqual(['failed', 'archived']);
    expect(end.parts[0]!.failure).toEqual({ phase: 'instantiate', error: 'boom' });
    expect(end.session.status).toBe('completed');
    // the failed part's pod was cleaned up by an archive run
    expect(
      commands.some(
        (c) => c.kind === 'start_execution' && c.part === 1 && c.execution_name.includes('cleanup-archive'),
      ),
    ).toBe(true);
    expect(end.pods[0]!.status).toBe('terminated');
  });

  it('every part failing ends the session failed, with an escalation', () => {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: false },
      ],
    });
    const { tree: end } = drive(t, { until: T0 + 4 * 60 * MIN, outcome: () => 'failed' });
    expect(end.parts.map((p) => p.status)).toEqual(['failed', 'failed']);
    expect(end.session.status).toBe('failed');
    expect(end.session.escalation).toMatchObject({ reason: 'every part failed', failed_parts: [1, 2] });
  });

  it('abort_on_part_failure cancels the parts after a failed gate', () => {
    const t = tree({
      execution: 'sequential',
      abortOnFailure: true,
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: false },
      ],
    });
    const { tree: end } = drive(t, {
      until: T0 + 4 * 60 * MIN,
      outcome: (c) => (c.part === 1 ? 'failed' : 'succeeded'),
    });
    expect(end.parts.map((p) => p.status)).toEqual(['failed', 'cancelled']);
    expect(end.session.status).toBe('failed');
  });
});

describe('decide: parallel parts, review, cancel, deadlines', () => {
  it('parallel activates every part at once', () => {
    const t = tree({
      execution: 'parallel',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: false },
      ],
    });
    const d = decide(t, T0 + 60 * MIN, 'dev');
    expect(d.tree.parts.map((p) => p.activated_at)).toEqual([expect.any(String), expect.any(String)]);
  });

  it('manual review waits for a decision, then applies it', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false, review: 'manual' }] });
    let sawReviewing = false;
    const { tree: end } = drive(t, {
      until: T0 + 4 * 60 * MIN,
      onStep: (cur, now) => {
        const p = cur.parts[0]!;
        if (p.status === 'grading' && p.phase_execution?.outcome === 'succeeded' && !p.score_report)
          p.score_report = { points_awarded: 5, points_max: 10, percentage: 50, passed: false };
        if (p.status === 'reviewing') {
          sawReviewing = true;
          if (now > T0 + 100 * MIN)
            p.review_decision = {
              decision: 'accept',
              points_awarded: 9,
              at: new Date(now).toISOString(),
              by: 'reviewer',
            };
        }
      },
    });
    expect(sawReviewing).toBe(true);
    expect(end.parts[0]!.status).toBe('archived');
    expect(end.parts[0]!.score_report).toMatchObject({ points_awarded: 9, percentage: 90 });
  });

  it('cancel mid-run: unsettled parts cancelled, running execution stopped, pods torn down, settled parts keep results', () => {
    const t = tree({
      execution: 'sequential',
      parts: [
        { minutes: 60, pod: false },
        { minutes: 60, pod: true },
      ],
    });
    let cancelledAt = 0;
    const { tree: end, commands } = drive(t, {
      until: T0 + 5 * 60 * MIN,
      onStep: (cur, now) => {
        const [a, b] = cur.parts;
        if (a!.status === 'grading' && a!.phase_execution?.outcome === 'succeeded' && !a!.score_report)
          a!.score_report = { points_awarded: 7, points_max: 10, percentage: 70, passed: true };
        if (!cancelledAt && b!.status === 'waiting') {
          cur.session.desired_status = 'cancelled';
          cur.session.cancel_reason = 'candidate no-show';
          cancelledAt = now;
        }
      },
    });
    expect(cancelledAt).toBeGreaterThan(0);
    expect(end.session.status).toBe('cancelled');
    expect(end.parts.map((p) => p.status)).toEqual(['archived', 'cancelled']);
    expect(end.parts[0]!.score_report).toMatchObject({ points_awarded: 7 });
    expect(end.pods[0]!.status).toBe('terminated');
    expect(
      commands.some(
        (c) => c.kind === 'start_execution' && c.part === 2 && c.execution_name.includes('cleanup'),
      ),
    ).toBe(true);
  });

  it('past the cleanup deadline nothing survives: executions stopped, pods torn down, session finalized', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    // instantiate runs but never ends (a hung execution)
    let d = decide(t, T0 + 50 * MIN, 'dev');
    const hung = d.tree;
    d = decide(hung, T0 + (60 + 60 + 10) * MIN, 'dev');
    expect(d.tree.session.status).toBe('failed');
    expect(d.tree.parts[0]!.status).toBe('cancelled');
    expect(d.tree.pods[0]!.status).toBe('terminated');
    expect(d.commands.map((c) => c.kind).sort()).toEqual(['stop_execution', 'teardown_pod']);
    expect(d.tree.session.escalation?.reason).toBe('cleanup deadline passed');
  });

  it('extend moves the session end and the open part window', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    let d = decide(t, T0 + 61 * MIN, 'dev');
    const end0 = Date.parse(d.tree.parts[0]!.deadline!);
    d.tree.session.requested_end = new Date(Date.parse(d.tree.session.timeslot.end) + 30 * MIN).toISOString();
    d = decide(d.tree, T0 + 62 * MIN, 'dev');
    expect(Date.parse(d.tree.session.timeslot.end)).toBe(T0 + 150 * MIN);
    expect(Date.parse(d.tree.parts[0]!.deadline!)).toBe(end0 + 30 * MIN);
    expect(d.tree.session.requested_end).toBeUndefined();
  });

  it('the candidate starting moves waiting → monitoring; ending moves it to collecting before the deadline', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: false }] });
    let d = decide(t, T0 + 61 * MIN, 'dev');
    const inst = d.tree.parts[0]!.phase_execution!;
    d.tree.parts[0]!.phase_execution = { ...inst, outcome: 'succeeded' };
    d = decide(d.tree, T0 + 62 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('waiting');
    d.tree.parts[0]!.candidate_started_at = new Date(T0 + 63 * MIN).toISOString();
    d = decide(d.tree, T0 + 63 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('monitoring');
    d = decide(d.tree, T0 + 70 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('monitoring'); // deadline is T0+121
    d.tree.parts[0]!.end_requested = { at: new Date(T0 + 71 * MIN).toISOString(), by: 'candidate' };
    d = decide(d.tree, T0 + 71 * MIN, 'dev');
    // the part has no collect phase: it passes straight to grading and starts it
    expect(d.tree.parts[0]!.status).toBe('grading');
    expect(d.commands.map((c) => (c.kind === 'start_execution' ? c.phase : c.kind))).toEqual(['grade']);
    expect(d.tree.parts[0]!.state_history.map((h) => h.to)).toContain('collecting');
  });
});

describe('execution names', () => {
  it('are deterministic and parse back', () => {
    const n = executionName('dev', 'ses_01jabcdefghjkmnpqrstvwxyz0', 2, 'grade', 1);
    expect(n).toBe('dev-lcm-ses_01jabcdefghjkmnpqrstvwxyz0-p2-grade-a1');
    expect(n.length).toBeLessThanOrEqual(80);
    expect(parseExecutionName(n)).toEqual({
      stage: 'dev',
      session_id: 'ses_01jabcdefghjkmnpqrstvwxyz0',
      order: 2,
      phase: 'grade',
      attempt: 1,
    });
    expect(
      parseExecutionName(
        executionName('my-stage-2', 'ses_01jabcdefghjkmnpqrstvwxyz0', 1, 'archive', 2, true),
      ),
    ).toMatchObject({ stage: 'my-stage-2', phase: 'archive', attempt: 2 });
    // The longest stage still leaves the name whole (80 characters at most).
    const longest = executionName(
      'abcdefghijklmnop',
      'ses_01jabcdefghjkmnpqrstvwxyz0',
      10,
      'instantiate',
      10,
      true,
    );
    expect(longest.length).toBeLessThanOrEqual(80);
    expect(parseExecutionName(longest)?.attempt).toBe(10);
  });
});
