/**
 * Scenario-engine jobs as resources: `submitted → running →
 * completed | failed | cancelled`, stored in the state table (so the stream publishes their
 * events), written conditionally on `state_version`. A job's input holds no credentials (its
 * connectors name them by reference, resolved by the runner's adapter); the record keeps the
 * input, and the runner reads it from there, so an invocation (and its dead-letter queue) carries
 * only the job id.
 */
import { randomUUID } from 'node:crypto';
import { iso, type Clock } from '../domain/clock.ts';
import { newJobId, shortHash } from '../domain/ids.ts';
import { Problem } from '../domain/problem.ts';
import { newTimedResource, transition, type TimedResource } from '../domain/timed-resource.ts';
import type { JobDefinition } from '../dsl/catalogue.ts';
import { keys } from '../store/keys.ts';
import { isConflict } from '../store/errors.ts';
import type { StateStore, StoredItem, WriteOp } from '../store/state-store.ts';
import {
  runJob,
  toJobError,
  type ExecutorDeps,
  type JobError,
  type JobProgress,
  type JobResult,
} from './executor.ts';
import type { ScenarioServices } from './functions.ts';
import type { Scopes } from './jq.ts';
import { Redactor } from './redact.ts';
import { jsonBytes, OUTPUTS_INLINE_BYTES, outputsDigest } from './outputs.ts';
import { ProgressLog, progressFields, type ProgressOutcome } from './progress-log.ts';

export type JobStatus = 'submitted' | 'running' | 'completed' | 'failed' | 'cancelled';
export type JobDesired = 'completed' | 'cancelled';
export const TERMINAL_JOB: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export interface JobOrigin {
  kind: 'api' | 'lifecycle';
  /** kind `api`: the tenant that started it (only it reads or cancels the job through the API). */
  by?: string;
  session_id?: string;
  part_order?: number;
  phase?: string;
  attempt?: number;
}

export interface JobRecord extends StoredItem, TimedResource<JobStatus, JobDesired> {
  entity: 'job';
  job: string;
  pod_definition_id: string;
  process_type?: string;
  metadata: Record<string, unknown>;
  origin: JobOrigin;
  runner: 'lambda' | 'fargate';
  /** The caller's input with every secret masked. */
  input: Record<string, unknown>;
  /** The latest step outcome written. */
  progress?: JobProgress & { steps_completed: number };
  /** The outcomes the latest progress write added (D232): one job.progress event each. */
  progress_outcomes?: ProgressOutcome[];
  /** The number of the last outcome written in this run. */
  progress_seq?: number;
  steps?: JobResult['steps'];
  /** Captured vars (secrets masked); when too large, a digest pointing into `outputs_ref`. */
  outputs?: Record<string, unknown>;
  /** The run's whole outputs document in the artefacts bucket, when they did not fit the record. */
  outputs_ref?: string;
  reports?: JobResult['reports'];
  report_ref?: string;
  error?: JobError;
  expires_at: number;
  /** Which run of the job this is (1, then one more each time a retry runs it afresh or takes it over). */
  run?: number;
  /** While `running`: the clock time (ms) until which the runner holding it is known alive. */
  lease_until?: number;
  /** The runner holding the lease (one id per claim). */
  lease_owner?: string;
  /** Earlier runs of the job (newest last, at most MAX_RUNS): how each ended. */
  runs?: JobRun[];
}

export interface JobRun {
  run: number;
  status: JobStatus;
  started_at?: string;
  ended_at?: string;
  error?: JobError;
}

/**
 * A running job's lease, in clock time: its runner renews it every third of it (and with every
 * progress write); a retry that finds it expired takes the job over. As long as a phase task's
 * heartbeat (60 s), so a runner that Step Functions gave up on has lost its lease by the retry.
 */
export const JOB_LEASE_MS = 60_000;
const MAX_RUNS = 10;

export interface JobInput {
  session?: Record<string, unknown>;
  runtime_env?: Record<string, unknown>;
  vars?: Record<string, unknown>;
}

const RETENTION_S = 30 * 24 * 3600;

export class JobRepository {
  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
  ) {}

  get(id: string): Promise<JobRecord | undefined> {
    return this.store.get<JobRecord>(keys.job(id));
  }

  async create(
    args: {
      id?: string;
      job: string;
      pod_definition_id: string;
      process_type?: string;
      metadata?: Record<string, unknown>;
      origin: JobOrigin;
      runner?: 'lambda' | 'fargate';
      input: JobInput;
    },
    /** Writes that land with the job or not at all (an Idempotency-Key's record, D238). */
    also: WriteOp[] = [],
  ): Promise<{ record: JobRecord; created: boolean }> {
    const id = args.id ?? newJobId(this.clock);
    const now = this.clock.now();
    const redactor = Redactor.fromRuntimeEnv(args.input.runtime_env);
    const record: JobRecord = {
      ...keys.job(id),
      entity: 'job',
      ...newTimedResource<JobStatus, JobDesired>(id, 'submitted', 'completed', now, args.origin.kind),
      job: args.job,
      pod_definition_id: args.pod_definition_id,
      ...(args.process_type ? { process_type: args.process_type } : {}),
      metadata: args.metadata ?? {},
      origin: args.origin,
      runner: args.runner ?? 'lambda',
      input: redactor.redact(args.input) as Record<string, unknown>,
      expires_at: Math.floor(now / 1000) + RETENTION_S,
    };
    try {
      if (also.length)
        await this.store.write([{ kind: 'put', item: record, expectedVersion: null }, ...also]);
      else await this.store.put(record, null);
      return { record, created: true };
    } catch (e) {
      // A job with this id exists (a lifecycle job's id is its origin's): it is the answer. A write
      // refused with others is theirs to read.
      if (!isConflict(e) || also.length) throw e;
      const existing = await this.get(id);
      if (!existing) throw e;
      return { record: existing, created: false };
    }
  }

  /** Applies `change` to the latest record, re-reading on a lost race (bounded). */
  async update(id: string, change: (r: JobRecord) => JobRecord | undefined): Promise<JobRecord> {
    const r = await this.store.update<JobRecord>(keys.job(id), change);
    if (!r) throw new Problem('not-found', `no job ${id}`);
    return r;
  }

  /** Extends the lease of a running job held by `owner`; false when the job is no longer its. */
  async renewLease(id: string, owner: string): Promise<boolean> {
    const now = this.clock.now();
    const r = await this.update(id, (x) =>
      x.status !== 'running' || x.lease_owner !== owner
        ? undefined
        : { ...x, lease_until: now + JOB_LEASE_MS },
    );
    return r.status === 'running' && r.lease_owner === owner;
  }

  /**
   * The runner is going away (SIGTERM): a job it still holds ends `failed` at once, so a retry
   * need not wait for the lease to expire. `owner` undefined: whoever holds it.
   */
  async abandon(id: string, by: string, reason: string, owner?: string): Promise<JobRecord | undefined> {
    const now = this.clock.now();
    if (!(await this.get(id))) return undefined;
    return this.update(id, (r) =>
      r.status !== 'running' || (owner !== undefined && r.lease_owner !== owner)
        ? undefined
        : withoutLease({
            ...transition(r, 'failed', { now, by, reason, terminal: true }),
            error: cancelledError(reason),
          }),
    );
  }

  /** Cancel intent: a submitted job ends at once; a running one stops between steps. */
  async requestCancel(id: string, by: string): Promise<JobRecord> {
    const now = this.clock.now();
    return this.update(id, (r) => {
      if (TERMINAL_JOB.includes(r.status)) return undefined;
      if (r.status === 'submitted')
        return {
          ...transition({ ...r, desired_status: 'cancelled' }, 'cancelled', {
            now,
            by,
            reason: 'cancelled before it started',
            terminal: true,
          }),
          error: cancelledError('cancelled before it started'),
        };
      return { ...r, desired_status: 'cancelled', updated_at: iso(now) };
    });
  }
}

function withoutLease(r: JobRecord): JobRecord {
  const { lease_until: _l, lease_owner: _o, ...rest } = r;
  return rest as JobRecord;
}

const cancelledError = (detail: string): JobError => ({
  type: 'urn:lcm:problem:cancelled',
  kind: 'cancelled',
  status: 499,
  title: 'The operation was cancelled',
  detail,
});

/** Deterministic id for a lifecycle job: a retried state-machine task finds its earlier run. */
export const lifecycleJobId = (
  o: Required<Pick<JobOrigin, 'session_id' | 'part_order' | 'phase' | 'attempt'>>,
  job: string,
) => `job_${shortHash(o.session_id, String(o.part_order), o.phase, String(o.attempt), job)}`;

export interface JobContent {
  definition: JobDefinition;
  connectors: Record<string, unknown>[];
  content: Record<string, unknown>;
}

/**
 * Runs a stored job to its end: claims it (`submitted → running`, with a lease), runs the
 * executor with a progress write per step and the lease renewed meanwhile, then writes the
 * outcome. A claim also takes over a `running` job whose lease has expired (its runner died), and,
 * with `rerun` (a lifecycle task's retry), runs a `failed` job afresh. Otherwise a second runner
 * for the same job (a redelivered invocation) returns the record as it is; with `rerun`, one that
 * finds a live lease first waits up to one lease for it to expire. Every write after the claim is
 * conditional on still holding the lease, so a runner that lost it changes nothing.
 */
export async function executeJob(args: {
  repo: JobRepository;
  jobId: string;
  clock: Clock;
  loadContent: (r: JobRecord) => Promise<JobContent>;
  /** The job's input; the stored record's when not given. */
  input?: JobInput;
  services: ScenarioServices;
  by: string;
  functions?: ExecutorDeps['functions'];
  onHeartbeat?: () => Promise<void>;
  /** A phase task's attempt: a failed job runs again, a live lease is waited for. */
  rerun?: boolean;
  /** Called with the lease owner once the job is claimed (the task's SIGTERM handler uses it). */
  onClaimed?: (owner: string) => void;
}): Promise<JobRecord> {
  const { repo, clock } = args;
  const owner = `${args.by}:${randomUUID()}`;
  let started: JobRecord | undefined;
  const claim = (r: JobRecord): JobRecord | undefined => {
    const now = clock.now();
    const expired = r.status === 'running' && (r.lease_until ?? 0) <= now;
    const again = args.rerun === true && r.status === 'failed' && r.desired_status !== 'cancelled';
    if (r.status !== 'submitted' && !expired && !again) return undefined;
    const fresh = r.status !== 'submitted';
    const previous: JobRun[] = fresh
      ? [
          ...(r.runs ?? []),
          {
            run: r.run ?? 1,
            status: expired ? 'failed' : r.status,
            ...(r.started_at ? { started_at: r.started_at } : {}),
            ended_at: iso(now),
            ...(expired
              ? { error: cancelledError('its runner stopped renewing its lease') }
              : r.error
                ? { error: r.error }
                : {}),
          },
        ].slice(-MAX_RUNS)
      : [];
    const {
      steps: _s,
      outputs: _o,
      outputs_ref: _or,
      reports: _r,
      report_ref: _rr,
      error: _e,
      progress: _p,
      progress_outcomes: _po,
      progress_seq: _ps,
      ended_at: _end,
      ...rest
    } = r;
    started = {
      ...transition(fresh ? (rest as JobRecord) : r, 'running', {
        now,
        by: args.by,
        started: true,
        reason: expired ? 'took over: the lease had expired' : again ? 'retry: runs again' : undefined,
      }),
      run: fresh ? (r.run ?? 1) + 1 : 1,
      ...(fresh ? { runs: previous } : {}),
      lease_until: now + JOB_LEASE_MS,
      lease_owner: owner,
    };
    return started;
  };
  let first = await repo.update(args.jobId, claim);
  if (!started && args.rerun && first.status === 'running') {
    // Another runner holds it: wait (up to one lease) for its lease to run out, then take over.
    const giveUpAt = clock.now() + JOB_LEASE_MS;
    while (!started && first.status === 'running' && clock.now() < giveUpAt) {
      const wait = Math.max(1, Math.min((first.lease_until ?? 0) - clock.now() + 1, giveUpAt - clock.now()));
      await args.services.sleep(wait);
      first = await repo.update(args.jobId, claim);
    }
  }
  if (!started) return first;
  const run = (started as JobRecord).run ?? 1;
  args.onClaimed?.(owner);
  const held = (r: JobRecord) => r.status === 'running' && r.lease_owner === owner;
  const input: JobInput = args.input ?? (first.input as JobInput);
  const redactor = Redactor.fromRuntimeEnv(input.runtime_env);
  // Step outcomes are written in batches (D232); the final write carries what still waits.
  const progress = new ProgressLog({
    now: () => clock.now(),
    sleep: (ms, signal) => args.services.sleep(ms, signal),
    since: clock.now(),
    redact: (o) => redactor.redact(o),
    write: async (batch) => {
      await repo.update(args.jobId, (r) =>
        !held(r)
          ? undefined
          : {
              ...r,
              ...progressFields(batch),
              lease_until: clock.now() + JOB_LEASE_MS,
              updated_at: iso(clock.now()),
            },
      );
    },
  });
  const finish = async (change: (r: JobRecord) => JobRecord) => {
    const unwritten = await progress.drain();
    return repo.update(args.jobId, (r) =>
      held(r)
        ? withoutLease({ ...change(r), ...(unwritten.length ? progressFields(unwritten) : {}) })
        : undefined,
    );
  };
  const fail = (e: unknown) =>
    finish((r) => ({
      ...transition(r, 'failed', {
        now: clock.now(),
        by: args.by,
        reason: 'could not run',
        terminal: true,
      }),
      error: toJobError(e, redactor),
    }));
  // The lease is renewed every third of it while the job runs, whatever its steps do.
  const renewing = new AbortController();
  void (async () => {
    while (!renewing.signal.aborted) {
      await args.services.sleep(JOB_LEASE_MS / 3, renewing.signal).catch(() => undefined);
      if (!renewing.signal.aborted) await repo.renewLease(args.jobId, owner).catch(() => undefined);
    }
  })();
  try {
    let content: JobContent;
    try {
      content = await args.loadContent(first);
    } catch (e) {
      return await fail(e);
    }
    const scopes: Omit<Scopes, 'vars'> & { vars?: Record<string, unknown> } = {
      session: input.session ?? {},
      content: content.content,
      runtime_env: input.runtime_env ?? {},
      vars: input.vars ?? {},
    };
    let result: JobResult;
    try {
      result = await runJob(content.definition, scopes, {
        services: args.services,
        connectors: content.connectors,
        job: { id: args.jobId, pod_definition_id: first.pod_definition_id, process_type: first.process_type },
        ...(args.functions ? { functions: args.functions } : {}),
        isCancelled: async () => (await repo.get(args.jobId))?.desired_status === 'cancelled',
        onProgress: async (p) => {
          await progress.add(p);
          await args.onHeartbeat?.();
        },
      });
    } catch (e) {
      return await fail(e);
    }
    const score = result.reports.find((r) => r.kind === 'score') ?? result.reports.at(-1);
    // Outputs larger than a record may hold go whole to the artefacts bucket; the record keeps a digest.
    let outputs = result.vars;
    let outputsRef: string | null = null;
    if (jsonBytes(outputs) > OUTPUTS_INLINE_BYTES) {
      try {
        outputsRef = args.services.outputs
          ? await args.services.outputs.put(args.jobId, run, result.vars)
          : null;
      } catch (e) {
        return await fail(e);
      }
      outputs = outputsDigest(result.vars, outputsRef).outputs;
    }
    return await finish((r) => ({
      ...transition(r, result.status, {
        now: clock.now(),
        by: args.by,
        reason: result.error?.detail ?? `${result.steps.length} steps`,
        terminal: true,
      }),
      steps: result.steps,
      outputs,
      ...(outputsRef ? { outputs_ref: outputsRef } : {}),
      reports: result.reports,
      ...(score ? { report_ref: score.ref } : {}),
      ...(result.error ? { error: result.error } : {}),
    }));
  } finally {
    renewing.abort();
  }
}

/** The public view of a job: no keys, no internals. */
export function jobView(r: JobRecord): Record<string, unknown> {
  const {
    pk: _pk,
    sk: _sk,
    entity: _e,
    expires_at: _x,
    lease_owner: _lo,
    lease_until: _lu,
    progress_outcomes: _po,
    progress_seq: _ps,
    ...rest
  } = r;
  return rest;
}
