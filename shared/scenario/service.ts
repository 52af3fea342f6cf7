/**
 * The scenario engine's application service: wires its ports from the environment (Lambda, the
 * Fargate task, the local runtime) and answers the jobs API.
 */
import { parseS3Ref } from '../adapters/s3-documents.ts';
import { secretPointers } from '../domain/secrets.ts';
import { ID_PREFIX, newUnguessableId, type JobId } from '../domain/ids.ts';
import { transition } from '../domain/timed-resource.ts';
import { Problem } from '../domain/problem.ts';
import { FUNCTION_CATALOGUE } from '../dsl/catalogue.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { invokeEvent } from '../runtime/aws-on-first-use.ts';
import { s3SdkOnFirstUse } from '../runtime/aws-s3-on-first-use.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env } from '../runtime/env.ts';
import { isConflict } from '../store/errors.ts';
import { keys, type Key } from '../store/keys.ts';
import {
  checkPayload,
  keyRecordVersion,
  keyRecordWrite,
  onceForKey,
  payloadHash,
  requestKey,
  type RequestKeyRecord,
} from '../store/request-keys.ts';
import { StateStore, type StoredItem } from '../store/state-store.ts';
import { jobRepository } from './job-store.ts';
import { jobView, type JobInput, type JobRepository } from './jobs.ts';

/** How long the link to a job's outputs document that GET /v1/jobs/{id} answers stays valid. */
export const OUTPUTS_LINK_SECONDS = 900;

export { jobRepository };

export interface SubmitJob {
  job: string;
  pod_definition_id: string;
  input?: JobInput;
  metadata?: Record<string, unknown>;
}

/**
 * POST /v1/jobs: a job of a ready (or superseded) pod definition, stored with its input. The input
 * takes no credentials (connectors name them by reference, `secret: cml/devices`): a request with
 * a value under a secret-looking key is refused, naming where, never what. The runner's
 * asynchronous invocation carries only the job id (nothing secret can reach its dead-letter queue).
 */
export async function submitJob(body: SubmitJob, tenant: string, once?: JobKey) {
  const leaked = secretPointers(body.input ?? {});
  if (leaked.length)
    throw new Problem(
      'validation-error',
      `input takes no credentials (${leaked.map((p) => `/input${p}`).join(', ')}): connectors name them by reference, e.g. secret: cml/devices`,
      {
        errors: leaked.map((p) => ({
          pointer: `/input${p}`,
          detail: 'credentials are named by reference, not sent',
        })),
      },
    );
  const store = new StateStore(documentClient(), env('stateTable'));
  const pd = await store.get<StoredItem & { status: string; jobs?: string[] }>(
    keys.podDefinition(body.pod_definition_id),
  );
  if (!pd) throw new Problem('not-found', `no pod definition ${body.pod_definition_id}`);
  if (pd.status !== 'ready' && pd.status !== 'superseded')
    throw new Problem(
      'state-conflict',
      `pod definition ${body.pod_definition_id} is ${pd.status}, not ready`,
    );
  if (!pd.jobs?.includes(body.job))
    throw new Problem(
      'not-found',
      `pod definition ${body.pod_definition_id} has no job ${body.job}; it has ${pd.jobs?.join(', ') || 'none'}`,
    );
  const repo = jobRepository();
  const id = newUnguessableId<JobId>(ID_PREFIX.job, runtimeClock());
  const { record } = await repo.create(
    {
      id,
      job: body.job,
      pod_definition_id: body.pod_definition_id,
      metadata: body.metadata ?? {},
      origin: { kind: 'api', by: tenant },
      input: body.input ?? {},
    },
    // With an Idempotency-Key, the key's record lands in the job's own transaction (D238).
    once ? [keyRecordWrite(once.key, once.payload, runtimeClock().now(), { job_id: id }, once.expired)] : [],
  );
  try {
    // Lambda on first use (D211): the jobs API's reads and cancels never call it.
    await invokeEvent(env('jobRunnerFunction'), { job_id: record.id });
  } catch (e) {
    // The runner was never started: the job must not sit `submitted` for ever.
    const now = runtimeClock().now();
    await repo.update(record.id, (r) =>
      r.status === 'submitted'
        ? {
            ...transition(r, 'failed', {
              now,
              by: 'jobs-api',
              reason: 'the runner could not be started',
              terminal: true,
            }),
            error: {
              type: 'urn:lcm:problem:communication-error',
              kind: 'communication-error',
              status: 503,
              title: 'A downstream system could not be reached',
              detail: 'the job runner could not be started; submit again',
            },
          }
        : undefined,
    );
    // The job is failed: free its key, so that "submit again" with it submits again.
    if (once) await releaseKey(store, once);
    throw new Problem('communication-error', 'the job runner could not be started; submit again', {
      cause: e,
    });
  }
  return { job_id: record.id, status: record.status };
}

interface JobKey {
  key: Key;
  payload: string;
  /** A record past its 24 hours that TTL has not deleted yet, replaced by this one. */
  expired?: StoredItem;
}

/** The record of a `POST /v1/jobs` with an Idempotency-Key (D238): the job it stored. */
interface JobKeyRecord extends RequestKeyRecord {
  job_id: string;
}

/**
 * A job still `submitted` this long after it was stored has lost its runner's start (the
 * invocation died between the write and the invoke): a replay of its key starts the runner again.
 * A runner takes a job with a conditional write, so a second start runs nothing twice.
 */
export const LOST_START_MS = 60_000;

/** Deletes the key's record this submission wrote (at the version it wrote), nobody else's. */
async function releaseKey(store: StateStore, once: JobKey): Promise<void> {
  await store
    .write([{ kind: 'delete', key: once.key, expectedVersion: keyRecordVersion(once.expired) }])
    .catch((e: unknown) => {
      if (!isConflict(e)) throw e;
    });
}

/** The job a key stored, as it is now; its runner started again if its start was lost. */
async function replayJob(record: JobKeyRecord, payload: string, tenant: string) {
  checkPayload(record, payload);
  const r = await ownJob(jobRepository(), record.job_id, tenant);
  if (r.status === 'submitted' && runtimeClock().now() - Date.parse(r.created_at) >= LOST_START_MS) {
    try {
      await invokeEvent(env('jobRunnerFunction'), { job_id: r.id });
    } catch (e) {
      throw new Problem('communication-error', 'the job runner could not be started; submit again', {
        cause: e,
      });
    }
  }
  return { job_id: r.id, status: r.status };
}

/**
 * POST /v1/jobs with an Idempotency-Key: one job per (tenant, key) for 24 h of the service clock,
 * whatever fails after it was stored (D238); the same key with another body is refused (422); two
 * submissions at once store one job and both answer it.
 */
export async function submitJobOnce(req: { key: string; body: SubmitJob; tenant: string }) {
  const key = requestKey('submit-job', req.tenant, req.key);
  const payload = payloadHash(req.body);
  return onceForKey<JobKeyRecord, { job_id: string; status: string }>({
    store: new StateStore(documentClient(), env('stateTable')),
    key,
    now: () => runtimeClock().now(),
    replay: (r) => replayJob(r, payload, req.tenant),
    create: (expired) => submitJob(req.body, req.tenant, { key, payload, ...(expired ? { expired } : {}) }),
  });
}

/**
 * A job as the jobs API may show it: only jobs started through the API, and only to the tenant
 * that started them. Exam (lifecycle) jobs and other tenants' jobs do not exist here.
 */
async function ownJob(repo: JobRepository, id: string, tenant: string) {
  const r = await repo.get(id);
  if (!r || r.origin.kind !== 'api' || r.origin.by !== tenant) throw new Problem('not-found', `no job ${id}`);
  return r;
}

/**
 * GET /v1/jobs/{id}: the job, and when its outputs were too large for the record, a short-lived
 * link to the whole document (presigned with the jobs API's own read grant on the artefacts bucket).
 */
export async function getJob(id: string, tenant: string) {
  const r = await ownJob(jobRepository(), id, tenant);
  const at = r.outputs_ref ? parseS3Ref(r.outputs_ref) : undefined;
  const outputs_url = at ? await presignedGet(at.bucket, at.key) : undefined;
  return { ...jobView(r), ...(outputs_url ? { outputs_url } : {}) };
}

/** S3 and its presigner load on the first job whose outputs are a document (D211). */
async function presignedGet(bucket: string, key: string): Promise<string> {
  const [{ getSignedUrl }, { client, GetObjectCommand }] = await Promise.all([
    import('@aws-sdk/s3-request-presigner'),
    s3SdkOnFirstUse(),
  ]);
  return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: OUTPUTS_LINK_SECONDS,
  });
}

export async function cancelJob(id: string, tenant: string) {
  const repo = jobRepository();
  await ownJob(repo, id, tenant);
  return jobView(await repo.requestCancel(id, tenant));
}

/** The DSL's function catalogue as the API lists it. */
export const functionCatalogue = () =>
  Object.entries(FUNCTION_CATALOGUE).map(([uses, f]) => ({
    name: f.name,
    version: f.version,
    uses,
    description: f.description,
    needs_target: f.needsTarget,
    input: f.input,
    output: f.output,
  }));
