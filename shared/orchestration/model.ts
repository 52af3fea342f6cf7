/**
 * The runtime resources the reconciler converges (DOMAIN.md §2), as stored in a session tree.
 * Snake_case on the wire; these are the contract subscribers and schedulers read.
 */
import type { Timeslot } from '../domain/timeslot.ts';
import type { StateTransition } from '../domain/timed-resource.ts';

export const SESSION_STATUSES = [
  'pending',
  'admitting',
  'running',
  'aggregating',
  'submitting',
  'finalizing',
  'completed',
  'cancelled',
  'failed',
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export type SessionDesired = 'completed' | 'cancelled';
export const SESSION_TERMINAL: ReadonlySet<SessionStatus> = new Set(['completed', 'cancelled', 'failed']);

export const PART_STATUSES = [
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
] as const;
export type PartStatus = (typeof PART_STATUSES)[number];
export type PartDesired = 'pending' | 'active' | 'archived' | 'cancelled';
/** A settled part no longer holds its gate. */
export const PART_SETTLED: ReadonlySet<PartStatus> = new Set(['archived', 'failed', 'cancelled']);

export type PodStatus =
  'pending' | 'provisioning' | 'ready' | 'active' | 'tearing_down' | 'terminated' | 'failed';
export const POD_GONE: ReadonlySet<PodStatus> = new Set(['terminated', 'failed']);

/** Lifecycle phase → the part status it runs in (CONTENT.md §5). */
export const PHASE_STATUS: Record<string, PartStatus> = {
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
};

export type PhaseOutcome = 'succeeded' | 'failed' | 'timed_out' | 'aborted';

export interface PhaseExecution {
  phase: string;
  execution_name: string;
  state_machine: string;
  attempt: number;
  started_at: string;
  outcome?: PhaseOutcome;
  error?: string;
  /** What the execution said about its failure (Step Functions' `cause`, bounded). */
  cause?: string;
  ended_at?: string;
  /** A teardown run after a failure or cancel: its outcome does not move the part. */
  cleanup?: boolean;
  /** The execution's input, kept so a lost start can be re-issued identically. */
  input?: {
    session_id: string;
    part_order: number;
    phase: string;
    attempt: number;
    pod_definition_id: string | null;
    pods: { index: number; id: string }[];
    cleanup: boolean;
  };
}

export interface ScoreSummary {
  points_awarded: number;
  points_max: number;
  percentage: number;
  passed: boolean;
}

interface Timed<S extends string, D extends string> {
  id: string;
  status: S;
  desired_status: D;
  state_version: number;
  state_history: StateTransition<S>[];
  created_at: string;
  updated_at: string;
  started_at?: string;
  ended_at?: string;
}

export interface SessionDoc extends Timed<SessionStatus, SessionDesired> {
  session_type: string;
  definition_version?: string;
  addressed_by?: string;
  part_execution: 'single' | 'sequential' | 'parallel';
  abort_on_part_failure?: boolean;
  timeslot: Timeslot;
  cut_score?: number;
  candidate: { candidate_id: string; first_name?: string; last_name?: string; email?: string };
  reservation_id?: string;
  /** Intent: a later end asked for through the API; the reconciler applies it. */
  requested_end?: string;
  score_report?: object;
  score_report_ref?: string;
  escalation?: { reason: string; at: string; failed_parts: number[] };
  cancel_reason?: string;
}

export interface PartDoc extends Timed<PartStatus, PartDesired> {
  session_id: string;
  order: number;
  name: string;
  form: { fqn: string; version: string };
  pod_definition_id?: string;
  pod_type?: string;
  timeslot: Timeslot;
  duration_minutes: number;
  gates_next: boolean;
  review: 'auto' | 'manual';
  /** phase name → state machine name, for the phases this part's content defines. */
  phases: Record<string, string>;
  phase_retry?: Record<string, number>;
  phase_execution?: PhaseExecution;
  /** Outcomes of earlier phases, newest last (bounded by the number of phases). */
  phase_log?: PhaseExecution[];
  provisioned?: boolean;
  activated_at?: string;
  deadline?: string;
  candidate_started_at?: string;
  end_requested?: { at: string; by: string; reason?: string };
  review_decision?: { decision: 'accept' | 'reject'; points_awarded?: number; comment?: string; at: string };
  score_report?: Record<string, unknown> & Partial<ScoreSummary>;
  score_report_ref?: string;
  failure?: { phase: string; error: string; cause?: string };
}

export interface PodDoc extends Timed<PodStatus, 'ready' | 'terminated'> {
  session_id: string;
  part_order: number;
  index: number;
  pod_definition_id?: string;
  pod_type: string;
  host_id?: string;
  lab_id?: string;
  ports?: Record<string, number>;
}

export interface SessionTree {
  session: SessionDoc;
  parts: PartDoc[];
  pods: PodDoc[];
}
