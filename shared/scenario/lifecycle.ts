/**
 * Jobs a part's lifecycle runs (the state machine's job task, in Lambda or the Fargate task):
 * the payload carries references only; the job's scopes are built here from the session tree,
 * the pod's placement and the credentials; the job record's id is derived from (session, part,
 * phase, attempt, job), so a retried task finds the earlier run instead of starting another.
 * A score report's summary is written onto the part; the document stays in S3.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import { keys } from '../store/keys.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';
import type { PartDoc, PodDoc, SessionDoc } from '../orchestration/model.ts';
import { executeJob, lifecycleJobId, type JobInput, type JobRecord, type JobRepository } from './jobs.ts';
import type { ScenarioServices } from './functions.ts';
import type { JobContent } from './jobs.ts';

export interface LifecycleJobPayload {
  job: string;
  process_type?: string;
  rubric?: string;
  report?: string;
  session_id: string;
  part_order: number;
  phase: string;
  attempt: number;
  pod_definition_id: string | null;
  pods?: { index: number; id: string }[];
  cleanup?: boolean;
}

export interface Credentials {
  cml?: { username: string; password: string };
  devices?: { username?: string; password?: string; enable_password?: string };
}

let secretCache: { at: number; value: Credentials } | undefined;

/** CML and device credentials: LCM_CML_CREDENTIALS (JSON, local runtime) or the CML secret. */
export async function credentials(now: number): Promise<Credentials> {
  const inline = process.env.LCM_CML_CREDENTIALS;
  if (inline) return JSON.parse(inline) as Credentials;
  if (secretCache && now - secretCache.at < 300_000) return secretCache.value;
  const arn = process.env.LCM_CML_SECRET_ARN;
  if (!arn) return {};
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
  const value = JSON.parse(out.SecretString ?? '{}') as Credentials;
  secretCache = { at: now, value };
  return value;
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
  creds: Credentials,
): Promise<{ input: JobInput; form_fqn?: string }> {
  const tree = await store.queryPartition<StoredItem & Record<string, unknown>>(
    keys.sessionPartition(p.session_id),
  );
  const session = tree.find((i) => i.sk === 'SESSION') as unknown as SessionDoc | undefined;
  const part = tree.find((i) => i.sk === keys.part(p.session_id, p.part_order).sk) as unknown as
    PartDoc | undefined;
  if (!session || !part) throw new Problem('not-found', `no part ${p.part_order} of session ${p.session_id}`);
  const pod = tree.find((i) => i.entity === 'pod' && i.part_order === p.part_order) as unknown as
    PodDoc | undefined;
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
      devices[m[1]!] ??= { ...(creds.devices ?? {}) };
      devices[m[1]!]![`${m[2]}_port`] = port;
    }
    runtime_env.devices = devices;
    if (creds.cml) runtime_env.cml = creds.cml;
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
  const creds = await credentials(args.clock.now());
  const { input, form_fqn } = await lifecycleJobInput(args.store, p, creds);
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
