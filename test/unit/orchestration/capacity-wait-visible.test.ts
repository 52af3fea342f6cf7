/**
 * A part whose pod waits for capacity says so (issue 13; D150, D147, D195): the part carries
 * `waiting_for_capacity {since, until, reason}` from its first wait until its pods are placed
 * (or the part fails at the bound), the wait is announced once
 * (`lcm.session_part.waiting_for_capacity.v1`), and the phase's re-runs a minute apart are not
 * announced one by one — while the reconciler still runs the phase again every minute.
 */
import { describe, expect, it } from 'vitest';
import { noteCapacityWait, WAITING_FOR_CAPACITY } from '../../../shared/domain/placement.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import { eventsForChange, type ItemImage } from '../../../shared/events/outbox.ts';
import { EVENT_TYPES } from '../../../shared/events/types.ts';
import { CAPACITY_RETRY_MS, decide, recordPhaseOutcome } from '../../../shared/orchestration/decide.ts';
import { MIN, T0, tree } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const CAUSE = 'pod pod_1 waits for a worker that is booting (w_2) until …; no running worker can take it';

describe('noteCapacityWait: the pure rule', () => {
  it('the first wait records since (when the phase failed), the bound and the reason', () => {
    expect(noteCapacityWait(undefined, { failedAt: T0, until: T0 + 15 * MIN, cause: CAUSE })).toEqual({
      since: iso(T0),
      until: iso(T0 + 15 * MIN),
      reason: CAUSE,
    });
  });

  it('a later wait keeps since, takes the latest bound and reason, and is the same object when nothing moved', () => {
    const first = noteCapacityWait(undefined, { failedAt: T0, until: T0 + 15 * MIN, cause: CAUSE });
    expect(noteCapacityWait(first, { failedAt: T0 + MIN, until: T0 + 15 * MIN, cause: CAUSE })).toBe(first);
    expect(
      noteCapacityWait(first, { failedAt: T0 + 2 * MIN, until: T0 + 20 * MIN, cause: 'w_3 booting' }),
    ).toEqual({ since: iso(T0), until: iso(T0 + 20 * MIN), reason: 'w_3 booting' });
  });

  it('a reason is bounded (the part item stays small); no cause names the error', () => {
    const long = noteCapacityWait(undefined, { failedAt: T0, until: T0, cause: 'x'.repeat(5000) });
    expect(long.reason.length).toBeLessThanOrEqual(500);
    expect(noteCapacityWait(undefined, { failedAt: T0, until: T0 }).reason).toBe(WAITING_FOR_CAPACITY);
  });
});

describe('decide: the part shows its wait', () => {
  /** A lablet starting at T0+60 whose instantiate phase, started at T0+45, failed waiting at `failedAt`. */
  function waiting(failedAt = T0 + 46 * MIN): SessionTree {
    const t = decide(
      tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] }),
      T0 + 45 * MIN,
      'dev',
    ).tree;
    expect(t.parts[0]!.status).toBe('instantiating');
    const ex = t.parts[0]!.phase_execution!;
    recordPhaseOutcome(t, ex.execution_name, 'failed', WAITING_FOR_CAPACITY, failedAt, CAUSE);
    return t;
  }

  it('the first decision after the wait sets waiting_for_capacity {since, until, reason}; deciding again changes nothing', () => {
    const t = waiting();
    const d = decide(t, T0 + 46 * MIN + 1000, 'dev');
    expect(d.commands).toEqual([]);
    expect(d.changed).toEqual(['part:1']);
    expect(d.tree.parts[0]!.waiting_for_capacity).toEqual({
      since: iso(T0 + 46 * MIN),
      until: iso(T0 + 60 * MIN),
      reason: CAUSE,
    });
    const again = decide(d.tree, T0 + 46 * MIN + 2000, 'dev');
    expect(again.changed).toEqual([]);
    expect(again.tree).toEqual(d.tree);
  });

  it('the re-run a minute later keeps the wait and its since; its next wait outcome keeps it too', () => {
    const t = waiting();
    const first = decide(t, T0 + 46 * MIN + 1000, 'dev').tree;
    const rerun = decide(first, T0 + 46 * MIN + CAPACITY_RETRY_MS, 'dev');
    expect(rerun.commands.map((c) => c.kind)).toEqual(['start_execution']);
    expect(rerun.tree.parts[0]!.waiting_for_capacity).toEqual(first.parts[0]!.waiting_for_capacity);
    const ex = rerun.tree.parts[0]!.phase_execution!;
    recordPhaseOutcome(rerun.tree, ex.execution_name, 'failed', WAITING_FOR_CAPACITY, T0 + 48 * MIN, CAUSE);
    const later = decide(rerun.tree, T0 + 48 * MIN + 1000, 'dev').tree;
    expect(later.parts[0]!.waiting_for_capacity!.since).toBe(iso(T0 + 46 * MIN));
  });

  it('a decision at or past the retry time both records the wait and runs the phase again', () => {
    const d = decide(waiting(), T0 + 47 * MIN, 'dev');
    expect(d.commands.map((c) => c.kind)).toEqual(['start_execution']);
    expect(d.tree.parts[0]!.waiting_for_capacity?.since).toBe(iso(T0 + 46 * MIN));
  });

  it('cleared once its pods are placed, while the placing phase still runs', () => {
    const first = decide(waiting(), T0 + 46 * MIN + 1000, 'dev').tree;
    const rerun = decide(first, T0 + 47 * MIN, 'dev').tree;
    Object.assign(rerun.pods[0]!, { status: 'provisioning', host_id: 'w_2' });
    const placed = decide(rerun, T0 + 47 * MIN + 5000, 'dev');
    expect(placed.tree.parts[0]!.waiting_for_capacity).toBeUndefined();
    expect(placed.changed).toEqual(['part:1']);
    expect(placed.commands).toEqual([]);
  });

  it('cleared when the wait ends without a worker: the part fails with no_capacity', () => {
    const first = decide(waiting(T0 + 59 * MIN), T0 + 59 * MIN + 1000, 'dev').tree;
    expect(first.parts[0]!.waiting_for_capacity).toBeDefined();
    const end = decide(first, T0 + 60 * MIN, 'dev').tree.parts[0]!;
    expect(end.status).toBe('failed');
    expect(end.failure).toMatchObject({ error: 'no_capacity' });
    expect(end.waiting_for_capacity).toBeUndefined();
  });

  it('a wait outcome at or past the bound never records a wait (the part fails in the same decision)', () => {
    const end = decide(waiting(T0 + 59 * MIN), T0 + 60 * MIN, 'dev').tree.parts[0]!;
    expect(end.status).toBe('failed');
    expect(end.waiting_for_capacity).toBeUndefined();
  });
});

describe('the outbox: one announcement per wait, not one per minute', () => {
  const part: ItemImage = {
    pk: 'SESSION#ses_1',
    sk: 'PART#01',
    entity: 'part',
    session_id: 'ses_1',
    order: 1,
    status: 'instantiating',
    updated_at: '2026-12-01T09:46:01.000Z',
  };
  const wait = { since: '2026-12-01T09:46:00.000Z', until: '2026-12-01T10:00:00.000Z', reason: CAUSE };
  const a = (n: number, over: Record<string, unknown> = {}) => ({
    phase: 'instantiate',
    execution_name: `dev-lcm-ses_1-p1-instantiate-a${n}`,
    attempt: n,
    ...over,
  });
  const failed = (n: number) => a(n, { outcome: 'failed', error: WAITING_FOR_CAPACITY });
  const change = (oldImage: Record<string, unknown>, newImage: Record<string, unknown>) =>
    eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...part, state_version: 5, ...oldImage },
      newImage: { ...part, state_version: 6, ...newImage },
    });

  it('the first wait outcome is announced as before (phase_failed, lcm.WaitingForCapacity)', () => {
    const events = change({ phase_execution: a(1) }, { phase_execution: failed(1) });
    expect(events.map((e) => [e.type, (e.data as { error?: string }).error])).toEqual([
      [EVENT_TYPES.partPhaseFailed, WAITING_FOR_CAPACITY],
    ]);
  });

  it('the decision that records the wait announces waiting_for_capacity once, with the part and the wait', () => {
    const c = { phase_execution: failed(1) };
    const events = change(c, { ...c, waiting_for_capacity: wait });
    expect(events.map((e) => e.type)).toEqual([EVENT_TYPES.partWaitingForCapacity]);
    expect(events[0]!.subject).toBe('sessions/ses_1/parts/1');
    expect(events[0]!.data).toEqual({
      session_id: 'ses_1',
      part_order: 1,
      phase: 'instantiate',
      since: wait.since,
      until: wait.until,
      reason: CAUSE,
    });
    // A replayed stream record yields the very same event (same id).
    expect(change(c, { ...c, waiting_for_capacity: wait })).toEqual(events);
  });

  it('while the wait lasts, the re-runs are not announced: no phase_started, no phase_failed, no second wait event', () => {
    const waitingOld = { waiting_for_capacity: wait };
    const started = change(
      { ...waitingOld, phase_execution: failed(1) },
      { ...waitingOld, phase_execution: a(2), phase_log: [failed(1)] },
    );
    expect(started).toEqual([]);
    const refused = change(
      { ...waitingOld, phase_execution: a(2), phase_log: [failed(1)] },
      {
        waiting_for_capacity: { ...wait, reason: 'w_3 booting' },
        phase_execution: failed(2),
        phase_log: [failed(1)],
      },
    );
    expect(refused).toEqual([]);
  });

  it('the attempt that placed the pod is announced (phase_completed); any other failure too', () => {
    const before = { waiting_for_capacity: wait, phase_execution: a(3), phase_log: [failed(1), failed(2)] };
    const done = change(before, {
      phase_execution: a(3, { outcome: 'succeeded' }),
      phase_log: [failed(1), failed(2)],
    });
    expect(done.map((e) => e.type)).toEqual([EVENT_TYPES.partPhaseCompleted]);
    const other = change(before, {
      ...before,
      phase_execution: a(3, { outcome: 'failed', error: 'Problem' }),
    });
    expect(other.map((e) => e.type)).toEqual([EVENT_TYPES.partPhaseFailed]);
  });
});
