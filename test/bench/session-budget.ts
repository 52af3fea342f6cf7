/**
 * The counts a lablet session may cost (the budget the suite holds them to:
 * test/integration/local/session-budget.test.ts) and the floor each is measured against
 * (docs/performance.md, "The bill per session" explains each floor).
 *
 * Step Functions counts are exact (the lifecycle is fixed). Invocations exclude the stream
 * dispatcher's (one per batch: a busy machine batches more) and the scheduled ticks (one per
 * minute of clock, shared by every session); EventBridge entries exclude the tree_changed nudges
 * (one per stream batch, too); the views written depend a little on batching.
 */
export interface LabletCounts {
  sfnExecutions: number;
  sfnTransitions: number;
  eventDrivenInvocations: number;
  stateItemWrites: number;
  viewItemWrites: number;
  writeUnits: number;
  eventEntries: number;
}

/** What a lablet cannot do without (see docs/performance.md for the reasoning). */
export const LABLET_FLOOR: LabletCounts = {
  // Three phases do work (instantiate, grade, archive); collect has none.
  sfnExecutions: 3,
  // One transition per task the content's lifecycle declares: 6 + 1 native/job steps, 1 grade job, 5 archive steps.
  sfnTransitions: 13,
  // Invocations but the stream batches and the scheduled ticks: 1 POST + 13 tasks + 3 phase ends observed.
  eventDrivenInvocations: 17,
  // One conditional write per status change of the tree (session 7, part 10, pod 5), plus the
  // idempotency record, the worker allocation and its release.
  stateItemWrites: 25,
  // One tree view per status change of the session tree: (7 + 10 + 5).
  viewItemWrites: 22,
  // Every state write ≤ 1 KB and each view a row ≤ 1 KB without index copies: 25 + 22.
  writeUnits: 47,
  // The documented events of a lablet, in order (docs/events.md): 9 session, 17 part, 5 pod, 1 report,
  // and its two jobs' started and completed. Not counted: the jobs' progress, one per step outcome
  // (13 for the sample content), which a product could leave out.
  eventEntries: 36,
};

/** The recorded budget per lablet: a change that needs more fails the budget test. */
export const LABLET_BUDGET: LabletCounts = {
  sfnExecutions: 4,
  sfnTransitions: 14,
  // 34 until D233 (the stream woke the reconciler after every change; 19 since: only for work).
  eventDrivenInvocations: 22,
  // 46 until D232 (a write per job step outcome; 34 since: outcomes written in batches). A clock
  // step in the middle of a job can add a progress write or two.
  stateItemWrites: 38,
  // Measured 78.7 at first, 83 after issue 15's fields (review index, extend limit, report ref)
  // joined the tree; views follow stream batching, so the budget leaves ~10 %.
  // 56 after D232 (fewer announcing stream records, so fewer outbox marks); 33.7 after D234 (one
  // mark per announcing record instead of two).
  viewItemWrites: 40,
  // 359 at first, 437 once sessions carried their tenant, extension limit and review fields;
  // 260 once the listing indexes stopped copying the tree (D229: 196 → 17 units on indexes).
  // 205 after D232, 183 after D234; 149 after D235 (the tree view stored compressed: a view
  // 4.2 KB → 1.3 KB, 5 units → 2). Tree views follow batching (11–13 a lablet, 2 units each).
  writeUnits: 165,
  // Per-batch tree_changed nudges excluded (test/bench/cost.bench.ts counts()): 49 measured after
  // issue 15's one LDS session per session and the capacity wait (D150, D160); 64 with the nudges
  // had been the budget, and a busy run's 64.5 broke it by batching alone.
  eventEntries: 50,
};
