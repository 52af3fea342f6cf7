/**
 * The stream is the outbox: every committed change to a state-table item may yield CloudEvents.
 * `eventsForChange` is pure: given the old and new images of one item, it returns the events
 * that change announces, with ids derived from (item, version, type) so a replayed stream record
 * yields the very same events.
 */
import { ID_PREFIX, shortHash } from '../domain/ids.ts';
import { pausedMs } from '../domain/pause.ts';
import { WAITING_FOR_CAPACITY } from '../domain/placement.ts';
import type { CapacityWait, PauseRecord } from '../domain/session.ts';
import { type CloudEvent, makeCloudEvent } from './cloudevent.ts';
import { EVENT_TYPES, SOURCES } from './types.ts';

export interface ItemImage {
  pk: string;
  sk: string;
  entity?: string;
  state_version?: number;
  status?: string;
  [k: string]: unknown;
}

export interface ItemChange {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  oldImage?: ItemImage;
  newImage?: ItemImage;
}

type Emit = (
  type: string,
  source: string,
  subject: string,
  data: Record<string, unknown>,
  /** Distinguishes two events of one type from one write (two phases ended at once). */
  discriminator?: string,
) => void;

export function eventsForChange(change: ItemChange): CloudEvent[] {
  const img = change.newImage;
  if (!img || change.eventName === 'REMOVE') return [];
  const old = change.eventName === 'INSERT' ? undefined : change.oldImage;
  const out: CloudEvent[] = [];
  const time = String(img.updated_at ?? img.created_at ?? new Date(0).toISOString());
  const emit: Emit = (type, source, subject, data, discriminator) =>
    out.push(
      makeCloudEvent({
        id: `${ID_PREFIX.event}${shortHash(img.pk, img.sk, String(img.state_version ?? 0), type, ...(discriminator ? [discriminator] : []))}`,
        source,
        type,
        subject,
        time,
        data,
      }),
    );
  const statusChanged = img.status !== undefined && img.status !== old?.status;
  const transitions = statusChanged ? transitionsSince(old, img) : [];
  /** One status_changed per transition the write recorded (a decision may pass several). */
  const emitTransitions = (
    type: string,
    source: string,
    subject: string,
    extra: Record<string, unknown> = {},
  ) =>
    transitions.forEach((t, i) =>
      emit(
        type,
        source,
        subject,
        {
          id: img.id,
          ...(img.session_id ? { session_id: img.session_id } : {}),
          from: t.from,
          to: t.to,
          desired_status: img.desired_status,
          state_version: img.state_version,
          ...(t.reason ? { reason: t.reason } : {}),
          ...(t.by ? { by: t.by } : {}),
          ...extra,
        },
        transitions.length > 1 ? `${i}:${t.to}` : undefined,
      ),
    );
  switch (img.entity) {
    case 'session': {
      const subject = `sessions/${img.id}`;
      if (!old) emit(EVENT_TYPES.sessionScheduled, SOURCES.sessions, subject, sessionSummary(img));
      if (statusChanged) {
        emitTransitions(EVENT_TYPES.sessionStatusChanged, SOURCES.sessions, subject);
        if (img.status === 'completed')
          emit(EVENT_TYPES.sessionCompleted, SOURCES.sessions, subject, sessionOutcome(img));
        if (img.status === 'cancelled')
          emit(EVENT_TYPES.sessionCancelled, SOURCES.sessions, subject, sessionOutcome(img));
        if (img.status === 'failed')
          emit(EVENT_TYPES.sessionEscalated, SOURCES.sessions, subject, sessionOutcome(img));
      }
      const end = (img.timeslot as { end?: string } | undefined)?.end;
      const oldEnd = (old?.timeslot as { end?: string } | undefined)?.end;
      if (old && end && oldEnd && end !== oldEnd)
        emit(EVENT_TYPES.sessionExtended, SOURCES.sessions, subject, {
          id: img.id,
          session_type: img.session_type,
          reservation_id: img.reservation_id ?? null,
          previous_end: oldEnd,
          end,
          timeslot: img.timeslot,
        });
      if (img.admitted && !old?.admitted) {
        const a = img.admitted as { at: string; by: string };
        emit(EVENT_TYPES.sessionAdmitted, SOURCES.sessions, subject, {
          id: img.id,
          session_type: img.session_type,
          at: a.at,
          by: a.by,
        });
      }
      // Published with the commit that sets the document's reference (D76); a revised report
      // (an external grader's result, D78) drops the reference and is published again when the
      // reconciler has written the revised document.
      if (img.score_report && img.score_report_ref && !old?.score_report_ref)
        emit(EVENT_TYPES.scoreReportPublished, SOURCES.grading, subject, {
          session_id: img.id,
          score_report_ref: img.score_report_ref,
          summary: reportSummary(img.score_report),
        });
      break;
    }
    case 'part': {
      const subject = `sessions/${img.session_id}/parts/${img.order}`;
      const exec = img.phase_execution as PhaseExecution | undefined;
      const oldExec = old?.phase_execution as PhaseExecution | undefined;
      // In one write's order: first the phases that ended…
      // Ended phases are those with an outcome now that had none before, wherever they are
      // recorded (the current execution, or the log once the next phase has replaced it).
      const endedBefore = new Set(
        [...((old?.phase_log as PhaseExecution[] | undefined) ?? []), ...(oldExec ? [oldExec] : [])]
          .filter((e) => e.outcome)
          .map((e) => e.execution_name),
      );
      // A wait for capacity is announced once (D195): while the part already waited, the phase's
      // re-runs a minute apart are not announced, neither started nor failed waiting again.
      const rerunWhileWaiting = !!old?.waiting_for_capacity;
      const seen = new Set<string>();
      for (const e of [...((img.phase_log as PhaseExecution[] | undefined) ?? []), ...(exec ? [exec] : [])]) {
        if (!e.outcome || endedBefore.has(e.execution_name) || seen.has(e.execution_name)) continue;
        seen.add(e.execution_name);
        if (rerunWhileWaiting && e.outcome === 'failed' && e.error === WAITING_FOR_CAPACITY) continue;
        emit(
          e.outcome === 'succeeded' ? EVENT_TYPES.partPhaseCompleted : EVENT_TYPES.partPhaseFailed,
          SOURCES.orchestration,
          subject,
          phaseData(img, e),
          e.execution_name,
        );
      }
      // …then the status moves the outcomes caused, then the phase the write started.
      emitTransitions(EVENT_TYPES.partStatusChanged, SOURCES.sessions, subject, { order: img.order });
      if (img.review_escalated && !old?.review_escalated)
        emit(EVENT_TYPES.partReviewEscalated, SOURCES.sessions, subject, {
          session_id: img.session_id,
          part_order: img.order,
          ...(img.review_escalated as object),
          review_due: img.review_due ?? null,
        });
      if (img.paused && !old?.paused) {
        const at = img.paused as Record<string, unknown>;
        emit(EVENT_TYPES.partPaused, SOURCES.sessions, subject, {
          session_id: img.session_id,
          part_order: img.order,
          at: at.at,
          by: at.by,
          origin: at.origin,
          ...(at.reason ? { reason: at.reason } : {}),
          deadline: img.deadline ?? null,
        });
      }
      if (old?.paused && !img.paused) {
        const pauses = (img.pauses ?? []) as PauseRecord[];
        const last = pauses.at(-1);
        if (last)
          emit(EVENT_TYPES.partResumed, SOURCES.sessions, subject, {
            session_id: img.session_id,
            part_order: img.order,
            paused_at: last.at,
            resumed_at: last.until,
            by: last.by,
            resumed_by: last.resumed_by,
            paused_ms: Date.parse(last.until) - Date.parse(last.at),
            paused_ms_total: pausedMs({ pauses }),
            deadline: img.deadline ?? null,
          });
      }
      if (img.review_decision && !old?.review_decision) {
        const d = img.review_decision as Record<string, unknown>;
        emit(EVENT_TYPES.partReviewDecided, SOURCES.sessions, subject, {
          session_id: img.session_id,
          part_order: img.order,
          decision: d.decision,
          by: d.by ?? null,
          at: d.at,
          ...(d.points_awarded !== undefined ? { points_awarded: d.points_awarded } : {}),
        });
      }
      if (img.waiting_for_capacity && !old?.waiting_for_capacity) {
        const w = img.waiting_for_capacity as CapacityWait;
        emit(EVENT_TYPES.partWaitingForCapacity, SOURCES.sessions, subject, {
          session_id: img.session_id,
          part_order: img.order,
          phase: exec?.phase ?? null,
          since: w.since,
          until: w.until,
          reason: w.reason,
        });
      }
      if (
        exec &&
        exec.execution_name !== oldExec?.execution_name &&
        !(rerunWhileWaiting && img.waiting_for_capacity)
      )
        emit(
          EVENT_TYPES.partPhaseStarted,
          SOURCES.orchestration,
          subject,
          phaseData(img, exec),
          exec.execution_name,
        );
      break;
    }
    case 'pod':
      emitTransitions(
        EVENT_TYPES.podStatusChanged,
        SOURCES.orchestration,
        `sessions/${img.session_id}/pods/${img.id}`,
        {
          part_order: img.part_order,
          host_id: img.host_id ?? null,
        },
      );
      break;
    case 'pod_definition':
      if (statusChanged) {
        const subject = `pod-definitions/${img.id}`;
        const data = {
          id: img.id,
          name: img.name,
          version: img.version,
          pod_type: img.pod_type,
          content_hash: img.content_hash,
          source_uri: img.source_uri,
        };
        if (img.status === 'ready')
          emit(EVENT_TYPES.podDefinitionReady, SOURCES.content, subject, {
            ...data,
            state_machines: img.state_machines,
          });
        if (img.status === 'failed')
          emit(EVENT_TYPES.podDefinitionSyncFailed, SOURCES.content, subject, {
            ...data,
            error_message: img.error_message,
            error_detail: img.error_detail,
          });
        if (img.status === 'superseded')
          emit(EVENT_TYPES.podDefinitionSuperseded, SOURCES.content, subject, {
            ...data,
            superseded_by: img.superseded_by,
          });
      }
      break;
    case 'job': {
      const progressEvent = (progress: unknown, discriminator?: string) =>
        emit(
          EVENT_TYPES.jobProgress,
          SOURCES.scenarioEngine,
          `jobs/${img.id}`,
          {
            job_id: img.id,
            job: img.job,
            pod_definition_id: img.pod_definition_id,
            status: 'running',
            metadata: img.metadata ?? {},
            progress,
          },
          discriminator,
        );
      const outcomes = img.progress_outcomes as { seq: number }[] | undefined;
      if (Array.isArray(outcomes)) {
        // One event per outcome this write added (D232): a batch, or the rest with the final write.
        const since = typeof old?.progress_seq === 'number' ? old.progress_seq : 0;
        for (const o of outcomes) if (o.seq > since) progressEvent(o, `p${o.seq}`);
      } else {
        // A record written before D232: one outcome per write.
        const prog = img.progress as { step_index?: number; status?: string; attempt?: number } | undefined;
        const oldProg = old?.progress as typeof prog;
        if (
          img.status === 'running' &&
          prog &&
          (prog.step_index !== oldProg?.step_index ||
            prog.status !== oldProg?.status ||
            prog.attempt !== oldProg?.attempt)
        )
          progressEvent(prog);
      }
      if (statusChanged) {
        const type = JOB_EVENT[img.status as string];
        if (type)
          emit(type, SOURCES.scenarioEngine, `jobs/${img.id}`, {
            job_id: img.id,
            job: img.job,
            pod_definition_id: img.pod_definition_id,
            status: img.status,
            metadata: img.metadata ?? {},
            ...(img.error ? { error: img.error } : {}),
            ...(img.report_ref ? { report_ref: img.report_ref } : {}),
            ...(img.status === 'completed' && img.outputs ? { outputs: img.outputs } : {}),
            ...(img.status === 'completed' && img.outputs_ref ? { outputs_ref: img.outputs_ref } : {}),
          });
      }
      break;
    }
    case 'worker': {
      emitTransitions(EVENT_TYPES.workerStatusChanged, SOURCES.workers, `workers/${img.id}`, {
        region: img.region,
      });
      // A scaling decision is stamped on the worker it touched: announce it once, with its reason.
      const scaling = img.scaling as { direction?: string; reason?: string; at?: string } | undefined;
      const before = old?.scaling as { at?: string; direction?: string } | undefined;
      if (scaling?.at && (scaling.at !== before?.at || scaling.direction !== before?.direction))
        emit(
          scaling.direction === 'down' ? EVENT_TYPES.workerScaledDown : EVENT_TYPES.workerScaledUp,
          SOURCES.workers,
          `workers/${img.id}`,
          {
            id: img.id,
            template: img.template,
            region: img.region,
            desired_status: img.desired_status,
            reason: scaling.reason,
          },
        );
      break;
    }
  }
  return out;
}

const JOB_EVENT: Record<string, string> = {
  running: EVENT_TYPES.jobStarted,
  completed: EVENT_TYPES.jobCompleted,
  failed: EVENT_TYPES.jobFailed,
  cancelled: EVENT_TYPES.jobCancelled,
};

interface PhaseExecution {
  phase: string;
  execution_name: string;
  execution_arn?: string;
  attempt?: number;
  outcome?: 'succeeded' | 'failed' | 'timed_out' | 'aborted';
  error?: string;
}

function phaseData(img: ItemImage, exec: PhaseExecution) {
  return {
    session_id: img.session_id,
    part_order: img.order,
    phase: exec.phase,
    execution_name: exec.execution_name,
    attempt: exec.attempt ?? 1,
    ...(exec.outcome ? { outcome: exec.outcome } : {}),
    ...(exec.error ? { error: exec.error } : {}),
  };
}

/** The candidate as events name them: the scheduler's id, nothing that identifies a person. */
function candidateRef(c: unknown) {
  const id = (c as { candidate_id?: unknown } | undefined)?.candidate_id;
  return typeof id === 'string' ? { candidate_id: id } : null;
}

function sessionSummary(img: ItemImage) {
  return {
    id: img.id,
    session_type: img.session_type,
    addressed_by: img.addressed_by,
    // Ids, not names and e-mails: events are archived for 30 days and reach every subscriber.
    candidate: candidateRef(img.candidate),
    reservation_id: img.reservation_id ?? null,
    timeslot: img.timeslot,
    parts: img.parts_summary ?? [],
  };
}

function sessionOutcome(img: ItemImage) {
  return {
    id: img.id,
    session_type: img.session_type,
    status: img.status,
    reservation_id: img.reservation_id ?? null,
    ...(img.score_report ? { score: reportSummary(img.score_report) } : {}),
    ...(img.escalation ? { escalation: img.escalation } : {}),
  };
}

function reportSummary(r: unknown) {
  const s = r as { points_awarded?: number; points_max?: number; percentage?: number; passed?: boolean };
  return {
    points_awarded: s.points_awarded,
    points_max: s.points_max,
    percentage: s.percentage,
    passed: s.passed,
  };
}

/** Internal fan-out: "this session tree changed", so the reconciler looks at it. */
export function treeChangedEvent(sessionId: string, marker: string, time: string): CloudEvent {
  return makeCloudEvent({
    id: `${ID_PREFIX.event}${shortHash('tree', sessionId, marker)}`,
    source: SOURCES.orchestration,
    type: EVENT_TYPES.treeChanged,
    subject: `sessions/${sessionId}`,
    time,
    data: { session_id: sessionId },
  });
}

interface Transition {
  from: string | null;
  to: string;
  at?: string;
  by?: string;
  reason?: string;
}

/**
 * The transitions a write recorded: the history entries after the last one the old image had.
 * Without a usable history (or when the bound trimmed the overlap), the one net change.
 */
function transitionsSince(old: ItemImage | undefined, img: ItemImage): Transition[] {
  const hist = (Array.isArray(img.state_history) ? img.state_history : []) as Transition[];
  const net: Transition[] = [{ ...(hist.at(-1) ?? {}), from: old?.status ?? null, to: String(img.status) }];
  if (!hist.length || hist.at(-1)!.to !== img.status) return net;
  if (!old) return hist.at(0)?.from === null ? [...hist] : net;
  const prev = (Array.isArray(old.state_history) ? old.state_history : []) as Transition[];
  const last = prev.at(-1);
  if (!last) return net;
  const same = (a: Transition, b: Transition) => a.to === b.to && a.from === b.from && a.at === b.at;
  const i = hist.findLastIndex((h) => same(h, last));
  if (i < 0) return net;
  const added = hist.slice(i + 1);
  // Only a chain from the old status to the new one is trusted; anything else is the net change.
  if (!added.length || added[0]!.from !== old.status) return net;
  return added;
}
