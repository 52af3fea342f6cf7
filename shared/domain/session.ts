/**
 * The runtime resources the reconciler converges, as stored in a session tree: one session, its
 * parts, and the pod instances the parts need. Snake_case on the wire; these are the contract
 * schedulers and subscribers read. The session model every module shares: the planner builds
 * it, the reconciler decides on it, the native steps and jobs read it.
 */
import type { Timeslot } from './timeslot.ts';
import type { TimedResource } from './timed-resource.ts';
import type { PhaseName, PodType } from './lifecycle.ts';

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
export const SESSION_DESIRED = ['completed', 'cancelled'] as const;
export type SessionDesired = (typeof SESSION_DESIRED)[number];
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
export const PART_DESIRED = ['pending', 'active', 'archived', 'cancelled'] as const;
export type PartDesired = (typeof PART_DESIRED)[number];
/** A settled part no longer holds its gate. */
export const PART_SETTLED: ReadonlySet<PartStatus> = new Set(['archived', 'failed', 'cancelled']);

export const POD_STATUSES = [
  'pending',
  'provisioning',
  'ready',
  'active',
  'tearing_down',
  'terminated',
  'failed',
] as const;
export type PodStatus = (typeof POD_STATUSES)[number];
export const POD_GONE: ReadonlySet<PodStatus> = new Set(['terminated', 'failed']);

/** Lifecycle phase → the part status it runs in. */
export const PHASE_STATUS: Record<PhaseName, PartStatus> = {
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
  input?: PhaseInput;
}

/**
 * What a phase execution receives, and every task in it (native steps, jobs): references only,
 * never documents (a Step Functions state holds at most 256 KiB).
 */
export interface PhaseInput {
  session_id: string;
  part_order: number;
  phase: string;
  attempt: number;
  pod_definition_id: string | null;
  pods: { index: number; id: string }[];
  cleanup: boolean;
}

export interface ScoreSummary {
  points_awarded: number;
  points_max: number;
  percentage: number;
  passed: boolean;
}

export interface SessionDoc extends TimedResource<SessionStatus, SessionDesired> {
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
  /** The latest end an extension may ask for (booked end + the definition's max_extension_minutes). */
  extend_limit?: string;
  score_report?: object;
  score_report_ref?: string;
  escalation?: { reason: string; at: string; failed_parts: number[] };
  /**
   * Set when the cleanup deadline passed while a manual review was outstanding: the pods went,
   * the session stays open for the decision and then finishes through its ordinary steps.
   */
  held_for_review?: { at: string; parts: number[] };
  /** From the definition's session_lifecycle (`proctor_admit`): no part opens before admission. */
  admission_gate?: 'proctor';
  /** Set when a proctor admitted the candidate (POST /v1/sessions/{id}/admit). */
  admitted?: { at: string; by: string };
  cancel_reason?: string;
  /** The principal that booked the session. */
  created_by?: string;
  /** The scheduler client (tenant) that booked the session; only it reads, lists, cancels and extends it. */
  tenant?: string;
  /** The scheduler's own labels, echoed back. */
  metadata?: Record<string, string | number | boolean>;
  /** Each part's pinned form, for listings that do not read the parts. */
  parts_summary?: { order: number; name: string; form: { fqn: string; version: string } }[];
}

export interface PartDoc extends TimedResource<PartStatus, PartDesired> {
  session_id: string;
  order: number;
  name: string;
  form: { fqn: string; version: string };
  pod_definition_id?: string;
  pod_type?: PodType;
  timeslot: Timeslot;
  duration_minutes: number;
  gates_next: boolean;
  review: 'auto' | 'manual';
  /** From the definition: how long a manual review may wait before it is escalated. */
  review_deadline_minutes?: number;
  /** When a manual review entered `reviewing` with a deadline: the moment it escalates. */
  review_due?: string;
  /** Set once when `review_due` passed undecided; the part keeps waiting for its decision. */
  review_escalated?: { at: string; reason: string };
  /** phase name → state machine name, for the phases this part's content defines. */
  phases: Record<string, string>;
  phase_retry?: Record<string, number>;
  phase_execution?: PhaseExecution;
  /** Outcomes of earlier phases, newest last (bounded by the number of phases). */
  phase_log?: PhaseExecution[];
  provisioned?: boolean;
  /** When a pod of the part was placed again (its worker lost): its phases since then count. */
  replaced_at?: string;
  activated_at?: string;
  deadline?: string;
  candidate_started_at?: string;
  end_requested?: { at: string; by: string; reason?: string };
  review_decision?: ReviewDecision;
  score_report?: Record<string, unknown> & Partial<ScoreSummary>;
  score_report_ref?: string;
  failure?: { phase: string; error: string; cause?: string };
  /** From the definition: how long the part may be paused in total (shared/domain/pause.ts). */
  max_pause_minutes?: number;
  /** Intent: a pause asked for (API or LDS) at `at`; the reconciler applies it from that instant. */
  pause_requested?: PauseRequest;
  /** Intent: a resume asked for at `at`; the reconciler applies it (the pause ends at `at`). */
  resume_requested?: PauseRequest;
  /** Set while the part is paused: its clock stopped at `at`. */
  paused?: PauseRequest;
  /** The part's finished pauses, oldest first (bounded). */
  pauses?: PauseRecord[];
  /** The session's one LDS session, once this part is registered in it (D160). */
  lds_session_id?: string;
  /** Where the candidate opens this part (from the LDS; web-only parts have one too). */
  launch_url?: string;
  /**
   * Set while a pod of the part waits for capacity (its placing phase failed with
   * `lcm.WaitingForCapacity` and runs again every minute, D150): since the first wait, until its
   * bound, the latest reason. Cleared when the pods are placed or the part leaves `instantiating`.
   */
  waiting_for_capacity?: CapacityWait;
}

/** A part's wait for a worker (D195): `since` the first wait, `until` its bound, the latest `reason`. */
export interface CapacityWait {
  since: string;
  until: string;
  reason: string;
}

/** Who asked for a pause or a resume: a principal through the API, or the lab delivery system. */
export type PauseOrigin = 'api' | 'lds';

export interface PauseRequest {
  at: string;
  by: string;
  origin: PauseOrigin;
  reason?: string;
}

/** A finished pause: from `at` to `until`, who paused and who (or what) resumed. */
export interface PauseRecord {
  at: string;
  until: string;
  by: string;
  resumed_by: string;
  reason?: string;
}

/** A reviewer's decision on a manual review, with the principal who made it. */
export interface ReviewDecision {
  decision: 'accept' | 'reject';
  points_awarded?: number;
  comment?: string;
  at: string;
  /** The principal (token subject) that decided. */
  by: string;
}

/** A part waiting for a reviewer: in `reviewing`, reviewed by hand, not yet decided. */
export const awaitingReview = (p: Pick<PartDoc, 'status' | 'review' | 'review_decision'>) =>
  p.status === 'reviewing' && p.review === 'manual' && !p.review_decision;

/** When the part last entered `reviewing` (its history), or its last update. */
export const reviewingSince = (p: Pick<PartDoc, 'state_history' | 'updated_at'>) =>
  p.state_history.findLast((h) => h.to === 'reviewing')?.at ?? p.updated_at;

export interface PodDoc extends TimedResource<PodStatus, 'ready' | 'terminated'> {
  session_id: string;
  part_order: number;
  index: number;
  pod_definition_id?: string;
  pod_type: PodType;
  host_id?: string;
  lab_id?: string;
  ports?: Record<string, number>;
  /** What the pod holds on its worker, given back when it goes. */
  held?: { cpu_cores: number; memory_gb: number; nodes: number; ports: number[] };
  lds_session_id?: string;
  launch_url?: string;
}

export interface SessionTree {
  session: SessionDoc;
  parts: PartDoc[];
  pods: PodDoc[];
}

/**
 * A tree item's name within its session: `session`, `part:<order>`, `pod:<order>:<index>`. A
 * decision reports the items it changed by these names; the store writes exactly those.
 */
export type TreeItemRef = 'session' | `part:${number}` | `pod:${number}:${number}`;
export const partRef = (order: number): TreeItemRef => `part:${order}`;
export const podRef = (p: Pick<PodDoc, 'part_order' | 'index'>): TreeItemRef =>
  `pod:${p.part_order}:${p.index}`;
