/**
 * Scenario-engine jobs as resources: `submitted → running →
 * completed | failed | cancelled`, stored in the state table (so the stream publishes their
 * events), written conditionally on `state_version`. The record holds only redacted data: the
 * secrets a caller passes in `runtime_env` travel in the runner's invocation, never to storage.
 */
import { iso, type Clock } from '../domain/clock.ts';
import { newJobId, shortHash } from '../domain/ids.ts';
import { Problem } from '../domain/problem.ts';
import { newTimedResource, transition, type TimedResource } from '../domain/timed-resource.ts';
import type { JobDefinition } from '../dsl/catalogue.ts';
import { keys } from '../store/keys.ts';
import { isConflict } from '../store/errors.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';
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
  progress?: JobProgress & { steps_completed: number };
  steps?: JobResult['steps'];
  outputs?: Record<string, unknown>;
  reports?: JobResult['reports'];
  report_ref?: string;
  error?: JobError;
  expires_at: number;
}

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

  async create(args: {
    id?: string;
    job: string;
    pod_definition_id: string;
    process_type?: string;
    metadata?: Record<string, unknown>;
    origin: JobOrigin;
    runner?: 'lambda' | 'fargate';
    input: JobInput;
  }): Promise<{ record: JobRecord; created: boolean }> {
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
      await this.store.put(record, null);
      return { record, created: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
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
 * Runs a stored job to its end: `submitted → running`, the executor with a progress write per
 * step, then the outcome. A second runner for the same job (a redelivered invocation) finds it
 * no longer `submitted` and returns the record as it is.
 */
export async function executeJob(args: {
  repo: JobRepository;
  jobId: string;
  clock: Clock;
  loadContent: (r: JobRecord) => Promise<JobContent>;
  input: JobInput;
  services: ScenarioServices;
  by: string;
  functions?: ExecutorDeps['functions'];
  onHeartbeat?: () => Promise<void>;
}): Promise<JobRecord> {
  const { repo, clock } = args;
  let started: JobRecord | undefined;
  const first = await repo.update(args.jobId, (r) => {
    if (r.status !== 'submitted') return undefined;
    started = transition(r, 'running', { now: clock.now(), by: args.by, started: true });
    return started;
  });
  if (!started) return first;
  const redactor = Redactor.fromRuntimeEnv(args.input.runtime_env);
  const fail = (e: unknown) =>
    repo.update(args.jobId, (r) =>
      TERMINAL_JOB.includes(r.status)
        ? undefined
        : {
            ...transition(r, 'failed', {
              now: clock.now(),
              by: args.by,
              reason: 'could not run',
              terminal: true,
            }),
            error: toJobError(e, redactor),
          },
    );
  let content: JobContent;
  try {
    content = await args.loadContent(first);
  } catch (e) {
    return fail(e);
  }
  let completed = 0;
  const scopes: Omit<Scopes, 'vars'> & { vars?: Record<string, unknown> } = {
    session: args.input.session ?? {},
    content: content.content,
    runtime_env: args.input.runtime_env ?? {},
    vars: args.input.vars ?? {},
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
        if (p.status === 'succeeded' || p.status === 'skipped' || p.status === 'continued') completed++;
        await repo.update(args.jobId, (r) =>
          r.status !== 'running'
            ? undefined
            : {
                ...r,
                progress: redactor.redact({ ...p, steps_completed: completed }),
                updated_at: iso(clock.now()),
              },
        );
        await args.onHeartbeat?.();
      },
    });
  } catch (e) {
    return fail(e);
  }
  const score = result.reports.find((r) => r.kind === 'score') ?? result.reports.at(-1);
  return repo.update(args.jobId, (r) =>
    TERMINAL_JOB.includes(r.status)
      ? undefined
      : {
          ...transition(r, result.status, {
            now: clock.now(),
            by: args.by,
            reason: result.error?.detail ?? `${result.steps.length} steps`,
            terminal: true,
          }),
          steps: result.steps,
          outputs: result.vars,
          reports: result.reports,
          ...(score ? { report_ref: score.ref } : {}),
          ...(result.error ? { error: result.error } : {}),
        },
  );
}

/** The public view of a job: no keys, no internals. */
export function jobView(r: JobRecord): Record<string, unknown> {
  const { pk: _pk, sk: _sk, entity: _e, expires_at: _x, ...rest } = r;
  return rest;
}
