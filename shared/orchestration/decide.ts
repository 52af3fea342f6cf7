/**
 * The reconcile decision: `(tree, now) → next tree + commands`. Pure and level-triggered: it
 * looks only at the tree's state and the clock, so calling it twice on the same input gives the
 * same answer, and replaying an event is harmless. The caller writes every changed item with a
 * `state_version` condition and then issues the commands (starting an execution is idempotent
 * by its deterministic name).
 */
import { iso } from '../domain/clock.ts';
import { PHASE_ORDER, type PhaseName } from '../domain/lifecycle.ts';
import { executionName } from '../domain/names.ts';
import {
  PART_SETTLED,
  PHASE_STATUS,
  POD_GONE,
  SESSION_TERMINAL,
  type PartDoc,
  type PartStatus,
  type PhaseExecution,
  type PhaseInput,
  type PauseOrigin,
  type PauseRecord,
  type PodDoc,
  type SessionStatus,
  type SessionTree,
  type TreeItemRef,
  partRef,
  podRef,
} from '../domain/session.ts';
import { cleanupDeadline, endMs, provisionAt, startMs } from '../domain/timeslot.ts';
import { isPaused, pauseLimitAt, planResume } from '../domain/pause.ts';
import { transition } from '../domain/timed-resource.ts';
import { combinePartReports } from './aggregate.ts';
import {
  capacityWaitUntil,
  noteCapacityWait,
  pendingSince,
  WAITING_FOR_CAPACITY,
} from '../domain/placement.ts';

export type Command =
  | {
      kind: 'start_execution';
      part: number;
      phase: string;
      state_machine: string;
      execution_name: string;
      input: PhaseInput;
    }
  | { kind: 'stop_execution'; part: number; execution_name: string; state_machine: string; reason: string }
  | { kind: 'teardown_pod'; part: number; pod: number; reason: string }
  /** Push a part's new end to the session's LDS session (after an extension or a pause). */
  | { kind: 'lds_extend'; part: number; ends_at: string }
  /** Tell the session's LDS session that the part is paused. */
  | { kind: 'lds_pause'; part: number }
  /** Tell the session's LDS session that the part resumed, then push its new end. */
  | { kind: 'lds_resume'; part: number; ends_at: string }
  /** The session ended: release its LDS session (`part`: one registered part, to find it by). */
  | { kind: 'lds_release_session'; part: number };

export interface Decision {
  tree: SessionTree;
  commands: Command[];
  /** The items this decision changed. */
  changed: TreeItemRef[];
}

const BY = 'reconciler';
const MIN = 60_000;
/** A phase that waits for a booting worker runs again this long after it failed (D150). */
export const CAPACITY_RETRY_MS = MIN;
const STATUS_AFTER: Partial<Record<PartStatus, PartStatus>> = {
  collecting: 'grading',
  grading: 'reviewing',
  reviewing: 'submitting',
  submitting: 'archiving',
  archiving: 'archived',
};

/** `stage`: the deployment stage, which every execution name carries (`<stage>-lcm-…`). */
export function decide(input: SessionTree, now: number, stage: string): Decision {
  const d = new Decider(structuredClone(input), now, stage);
  d.run();
  return d.result(input);
}

class Decider {
  readonly commands: Command[] = [];
  readonly touched = new Set<TreeItemRef>();
  constructor(
    readonly t: SessionTree,
    readonly now: number,
    readonly stage: string,
  ) {}

  result(original: SessionTree): Decision {
    const changed = [...this.touched];
    // One decision moves each item by exactly one version, whatever it changed.
    if (this.touched.has('session')) this.t.session.state_version = original.session.state_version + 1;
    for (const p of this.t.parts)
      if (this.touched.has(partRef(p.order)))
        p.state_version = original.parts.find((o) => o.order === p.order)!.state_version + 1;
    for (const p of this.t.pods)
      if (this.touched.has(podRef(p)))
        p.state_version =
          original.pods.find((o) => o.part_order === p.part_order && o.index === p.index)!.state_version + 1;
    return { tree: this.t, commands: this.commands, changed };
  }

  run(): void {
    // A few passes let one decision walk through states that need no waiting (pass-through
    // phases, admit → run at a past start) while staying bounded. A pass that changed nothing
    // and issued nothing ends the walk.
    for (let pass = 0; pass < 12; pass++) {
      const before = this.changes + this.commands.length;
      this.step();
      if (this.changes + this.commands.length === before) break;
    }
    this.endCapacityWaits();
  }

  /**
   * A part's wait for capacity ends when none of its pods is left to place, or when it is no
   * longer instantiating (failed at the bound, cancelled, abandoned): the marker goes (D195).
   */
  private endCapacityWaits(): void {
    for (const p of this.t.parts) {
      if (!p.waiting_for_capacity) continue;
      const unplaced = this.t.pods.some(
        (x) => x.part_order === p.order && x.status === 'pending' && !x.host_id,
      );
      if (p.status !== 'instantiating' || !unplaced) this.patchPart(p, { waiting_for_capacity: undefined });
    }
  }

  /** How many times this decision changed an item (a pass that adds none has converged). */
  private changes = 0;

  private get s() {
    return this.t.session;
  }

  private step(): void {
    const s = this.s;
    if (SESSION_TERMINAL.has(s.status)) return;
    const at = this.now;
    this.applyExtension();
    if (at >= cleanupDeadline(s.timeslot) + this.pauseHoldMs()) {
      // The deadline tears down pods, never a result: a manual review holds the session open.
      if (s.desired_status !== 'cancelled' && this.holdForReview()) return;
      if (!s.held_for_review || s.desired_status === 'cancelled') return this.forceCleanup();
      return this.finishAfterHold();
    }
    if (s.desired_status === 'cancelled') return this.cancel();

    switch (s.status) {
      case 'pending':
        if (at >= this.admitAt()) this.moveSession('admitting', 'provisioning window opened');
        break;
      case 'admitting':
        this.scheduleParts(false);
        // A session-scoped gate: with `proctor_admit` no part opens before a proctor admits.
        if (at >= startMs(s.timeslot) && (!s.admission_gate || s.admitted))
          this.moveSession(
            'running',
            s.admitted ? 'timeslot started; admitted by a proctor' : 'timeslot started',
            {
              started: true,
            },
          );
        break;
      case 'running':
        this.scheduleParts(true);
        if (this.t.parts.every((p) => PART_SETTLED.has(p.status)))
          this.moveSession('aggregating', 'every part settled');
        break;
      case 'aggregating': {
        const reports = this.t.parts.filter((p) => p.status === 'archived' && p.score_report);
        if (this.noPartSucceeded()) {
          this.escalate('every part failed');
          this.moveSession('finalizing', 'every part failed');
          break;
        }
        if (reports.length) {
          this.patchSession({ score_report: combinePartReports(this.t.parts, s.cut_score ?? 0) });
          this.moveSession('submitting', 'combined report ready');
        } else this.moveSession('finalizing', 'no part produced a report');
        break;
      }
      case 'submitting':
        // The combined report leaves through the outbox (score_report.published) with this commit.
        this.moveSession('finalizing', 'report submitted');
        break;
      case 'finalizing':
        this.progressParts();
        if (this.podsGone()) {
          const allFailed = this.noPartSucceeded();
          this.moveSession(
            allFailed ? 'failed' : 'completed',
            allFailed ? 'escalated: every part failed' : 'finalized',
            {
              terminal: true,
            },
          );
        }
        break;
    }
  }

  /** The session admits at the earliest provisioning time of itself or any part. */
  private admitAt(): number {
    return Math.min(provisionAt(this.s.timeslot), ...this.t.parts.map((p) => provisionAt(p.timeslot)));
  }

  private applyExtension(): void {
    const s = this.s;
    if (!s.requested_end || Date.parse(s.requested_end) <= endMs(s.timeslot)) return;
    const oldEnd = s.timeslot.end;
    const newEnd = iso(Date.parse(s.requested_end));
    this.patchSession({ timeslot: { ...s.timeslot, end: newEnd }, requested_end: undefined });
    for (const p of this.t.parts) {
      if (p.timeslot.end !== oldEnd || PART_SETTLED.has(p.status)) continue;
      const extra = Date.parse(newEnd) - Date.parse(oldEnd);
      if (p.lds_session_id) this.commands.push({ kind: 'lds_extend', part: p.order, ends_at: newEnd });
      this.patchPart(p, {
        timeslot: { ...p.timeslot, end: newEnd },
        duration_minutes: p.duration_minutes + extra / 60_000,
        ...(p.deadline
          ? { deadline: iso(Math.min(Date.parse(p.deadline) + extra, Date.parse(newEnd))) }
          : {}),
      });
    }
  }

  // ---- parts ------------------------------------------------------------------------------

  private scheduleParts(running: boolean): void {
    const at = this.now;
    const s = this.s;
    // Eager provisioning: a part with pods instantiates at its provision_at, gate or no gate.
    for (const p of this.t.parts) {
      if (p.status !== 'pending' || p.phase_execution || !this.hasPods(p)) continue;
      if (at >= provisionAt(p.timeslot) && p.phases.instantiate) {
        this.movePart(p, 'instantiating', 'provision_at reached');
        this.startPhase(p, 'instantiate');
      }
    }
    if (running) {
      // A part never opens before its planned window, whatever cleared its gate.
      for (const p of this.activatable()) if (at >= startMs(p.timeslot)) this.activate(p);
      // The session's end closes every open window (not while a pause may still move it).
      if (at >= endMs(s.timeslot) && !this.t.parts.some(isPaused))
        for (const p of this.t.parts) {
          if (!PART_SETTLED.has(p.status) && !p.activated_at)
            this.abandon(p, 'the session ended before the part started');
        }
    }
    this.progressParts();
  }

  /** Parts whose gate has cleared and that are not yet active. */
  private activatable(): PartDoc[] {
    const s = this.s;
    const parts = [...this.t.parts].sort((a, b) => a.order - b.order);
    if (s.part_execution !== 'sequential')
      return parts.filter((p) => !p.activated_at && !PART_SETTLED.has(p.status));
    const out: PartDoc[] = [];
    for (const p of parts) {
      if (PART_SETTLED.has(p.status)) {
        if (p.status === 'failed' && s.abort_on_part_failure && p.gates_next) {
          for (const rest of parts.filter((r) => r.order > p.order && !PART_SETTLED.has(r.status)))
            this.abandon(rest, `part ${p.order} failed and the definition aborts on part failure`);
          return out;
        }
        continue;
      }
      if (!p.activated_at) out.push(p);
      if (p.gates_next) break; // an unsettled gating part holds every later part
    }
    return out;
  }

  private activate(p: PartDoc): void {
    const at = this.now;
    const windowMs = Date.parse(p.timeslot.end) - Date.parse(p.timeslot.start);
    const deadline = Math.min(at + windowMs, endMs(this.s.timeslot));
    this.patchPart(p, { desired_status: 'active', activated_at: iso(at), deadline: iso(deadline) });
    if (p.status === 'pending') {
      if (p.phases.instantiate) {
        this.movePart(p, 'instantiating', 'activated', { started: true });
        this.startPhase(p, 'instantiate');
      } else this.enterActive(p, 'activated');
    } else if (p.status === 'instantiating' && p.provisioned) this.enterActive(p, 'activated; pods ready');
  }

  private enterActive(p: PartDoc, reason: string): void {
    this.movePart(p, 'waiting', reason, { started: true });
    if (p.phases.ready) this.startPhase(p, 'ready');
  }

  /** Moves every unsettled part on from its phase outcomes, deadlines and intents. */
  private progressParts(): void {
    for (const p of this.t.parts) this.progress(p);
  }

  private progress(p: PartDoc): void {
    const ex = p.phase_execution;
    if (!ex?.cleanup && !PART_SETTLED.has(p.status) && this.podLost(p)) return;
    if (ex && !ex.outcome) return; // a phase is running: wait for its outcome
    if (ex?.cleanup) return; // cleanup finished (or is done); nothing moves a settled part
    if (PART_SETTLED.has(p.status)) return;
    if (ex && ex.outcome === 'failed' && ex.error === WAITING_FOR_CAPACITY && p.status === 'instantiating')
      return this.awaitCapacity(p, ex);
    if (ex && ex.outcome !== 'succeeded') return this.failPart(p, ex);
    const at = this.now;
    switch (p.status) {
      case 'pending':
        return;
      case 'instantiating': {
        const next = this.nextPhaseIn(p, 'instantiating');
        if (next) return this.startPhase(p, next);
        if (!p.provisioned) this.patchPart(p, { provisioned: true });
        if (p.activated_at) this.enterActive(p, 'instantiated');
        return;
      }
      case 'waiting':
      case 'monitoring': {
        if (this.applyPause(p)) return; // paused: the part's clock is stopped
        const ended =
          p.end_requested || p.desired_status === 'archived' || (p.deadline && at >= Date.parse(p.deadline));
        if (ended) {
          const why = p.end_requested
            ? 'ended by the candidate'
            : p.desired_status === 'archived'
              ? 'wrap-up requested'
              : 'deadline reached';
          return this.enterStatus(p, 'collecting', why);
        }
        if (p.status === 'waiting' && p.candidate_started_at) {
          this.movePart(p, 'monitoring', 'candidate started');
          if (p.phases.monitor) this.startPhase(p, 'monitor');
        }
        return;
      }
      case 'reviewing':
        if (p.review === 'manual' && !p.review_decision) return this.checkReviewDue(p);
        if (p.review_decision) this.applyReview(p);
        return this.enterStatus(
          p,
          'submitting',
          p.review === 'manual' ? 'review decided' : 'automatic review',
        );
      default: {
        const next = this.nextPhaseIn(p, p.status);
        if (next) return this.startPhase(p, next);
        const after = STATUS_AFTER[p.status];
        if (!after) return;
        if (after === 'archived') {
          this.markPodsTerminated(p, 'archived');
          return this.movePart(p, 'archived', 'lifecycle complete', { terminal: true });
        }
        return this.enterStatus(p, after, `${p.status} done`);
      }
    }
  }

  /**
   * A pod whose worker was lost (the fleet pass, shared/fleet/reconcile.ts, D127): failed while
   * the candidate works or the lab is read, so the part fails with the pod's reason; put back to
   * `pending` (unplaced) before the candidate starts, so the part instantiates again, on another
   * worker, once no phase runs. Never silent: the part's history and failure carry the reason.
   */
  private podLost(p: PartDoc): boolean {
    const pods = this.t.pods.filter((x) => x.part_order === p.order);
    const failed = pods.find((x) => x.status === 'failed');
    if (failed && (p.status === 'waiting' || p.status === 'monitoring' || p.status === 'collecting')) {
      const why = failed.state_history.at(-1)?.reason ?? `pod ${failed.id} failed`;
      this.stopRunningPhase(p, why);
      this.patchPart(p, { failure: { phase: p.status, error: 'pod_lost', cause: why } });
      this.movePart(p, 'failed', why, { terminal: true });
      this.cleanupPods(p);
      return true;
    }
    const ex = p.phase_execution;
    if (ex && !ex.outcome) return false; // the running phase ends first
    const unplaced = pods.find((x) => x.status === 'pending' && !x.host_id);
    const instantiated = p.status === 'waiting' || (p.status === 'instantiating' && p.provisioned);
    if (!unplaced || !instantiated || !p.phases.instantiate) return false;
    const why = unplaced.state_history.at(-1)?.reason ?? `pod ${unplaced.id} is to be placed again`;
    this.movePart(p, 'instantiating', why);
    // The earlier execution goes to the log first: the new one is the next attempt, by name too.
    this.patchPart(p, {
      provisioned: false,
      replaced_at: iso(this.now),
      phase_execution: undefined,
      phase_log: logOf(p),
    });
    this.startPhase(p, 'instantiate');
    return true;
  }

  /**
   * The phase could not place a pod because the worker that will take it is still booting (D150):
   * the part stays where it is and the phase runs again a minute after it failed, until the
   * pods' wait ends (`capacityWaitUntil`: the part's start, or the lead time after a pod was put
   * back); then the part fails, saying which pods had no worker by when.
   */
  private awaitCapacity(p: PartDoc, ex: PhaseExecution): void {
    const waiting = this.t.pods.filter(
      (x) => x.part_order === p.order && x.status === 'pending' && !x.host_id,
    );
    // No pod left to place (placed meanwhile): nothing bounds the next attempt, which will pass.
    const until = waiting.length
      ? Math.max(...waiting.map((x) => capacityWaitUntil(p.timeslot, pendingSince(x))))
      : Number.POSITIVE_INFINITY;
    if (this.now >= until) {
      const pods = waiting.map((x) => x.id).join(', ') || 'its pods';
      return this.failPart(p, {
        ...ex,
        error: 'no_capacity',
        cause: `no worker took ${pods} by ${iso(until)}, the end of the wait for capacity; last: ${ex.cause ?? ex.error}`,
      });
    }
    if (waiting.length) {
      // The part says it waits, from its first wait (D195); the same wait is not written again.
      const wait = noteCapacityWait(p.waiting_for_capacity, {
        failedAt: Date.parse(ex.ended_at ?? ex.started_at),
        until,
        ...(ex.cause ? { cause: ex.cause } : {}),
      });
      if (wait !== p.waiting_for_capacity) this.patchPart(p, { waiting_for_capacity: wait });
    }
    if (this.now < Date.parse(ex.ended_at ?? ex.started_at) + CAPACITY_RETRY_MS) return;
    this.patchPart(p, { phase_execution: undefined, phase_log: logOf(p) });
    this.startPhase(p, ex.phase);
  }

  /** Enters a status and starts its first phase, or passes straight through if it has none. */
  private enterStatus(p: PartDoc, status: PartStatus, reason: string): void {
    this.movePart(p, status, reason);
    this.patchPart(p, { phase_execution: undefined, phase_log: logOf(p) });
    if (status === 'reviewing' && p.review === 'manual' && p.review_deadline_minutes !== undefined)
      this.patchPart(p, { review_due: iso(this.now + p.review_deadline_minutes * MIN) });
    const first = this.nextPhaseIn(p, status);
    if (first) this.startPhase(p, first);
    else this.progress(p);
  }

  /** The next phase of `status` this part's content defines and has not yet run in it. */
  private nextPhaseIn(p: PartDoc, status: PartStatus): string | undefined {
    const done = new Set(
      [...(p.phase_log ?? []), ...(p.phase_execution ? [p.phase_execution] : [])]
        // A status is visited once, so every succeeded phase of it counts.
        .filter(
          (e) =>
            e.outcome === 'succeeded' &&
            !e.cleanup &&
            PHASE_STATUS[e.phase as PhaseName] === status &&
            // After a pod was placed again, the status's phases run again from the first.
            (!p.replaced_at || e.started_at >= p.replaced_at),
        )
        .map((e) => e.phase),
    );
    return PHASE_ORDER.find((ph) => PHASE_STATUS[ph] === status && p.phases[ph] && !done.has(ph));
  }

  private startPhase(p: PartDoc, phase: string, cleanup = false): void {
    // One more than the last attempt logged (the log keeps the last 30 entries: never a name twice).
    const attempt =
      Math.max(
        0,
        ...(p.phase_log ?? [])
          .filter((e) => e.phase === phase && !!e.cleanup === cleanup)
          .map((e) => e.attempt),
      ) + 1;
    const name = executionName(this.stage, this.s.id, p.order, phase, attempt, cleanup);
    const ex: PhaseExecution = {
      phase,
      execution_name: name,
      state_machine: p.phases[phase]!,
      attempt,
      started_at: iso(this.now),
      ...(cleanup ? { cleanup: true } : {}),
    };
    const pods = this.t.pods.filter((x) => x.part_order === p.order && !POD_GONE.has(x.status));
    const input: PhaseInput = {
      session_id: this.s.id,
      part_order: p.order,
      phase,
      attempt,
      pod_definition_id: p.pod_definition_id ?? null,
      pods: pods.map((x) => ({ index: x.index, id: x.id })),
      cleanup,
    };
    ex.input = input;
    this.patchPart(p, { phase_execution: ex, phase_log: logOf(p) });
    this.commands.push({
      kind: 'start_execution',
      part: p.order,
      phase,
      state_machine: ex.state_machine,
      execution_name: name,
      input,
    });
  }

  private failPart(p: PartDoc, ex: PhaseExecution): void {
    this.patchPart(p, {
      failure: {
        phase: ex.phase,
        error: ex.error ?? ex.outcome ?? 'failed',
        ...(ex.cause ? { cause: ex.cause } : {}),
      },
    });
    this.movePart(p, 'failed', `phase ${ex.phase} ${ex.outcome}${ex.error ? `: ${ex.error}` : ''}`, {
      terminal: true,
    });
    this.cleanupPods(p);
  }

  /** Ends a part that never got to run (or is cancelled), releasing whatever it holds. */
  private abandon(p: PartDoc, reason: string): void {
    if (!p.phase_execution?.cleanup) this.stopRunningPhase(p, reason);
    this.patchPart(p, { desired_status: 'cancelled' });
    this.movePart(p, 'cancelled', reason, { terminal: true });
    this.cleanupPods(p);
  }

  /** Stops the part's phase execution if one is running (its outcome then moves nothing). */
  private stopRunningPhase(p: PartDoc, reason: string): void {
    const ex = p.phase_execution;
    if (ex && !ex.outcome)
      this.commands.push({
        kind: 'stop_execution',
        part: p.order,
        execution_name: ex.execution_name,
        state_machine: ex.state_machine,
        reason,
      });
  }

  /** Runs the archive phase as a cleanup if the part holds pods; otherwise marks them gone. */
  private cleanupPods(p: PartDoc): void {
    const live = this.t.pods.filter((x) => x.part_order === p.order && !POD_GONE.has(x.status));
    if (!live.length) return;
    const touchedLab = live.some((x) => x.status !== 'pending');
    const teardown = p.phases.archive ? 'archive' : p.phases.teardown ? 'teardown' : undefined;
    if (touchedLab && teardown) {
      this.patchPart(p, { phase_execution: undefined, phase_log: logOf(p) });
      this.startPhase(p, teardown, true);
    } else this.markPodsTerminated(p, 'released before provisioning');
  }

  private markPodsTerminated(p: PartDoc, reason: string): void {
    for (const pod of this.t.pods.filter((x) => x.part_order === p.order && !POD_GONE.has(x.status)))
      this.movePod(pod, 'terminated', reason);
  }

  private applyReview(p: PartDoc): void {
    const d = p.review_decision!;
    const r = { ...(p.score_report ?? {}) } as Record<string, unknown> & {
      points_max?: number;
      points_awarded?: number;
    };
    if (d.points_awarded !== undefined)
      r.points_awarded = Math.min(d.points_awarded, r.points_max ?? d.points_awarded);
    r.review = { decision: d.decision, comment: d.comment, at: d.at, by: d.by };
    if (d.decision === 'reject') r.passed = false;
    if (r.points_max) r.percentage = Math.round(((r.points_awarded ?? 0) / r.points_max) * 10000) / 100;
    this.patchPart(p, { score_report: r });
  }

  /** A manual review past the definition's review deadline is escalated once, never dropped. */
  private checkReviewDue(p: PartDoc): void {
    if (!p.review_due || p.review_escalated || this.now < Date.parse(p.review_due)) return;
    this.patchPart(p, { review_escalated: { at: iso(this.now), reason: 'review deadline passed' } });
  }

  /**
   * Applies the part's pause and resume intents; true while the part stays paused. A pause stops
   * the clock from the instant it was asked for (a pause asked at or after the deadline comes too
   * late); a resume, an end asked for, or the allowance running out ends it at that instant, and
   * the part's deadline and window (with a sequential session's later parts and end) move by
   * exactly the pause. The LDS is told of what it did not ask for itself.
   */
  private applyPause(p: PartDoc): boolean {
    const req = p.pause_requested;
    if (req) {
      const late = p.deadline !== undefined && Date.parse(req.at) >= Date.parse(p.deadline);
      const applies = !p.paused && !late;
      this.patchPart(p, { pause_requested: undefined, ...(applies ? { paused: req } : {}) });
      if (applies && req.origin !== 'lds' && this.inLds(p.order))
        this.commands.push({ kind: 'lds_pause', part: p.order });
    }
    const paused = p.paused;
    if (!paused) {
      if (p.resume_requested) this.patchPart(p, { resume_requested: undefined });
      return false;
    }
    const limitAt = pauseLimitAt(p, Date.parse(paused.at));
    const asked =
      p.resume_requested ??
      (p.end_requested
        ? { at: p.end_requested.at, by: p.end_requested.by, origin: 'api' as const }
        : undefined);
    if (asked)
      this.resume(
        p,
        Math.min(Math.max(Date.parse(asked.at), Date.parse(paused.at)), limitAt),
        asked.by,
        asked.origin,
      );
    else if (this.now >= limitAt) this.resume(p, limitAt, 'pause allowance used up', 'api');
    else return true;
    return false;
  }

  private resume(p: PartDoc, at: number, by: string, origin: PauseOrigin): void {
    const plan = planResume(this.t, p.order, at);
    const paused = p.paused!;
    const record: PauseRecord = {
      at: paused.at,
      until: iso(at),
      by: paused.by,
      resumed_by: by,
      ...(paused.reason ? { reason: paused.reason } : {}),
    };
    this.patchPart(p, {
      paused: undefined,
      resume_requested: undefined,
      pauses: [...(p.pauses ?? []), record],
      ...plan.parts.get(p.order),
    });
    for (const [order, change] of plan.parts) {
      if (order === p.order) continue;
      const later = this.t.parts.find((x) => x.order === order)!;
      this.patchPart(later, change);
      if (this.inLds(order))
        this.commands.push({ kind: 'lds_extend', part: order, ends_at: change.timeslot.end });
    }
    if (plan.sessionEnd)
      this.patchSession({
        timeslot: { ...this.s.timeslot, end: plan.sessionEnd },
        ...(plan.extendLimit ? { extend_limit: plan.extendLimit } : {}),
      });
    if (this.inLds(p.order))
      this.commands.push(
        origin === 'lds'
          ? { kind: 'lds_extend', part: p.order, ends_at: p.timeslot.end }
          : { kind: 'lds_resume', part: p.order, ends_at: p.timeslot.end },
      );
  }

  /** The part is registered in the session's LDS session and has not settled (D160). */
  private inLds(order: number): boolean {
    const p = this.t.parts.find((x) => x.order === order);
    return !!p?.lds_session_id && !PART_SETTLED.has(p.status);
  }

  /** How much later a paused part may still move the session's end (the cleanup waits for it). */
  private pauseHoldMs(): number {
    return Math.max(
      0,
      ...this.t.parts
        .filter((p) => p.paused && !PART_SETTLED.has(p.status))
        .map((p) => pauseLimitAt(p, Date.parse(p.paused!.at)) - Date.parse(p.paused!.at)),
    );
  }

  // ---- whole-session exits --------------------------------------------------------------

  /**
   * Past the cleanup deadline with a manual review outstanding: everything else is stopped and
   * every pod torn down, but the part in `reviewing` keeps its graded result and waits for its
   * decision (escalating at its review deadline). A decided part settles without running any
   * further phase (its pods are gone). True while a held review is still undecided.
   */
  private holdForReview(): boolean {
    const held = this.t.parts.filter((p) => p.status === 'reviewing' && p.review === 'manual');
    if (!held.length) return false;
    const reason = 'cleanup deadline passed';
    const first = !this.s.held_for_review;
    for (const p of this.t.parts) {
      if (held.includes(p)) continue;
      if (PART_SETTLED.has(p.status)) {
        if (first) this.stopRunningPhase(p, reason);
        continue;
      }
      this.stopRunningPhase(p, reason);
      this.patchPart(p, { desired_status: 'cancelled' });
      this.movePart(p, 'cancelled', reason, { terminal: true });
    }
    for (const pod of this.t.pods.filter((x) => !POD_GONE.has(x.status))) {
      this.commands.push({ kind: 'teardown_pod', part: pod.part_order, pod: pod.index, reason });
      this.movePod(pod, 'terminated', reason);
    }
    if (first) this.patchSession({ held_for_review: { at: iso(this.now), parts: held.map((p) => p.order) } });
    for (const p of held) {
      if (!p.review_decision) {
        this.checkReviewDue(p);
        continue;
      }
      this.applyReview(p);
      this.movePart(p, 'submitting', 'review decided');
      this.movePart(p, 'archiving', 'review decided after the cleanup deadline: no phase runs');
      this.patchPart(p, { phase_execution: undefined, phase_log: logOf(p) });
      this.movePart(p, 'archived', 'review decided after the cleanup deadline', { terminal: true });
    }
    return held.some((p) => !PART_SETTLED.has(p.status));
  }

  /** The held review has been decided: aggregate, submit and finalize with every part's result. */
  private finishAfterHold(): void {
    const s = this.s;
    if (s.status === 'pending' || s.status === 'admitting' || s.status === 'running')
      this.moveSession('aggregating', 'every part settled');
    if (s.status === 'aggregating') {
      if (this.noPartSucceeded()) {
        this.escalate('every part failed');
        this.moveSession('finalizing', 'every part failed');
      } else if (this.t.parts.some((p) => p.status === 'archived' && p.score_report)) {
        this.patchSession({ score_report: combinePartReports(this.t.parts, s.cut_score ?? 0) });
        this.moveSession('submitting', 'combined report ready');
      } else this.moveSession('finalizing', 'no part produced a report');
    }
    if (s.status === 'submitting') this.moveSession('finalizing', 'report submitted');
    const anyArchived = this.t.parts.some((p) => p.status === 'archived');
    if (!anyArchived) this.escalate('cleanup deadline passed');
    this.moveSession(anyArchived ? 'completed' : 'failed', 'finalized after the held review', {
      terminal: true,
    });
  }

  private cancel(): void {
    const s = this.s;
    for (const p of this.t.parts)
      if (!PART_SETTLED.has(p.status)) this.abandon(p, s.cancel_reason ?? 'session cancelled');
    if (s.status !== 'finalizing') this.moveSession('finalizing', s.cancel_reason ?? 'cancel requested');
    if (this.podsGone()) this.moveSession('cancelled', 'cancelled', { terminal: true });
  }

  /** Past the cleanup deadline nothing survives: stop, tear down, finalize with what there is. */
  private forceCleanup(): void {
    const reason = 'cleanup deadline passed';
    for (const p of this.t.parts) {
      this.stopRunningPhase(p, reason);
      if (!PART_SETTLED.has(p.status)) {
        this.patchPart(p, { desired_status: 'cancelled' });
        this.movePart(p, 'cancelled', reason, { terminal: true });
      }
    }
    for (const pod of this.t.pods.filter((x) => !POD_GONE.has(x.status))) {
      this.commands.push({ kind: 'teardown_pod', part: pod.part_order, pod: pod.index, reason });
      this.movePod(pod, 'terminated', reason);
    }
    const archived = this.t.parts.filter((p) => p.status === 'archived' && p.score_report);
    if (archived.length && !this.s.score_report)
      this.patchSession({ score_report: combinePartReports(this.t.parts, this.s.cut_score ?? 0) });
    if (this.s.status !== 'finalizing') this.moveSession('finalizing', reason);
    if (this.s.desired_status === 'cancelled')
      return this.moveSession('cancelled', reason, { terminal: true });
    const anyArchived = this.t.parts.some((p) => p.status === 'archived');
    if (!anyArchived) this.escalate(reason);
    this.moveSession(anyArchived ? 'completed' : 'failed', reason, { terminal: true });
  }

  private escalate(reason: string): void {
    if (this.s.escalation) return;
    this.patchSession({
      escalation: {
        reason,
        at: iso(this.now),
        failed_parts: this.t.parts.filter((p) => p.status === 'failed').map((p) => p.order),
      },
    });
  }

  /** Health: a session is consistent while one part is; none archived and one failed is a failure. */
  private noPartSucceeded(): boolean {
    return (
      !this.t.parts.some((p) => p.status === 'archived') && this.t.parts.some((p) => p.status === 'failed')
    );
  }

  private podsGone(): boolean {
    return (
      this.t.pods.every((p) => POD_GONE.has(p.status)) &&
      this.t.parts.every((p) => !p.phase_execution || !!p.phase_execution.outcome)
    );
  }

  private hasPods(p: PartDoc): boolean {
    return this.t.pods.some((x) => x.part_order === p.order && !POD_GONE.has(x.status));
  }

  // ---- writes ---------------------------------------------------------------------------

  private moveSession(
    to: SessionStatus,
    reason: string,
    o: { started?: boolean; terminal?: boolean } = {},
  ): void {
    if (this.s.status === to) return;
    Object.assign(this.s, transition(this.s, to, { now: this.now, by: BY, reason, ...o }));
    this.touch('session');
    // The session's end releases its one LDS session, once (on the move into a terminal status).
    const registered = o.terminal ? this.t.parts.find((p) => p.lds_session_id) : undefined;
    if (registered) this.commands.push({ kind: 'lds_release_session', part: registered.order });
  }

  private patchSession(patch: Partial<SessionTree['session']>): void {
    Object.assign(this.s, patch);
    for (const [k, v] of Object.entries(patch))
      if (v === undefined) delete (this.s as unknown as Record<string, unknown>)[k];
    this.s.updated_at = iso(this.now);
    this.touch('session');
  }

  private movePart(
    p: PartDoc,
    to: PartStatus,
    reason: string,
    o: { started?: boolean; terminal?: boolean } = {},
  ): void {
    if (p.status === to) return;
    Object.assign(p, transition(p, to, { now: this.now, by: BY, reason, ...o }));
    this.touch(partRef(p.order));
  }

  private patchPart(p: PartDoc, patch: Partial<PartDoc>): void {
    Object.assign(p, patch);
    for (const [k, v] of Object.entries(patch))
      if (v === undefined) delete (p as unknown as Record<string, unknown>)[k];
    p.updated_at = iso(this.now);
    this.touch(partRef(p.order));
  }

  private movePod(pod: PodDoc, to: PodDoc['status'], reason: string): void {
    if (pod.status === to) return;
    Object.assign(pod, transition(pod, to, { now: this.now, by: BY, reason, terminal: POD_GONE.has(to) }));
    this.touch(podRef(pod));
  }

  private touch(key: TreeItemRef): void {
    this.touched.add(key);
    this.changes++;
  }
}

/** Keeps finished phase executions in the log (bounded), newest last. */
function logOf(p: PartDoc): PhaseExecution[] {
  const log = [...(p.phase_log ?? [])];
  const ex = p.phase_execution;
  if (ex?.outcome && !log.some((e) => e.execution_name === ex.execution_name)) {
    const { input: _input, ...finished } = ex;
    log.push(finished);
  }
  return log.slice(-30);
}

/** Records an execution's end on the part it belongs to. Returns false when it is stale or unknown. */
export function recordPhaseOutcome(
  tree: SessionTree,
  name: string,
  outcome: PhaseExecution['outcome'],
  error: string | undefined,
  now: number,
  cause?: string,
): boolean {
  for (const p of tree.parts) {
    const ex = p.phase_execution;
    if (!ex || ex.execution_name !== name || ex.outcome) continue;
    p.phase_execution = {
      ...ex,
      outcome,
      ...(error ? { error } : {}),
      ...(cause ? { cause: cause.slice(0, 500) } : {}),
      ended_at: iso(now),
    };
    p.updated_at = iso(now);
    return true;
  }
  return false;
}
