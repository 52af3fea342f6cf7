/**
 * The job executor, pure apart from its ports: steps run in document order;
 * `when` may skip one; `with` is resolved from the four scopes with jq; the function runs under
 * the step's timeout; `on_error` fails the job, continues, or retries with backoff; `capture`
 * writes outputs into `vars`. Cancellation takes effect between steps. Everything the executor
 * reports (progress, results, errors) has passed through the redactor.
 */
import type { JobDefinition, JobStep } from '../dsl/catalogue.ts';
import { FUNCTION_CATALOGUE } from '../dsl/catalogue.ts';
import { Problem, type ProblemType } from '../domain/problem.ts';
import { evaluateCondition, resolveValue } from './expressions.ts';
import type { Scopes } from './jq.ts';
import { Redactor } from './redact.ts';
import { isSecretReference, withoutSecrets, type Credentials } from '../domain/secrets.ts';
import type { ConsoleSession, ConsoleTarget } from '../adapters/console.ts';
import type { ScenarioServices, ScenarioFunctionImpl, StepContext, ReportRef } from './functions.ts';
import { SCENARIO_FUNCTIONS } from './functions.ts';

export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'continued';

export interface StepResult {
  id: string;
  uses: string;
  stage?: string;
  status: StepStatus;
  attempts: number;
  duration_ms: number;
  error?: JobError;
}

export interface JobError {
  type: string;
  kind: ProblemType;
  status: number;
  title: string;
  detail: string;
  step_id?: string;
}

export interface JobProgress {
  step_index: number;
  steps_total: number;
  step_id: string;
  stage?: string;
  status: StepStatus | 'retrying';
  attempt: number;
}

export type JobOutcome = 'completed' | 'failed' | 'cancelled';

export interface JobResult {
  status: JobOutcome;
  steps: StepResult[];
  /** Every captured variable (redacted). */
  vars: Record<string, unknown>;
  reports: ReportRef[];
  error?: JobError;
}

export interface ExecutorDeps {
  services: ScenarioServices;
  /** Connectors of the content (connectors.yaml), resolved per target when first used. */
  connectors: Record<string, unknown>[];
  /** Cancellation is checked between steps. */
  isCancelled?: () => Promise<boolean> | boolean;
  onProgress?: (p: JobProgress) => Promise<void> | void;
  /** Extra secrets to redact besides those found in runtime_env. */
  secrets?: string[];
  /** Default step timeout in seconds (a step's `timeout` wins). */
  defaultTimeoutSeconds?: number;
  /** Function implementations (tests may add or replace). */
  functions?: Record<string, ScenarioFunctionImpl>;
  job: StepContext['job'];
}

const DEFAULT_TIMEOUT_S = 300;
/** The most of an error's detail a job record (each step, each earlier run) and its event keep. */
export const MAX_ERROR_DETAIL = 2000;
const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function toJobError(e: unknown, redactor: Redactor, stepId?: string): JobError {
  const p =
    e instanceof Problem ? e : new Problem('internal', (e as Error)?.message ?? String(e), { cause: e });
  return {
    type: `urn:lcm:problem:${p.kind}`,
    kind: p.kind,
    status: p.status,
    title: p.title,
    // Bounded: a device's answer quoted in an adapter error must not grow the record or its event.
    detail: truncate(redactor.text(p.detail ?? p.message), MAX_ERROR_DETAIL),
    ...(stepId ? { step_id: stepId } : {}),
  };
}

/** Names each step may be reached by in `vars`: `vars.<step>.<var>` always, `vars.<var>` when unique. */
function uniqueVarNames(def: JobDefinition): Set<string> {
  const count = new Map<string, number>();
  for (const s of def.spec.steps)
    for (const v of Object.values(s.capture ?? {})) count.set(v, (count.get(v) ?? 0) + 1);
  // A var named like another step would shadow that step's bucket; one named like its own step is fine.
  const owner = new Map(
    def.spec.steps.flatMap((s) => Object.values(s.capture ?? {}).map((v) => [v, s.id] as const)),
  );
  const stepIds = new Set(def.spec.steps.map((s) => s.id));
  return new Set(
    [...count].filter(([v, n]) => n === 1 && (!stepIds.has(v) || owner.get(v) === v)).map(([v]) => v),
  );
}

export async function runJob(
  def: JobDefinition,
  initial: Omit<Scopes, 'vars'> & { vars?: Record<string, unknown> },
  deps: ExecutorDeps,
): Promise<JobResult> {
  const redactor = Redactor.fromRuntimeEnv(initial.runtime_env, deps.secrets);
  // jq never sees a secret: whatever reached the input under a secret-looking key is dropped
  // (credentials are named by reference and resolved by connectorTarget, outside jq).
  const scopes: Scopes = {
    session: withoutSecrets(initial.session),
    content: initial.content,
    runtime_env: withoutSecrets(initial.runtime_env),
    vars: withoutSecrets({ ...(initial.vars ?? {}) }),
  };
  const fns = { ...SCENARIO_FUNCTIONS, ...(deps.functions ?? {}) };
  const unique = uniqueVarNames(def);
  const steps: StepResult[] = [];
  const reports: ReportRef[] = [];
  const consoles = new Map<string, Promise<ConsoleSession>>();
  const total = def.spec.steps.length;
  const finish = (status: JobOutcome, error?: JobError): JobResult => ({
    status,
    steps,
    vars: redactor.redact(scopes.vars),
    reports,
    ...(error ? { error } : {}),
  });

  try {
    for (const [index, step] of def.spec.steps.entries()) {
      if (await deps.isCancelled?.()) {
        const err = toJobError(
          new Problem('cancelled', `cancelled before step ${step.id}`),
          redactor,
          step.id,
        );
        return finish('cancelled', err);
      }
      const started = Date.now();
      const progress = (status: JobProgress['status'], attempt: number) =>
        deps.onProgress?.({
          step_index: index,
          steps_total: total,
          step_id: step.id,
          ...(step.stage ? { stage: step.stage } : {}),
          status,
          attempt,
        });
      if (step.when !== undefined) {
        let go: boolean;
        try {
          const when = step.when;
          go = await underDeadline(deps, stepTimeoutS(step, deps), step.id, (signal) =>
            evaluateCondition(when, scopes, { signal }),
          );
        } catch (e) {
          const err = toJobError(e, redactor, step.id);
          steps.push({
            id: step.id,
            uses: step.uses,
            status: 'failed',
            attempts: 0,
            duration_ms: 0,
            error: err,
          });
          await progress('failed', 0);
          return finish('failed', err);
        }
        if (!go) {
          steps.push({
            id: step.id,
            uses: step.uses,
            ...stageOf(step),
            status: 'skipped',
            attempts: 0,
            duration_ms: 0,
          });
          await progress('skipped', 0);
          continue;
        }
      }
      const policy = step.on_error ?? { action: 'fail' as const };
      const maxAttempts = policy.action === 'retry' ? 1 + Math.max(0, policy.retries ?? 2) : 1;
      let attempt = 0;
      let lastError: unknown;
      let output: Record<string, unknown> | undefined;
      while (attempt < maxAttempts) {
        attempt++;
        try {
          output = await runStep(step, scopes, deps, fns, consoles, reports, redactor);
          lastError = undefined;
          break;
        } catch (e) {
          lastError = e;
          if (e instanceof Problem && e.kind === 'cancelled') break;
          if (attempt < maxAttempts) {
            await progress('retrying', attempt);
            const backoffS = (policy.backoff ?? 1) * 2 ** (attempt - 1);
            await deps.services.sleep(backoffS * 1000);
          }
        }
      }
      const duration_ms = Date.now() - started;
      if (lastError !== undefined) {
        const err = toJobError(lastError, redactor, step.id);
        const cancelled = lastError instanceof Problem && lastError.kind === 'cancelled';
        if (policy.action === 'continue' && !cancelled) {
          steps.push({
            id: step.id,
            uses: step.uses,
            ...stageOf(step),
            status: 'continued',
            attempts: attempt,
            duration_ms,
            error: err,
          });
          await progress('continued', attempt);
          continue;
        }
        steps.push({
          id: step.id,
          uses: step.uses,
          ...stageOf(step),
          status: 'failed',
          attempts: attempt,
          duration_ms,
          error: err,
        });
        await progress('failed', attempt);
        return finish(cancelled ? 'cancelled' : 'failed', err);
      }
      for (const [key, name] of Object.entries(step.capture ?? {})) {
        // Masked before jq can see it: a device echoing a password cannot be re-encoded later.
        const value = redactor.redact(output?.[key] ?? null);
        // vars.<step>.<var>, and vars.<var> when unambiguous; a var named like its own step is
        // just vars.<var> (the flat name wins).
        if (name !== step.id) {
          const bucket = (scopes.vars[step.id] ??= {}) as Record<string, unknown>;
          if (bucket && typeof bucket === 'object') bucket[name] = value;
        }
        if (unique.has(name)) scopes.vars[name] = value;
      }
      steps.push({
        id: step.id,
        uses: step.uses,
        ...stageOf(step),
        status: 'succeeded',
        attempts: attempt,
        duration_ms,
      });
      await progress('succeeded', attempt);
    }
    return finish('completed');
  } finally {
    await Promise.all(
      [...consoles.values()].map((p) =>
        p.then(
          (s) => s.close().catch(() => undefined),
          () => undefined,
        ),
      ),
    );
  }
}

const stageOf = (s: JobStep) => (s.stage ? { stage: s.stage } : {});

async function runStep(
  step: JobStep,
  scopes: Scopes,
  deps: ExecutorDeps,
  fns: Record<string, ScenarioFunctionImpl>,
  consoles: Map<string, Promise<ConsoleSession>>,
  reports: ReportRef[],
  redactor: Redactor,
): Promise<Record<string, unknown>> {
  const fn = fns[step.uses];
  if (!fn || !FUNCTION_CATALOGUE[step.uses])
    throw new Problem('validation-error', `unknown function ${step.uses} in step ${step.id}`);
  const timeoutS = stepTimeoutS(step, deps);
  try {
    return await underDeadline(deps, timeoutS, step.id, async (signal) => {
      // `with` is resolved under the step's deadline: jq that does not finish ends with the step.
      const input = (await resolveValue(step.with ?? {}, scopes, { signal })) as Record<string, unknown>;
      const ctx: StepContext = {
        step,
        input,
        scopes,
        signal,
        services: deps.services,
        job: deps.job,
        timeoutMs: timeoutS * 1000,
        console: () => {
          if (!step.target) throw new Problem('validation-error', `step ${step.id} has no target`);
          let s = consoles.get(step.target);
          if (!s) {
            s = connectorTarget(step.target, deps.connectors, scopes, deps.services.secrets, redactor).then(
              (t) => deps.services.console.open({ ...t, timeoutMs: Math.min(t.timeoutMs, timeoutS * 1000) }),
            );
            consoles.set(step.target, s);
            // A failed open is not cached: the next attempt reconnects.
            s.catch(() => consoles.delete(step.target!));
          }
          return s;
        },
        addReport: (r) => reports.push(r),
      };
      return fn(ctx);
    });
  } catch (e) {
    if (e instanceof Problem) throw e;
    throw mapAdapterError(e);
  }
}

const stepTimeoutS = (step: JobStep, deps: ExecutorDeps) =>
  step.timeout ?? deps.defaultTimeoutSeconds ?? DEFAULT_TIMEOUT_S;

/**
 * Runs `work` under a step's deadline (the clock's time, see ScenarioServices.deadline): when it
 * passes, the step fails with `timeout` and the signal aborts with that problem, which ends
 * whatever the step still has in flight (a wait, a console read, a jq evaluation's worker).
 */
async function underDeadline<T>(
  deps: ExecutorDeps,
  timeoutS: number,
  stepId: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timeout = new Problem('timeout', `step ${stepId} did not finish within ${timeoutS} s`);
  const timer = (deps.services.deadline ?? deps.services.sleep)(timeoutS * 1000, controller.signal).then(
    () => {
      controller.abort(timeout);
      throw timeout;
    },
    () => new Promise<never>(() => undefined),
  );
  try {
    return await Promise.race([work(controller.signal), timer]);
  } finally {
    controller.abort();
  }
}

/** Adapter errors (console, CML) become the DSL's typed problems. */
export function mapAdapterError(e: unknown): Problem {
  const kind = (e as { kind?: string }).kind;
  const message = (e as Error)?.message ?? String(e);
  const map: Record<string, ProblemType> = {
    timeout: 'timeout',
    communication: 'communication-error',
    authentication: 'unauthorized',
    validation: 'validation-error',
    not_found: 'not-found',
    conflict: 'conflict',
  };
  return new Problem(map[kind ?? ''] ?? 'internal', message, { cause: e });
}

/**
 * A connector with its `${ .runtime_env… }` fields resolved, and its credentials from the secret
 * it names (`secret: cml/devices`), resolved by the secrets port: they go to the console adapter
 * and the redactor, never into jq's scopes. Errors about a secret name the reference only.
 */
export async function connectorTarget(
  name: string,
  connectors: Record<string, unknown>[],
  scopes: Scopes,
  secrets?: ScenarioServices['secrets'],
  redactor?: Redactor,
): Promise<ConsoleTarget> {
  const c = connectors.find((x) => x.name === name);
  if (!c) throw new Problem('not-found', `no connector named ${name}`);
  const { secret: ref, password: _p, enable_password: _e, ...fields } = c;
  const r = (await resolveValue(fields, scopes)) as Record<string, unknown>;
  let creds: Credentials = {};
  if (ref !== undefined) {
    if (!isSecretReference(ref) || !secrets)
      throw new Problem(
        'validation-error',
        `connector ${name} names an unknown secret reference ${String(ref)}`,
      );
    try {
      creds = await secrets.resolve(ref);
    } catch {
      throw new Problem('unauthorized', `the credentials of secret reference ${ref} could not be read`);
    }
    redactor?.add([creds.password, creds.enable_password].filter((x): x is string => !!x));
  }
  const username = creds.username ?? (r.username ? String(r.username) : undefined);
  const host = String(
    r.host ?? (scopes.runtime_env.worker as { address?: string } | undefined)?.address ?? '',
  );
  const port = Number(r.port);
  if (!host || !Number.isInteger(port) || port <= 0)
    throw new Problem(
      'validation-error',
      `connector ${name} resolves to no host and port (is the pod placed?)`,
    );
  return {
    host,
    port,
    ...(r.transport === 'ssh' || r.transport === 'telnet' ? { transport: r.transport } : {}),
    ...(typeof r.host_key === 'string' && r.host_key ? { host_key: r.host_key } : {}),
    prompt: String(r.prompt ?? '[>#]'),
    ...(username ? { username } : {}),
    ...(creds.password ? { password: creds.password } : {}),
    ...(creds.enable_password ? { enable_password: creds.enable_password } : {}),
    timeoutMs: Number(r.timeout ?? 30) * 1000,
  };
}
