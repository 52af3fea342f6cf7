/**
 * The one list of event types and sources this product publishes or accepts. docs/events.md
 * documents each with an example; a test keeps the two in step.
 */
export const SOURCES = {
  sessions: 'lcm.sessions',
  content: 'lcm.content',
  scenarioEngine: 'lcm.scenario_engine',
  grading: 'lcm.grading',
  workers: 'lcm.workers',
  orchestration: 'lcm.orchestration',
} as const;

export const EVENT_TYPES = {
  sessionScheduled: 'lcm.session.scheduled.v1',
  sessionStatusChanged: 'lcm.session.status_changed.v1',
  sessionCompleted: 'lcm.session.completed.v1',
  sessionCancelled: 'lcm.session.cancelled.v1',
  sessionEscalated: 'lcm.session.escalated.v1',
  sessionExtended: 'lcm.session.extended.v1',
  sessionAdmitted: 'lcm.session.admitted.v1',
  partStatusChanged: 'lcm.session_part.status_changed.v1',
  partReviewDecided: 'lcm.session_part.review_decided.v1',
  partReviewEscalated: 'lcm.session_part.review_escalated.v1',
  partPaused: 'lcm.session_part.paused.v1',
  partResumed: 'lcm.session_part.resumed.v1',
  partWaitingForCapacity: 'lcm.session_part.waiting_for_capacity.v1',
  partPhaseStarted: 'lcm.session_part.phase_started.v1',
  partPhaseCompleted: 'lcm.session_part.phase_completed.v1',
  partPhaseFailed: 'lcm.session_part.phase_failed.v1',
  podStatusChanged: 'lcm.pod_instance.status_changed.v1',
  podDefinitionReady: 'lcm.pod_definition.ready.v1',
  podDefinitionSyncFailed: 'lcm.pod_definition.sync_failed.v1',
  podDefinitionSuperseded: 'lcm.pod_definition.superseded.v1',
  jobStarted: 'lcm.scenario_engine.job.started.v1',
  jobProgress: 'lcm.scenario_engine.job.progress.v1',
  jobCompleted: 'lcm.scenario_engine.job.completed.v1',
  jobFailed: 'lcm.scenario_engine.job.failed.v1',
  jobCancelled: 'lcm.scenario_engine.job.cancelled.v1',
  scoreReportPublished: 'lcm.grading.score_report.published.v1',
  workerStatusChanged: 'lcm.worker.status_changed.v1',
  workerScaledUp: 'lcm.worker.scaled_up.v1',
  workerScaledDown: 'lcm.worker.scaled_down.v1',
  /** Internal: the stream dispatcher's "this session tree changed" fan-out to the reconciler. */
  treeChanged: 'lcm.orchestration.tree_changed.v1',
} as const;

export type LcmEventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** Accepted from outside: the lab delivery system and external graders. */
/** How long the bus archive keeps events: inbound deliveries are deduplicated for as long. */
export const EVENT_ARCHIVE_RETENTION_DAYS = 30;

export const INBOUND_EVENT_TYPES = {
  ldsSessionRunning: 'lds.session.running.v1',
  ldsSessionPaused: 'lds.session.paused.v1',
  ldsSessionResumed: 'lds.session.resumed.v1',
  ldsSessionEnded: 'lds.session.ended.v1',
  gradingCompleted: 'grader.grading.completed.v1',
  gradingFailed: 'grader.grading.failed.v1',
} as const;

/** Events AWS services publish that the product's rules match (source and detail-type). */
export const AWS_EVENTS = {
  objectCreated: { source: 'aws.s3', detailType: 'Object Created' },
  executionStatusChanged: { source: 'aws.states', detailType: 'Step Functions Execution Status Change' },
  scheduled: { source: 'aws.events', detailType: 'Scheduled Event' },
} as const;
