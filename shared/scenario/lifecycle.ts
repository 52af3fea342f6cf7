/**
 * Jobs a part's lifecycle runs (the state machine's job task, in Lambda or the Fargate task):
 * the payload carries references only; the job's scopes are built here from the session tree and
 * the pod's placement (never credentials: connectors name them, `secret: cml/devices`); the job record's id is derived from (session, part,
 * phase, attempt, job), so a retried task finds the earlier run instead of starting another.
 * A score report's summary is written onto the part; the document stays in S3.
 */
import type { Clock } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import type { PartDoc, PhaseInput } from '../domain/session.ts';
import { TASK_ENV, type TaskEnv, type TaskEnvKey } from '../runtime/env.ts';
import { keys } from '../store/keys.ts';
import { itemsToTree } from '../store/session-tree.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';
import { executeJob, lifecycleJobId, type JobInput, type JobRecord, type JobRepository } from './jobs.ts';
import type { ScenarioServices } from './functions.ts';
import type { JobContent } from './jobs.ts';

/** A job task's payload: the phase input (the Fargate task gets it without the pod list) and the job. */
export interface LifecycleJobPayload
  extends Omit<PhaseInput, 'pods' | 'cleanup'>, Partial<Pick<PhaseInput, 'pods' | 'cleanup'>> {
  job: string;
  process_type?: string;
  rubric?: string;
  report?: string;
}

/** The payload the compiled state machine hands the Fargate task in its environment (TASK_ENV). */
export function payloadFromTaskEnv(e: TaskEnv): LifecycleJobPayload {
  const need = (key: TaskEnvKey): string => {
    const v = e[key];
    if (!v) throw new Error(`${TASK_ENV[key]} is not set`);
    return v;
  };
  return {
    job: need('job'),
    ...(e.processType ? { process_type: e.processType } : {}),
    ...(e.rubric ? { rubric: e.rubric } : {}),
    ...(e.report ? { report: e.report } : {}),
    session_id: need('sessionId'),
    part_order: Number(need('partOrder')),
    phase: need('phase'),
    attempt: Number(e.attempt ?? 1),
    pod_definition_id: e.podDefinitionId && e.podDefinitionId !== 'null' ? e.podDefinitionId : null,
  };
}

interface WorkerItem extends StoredItem {
  id: string;
  address: string;
  cml_url?: string;
}

/** session, runtime_env and vars for a lifecycle job of one part. */
export async function lifecycleJobInput(
  store: StateStore,
  p: LifecycleJobPayload,
): Promise<{ input: JobInput; form_fqn?: string }> {
  const tree = itemsToTree(await store.queryPartition<StoredItem>(keys.sessionPartition(p.session_id)));
  const part = tree?.parts.find((x) => x.order === p.part_order);
  if (!tree || !part) throw new Problem('not-found', `no part ${p.part_order} of session ${p.session_id}`);
  const session = tree.session;
  const pod = tree.pods.find((x) => x.part_order === p.part_order);
  const runtime_env: Record<string, unknown> = {};
  if (pod?.host_id) {
    const w = await store.get<WorkerItem>(keys.worker(pod.host_id));
    if (w)
      runtime_env.worker = { id: w.id, address: w.address, ...(w.cml_url ? { cml_url: w.cml_url } : {}) };
    if (pod.lab_id) runtime_env.lab_id = pod.lab_id;
    runtime_env.lab_title = `lcm-${pod.id}`;
    const devices: Record<string, Record<string, unknown>> = {};
    for (const [name, port] of Object.entries(pod.ports ?? {})) {
      const m = /^(.+)_(serial|vnc|pat|ssh)$/.exec(name);
      if (!m) continue;
      devices[m[1]!] ??= {};
      devices[m[1]!]![`${m[2]}_port`] = port;
    }
    runtime_env.devices = devices;
  }
  return {
    input: {
      session: {
        id: session.id,
        session_type: session.session_type,
        candidate_id: session.candidate.candidate_id,
        timeslot: session.timeslot,
        ...(session.cut_score !== undefined ? { cut_score: session.cut_score } : {}),
        part: { order: part.order, name: part.name, timeslot: part.timeslot },
        form_fqn: part.form.fqn,
      },
      runtime_env,
      vars: {},
    },
    form_fqn: part.form.fqn,
  };
}

/** Runs a lifecycle job and records its report summary on the part; throws when the job did not complete. */
export async function runLifecycleJob(args: {
  payload: LifecycleJobPayload;
  store: StateStore;
  repo: JobRepository;
  clock: Clock;
  services: ScenarioServices;
  loadContent: (r: JobRecord, extra: { form_fqn?: string }) => Promise<JobContent>;
  runner: 'lambda' | 'fargate';
  onHeartbeat?: () => Promise<void>;
}): Promise<JobRecord> {
  const { payload: p } = args;
  if (!p.pod_definition_id) throw new Problem('validation-error', 'a lifecycle job needs a pod definition');
  const { input, form_fqn } = await lifecycleJobInput(args.store, p);
  const id = lifecycleJobId(
    { session_id: p.session_id, part_order: p.part_order, phase: p.phase, attempt: p.attempt },
    p.job,
  );
  await args.repo.create({
    id,
    job: p.job,
    pod_definition_id: p.pod_definition_id,
    ...(p.process_type ? { process_type: p.process_type } : {}),
    metadata: { session_id: p.session_id, part_order: p.part_order, phase: p.phase, attempt: p.attempt },
    origin: {
      kind: 'lifecycle',
      session_id: p.session_id,
      part_order: p.part_order,
      phase: p.phase,
      attempt: p.attempt,
    },
    runner: args.runner,
    input,
  });
  const record = await executeJob({
    repo: args.repo,
    jobId: id,
    clock: args.clock,
    loadContent: (r) => args.loadContent(r, form_fqn ? { form_fqn } : {}),
    input,
    services: args.services,
    by: `job-runner:${args.runner}`,
    ...(args.onHeartbeat ? { onHeartbeat: args.onHeartbeat } : {}),
  });
  if (record.status === 'running' || record.status === 'submitted')
    throw Object.assign(new Error(`job ${id} is still ${record.status} in another runner`), {
      name: 'Job.InProgress',
    });
  if (record.status !== 'completed') {
    const e = record.error;
    throw Object.assign(new Error(e?.detail ?? `job ${id} ${record.status}`), {
      name: `Job.${record.status === 'cancelled' ? 'cancelled' : (e?.kind ?? 'failed')}`,
    });
  }
  const score = record.reports?.find((r) => r.kind === 'score');
  if (score) await recordScoreOnPart(args.store, p, score.ref, score.summary, args.clock);
  return record;
}

async function recordScoreOnPart(
  store: StateStore,
  p: LifecycleJobPayload,
  ref: string,
  summary: Record<string, unknown>,
  clock: Clock,
): Promise<void> {
  await store.update<StoredItem & PartDoc>(keys.part(p.session_id, p.part_order), (part) =>
    part.score_report_ref === ref
      ? undefined
      : {
          ...part,
          score_report: { ...summary },
          score_report_ref: ref,
          updated_at: new Date(clock.now()).toISOString(),
        },
  );
}
