/**
 * lifecycle.yaml → Amazon States Language, one state machine per (pod definition, phase) the pod
 * type runs. Native steps are Lambda tasks; jobs are Lambda tasks or Fargate tasks started
 * with a task token (heartbeat and timeout); phase retry becomes `Retry`, `on_failure` becomes
 * `Catch`. Payloads carry references only. JSONPath only (no JSONata, no Assign). The output is
 * byte-for-byte deterministic and checked with asl-validator.
 */
import { phasesFor, type Lifecycle, type LifecyclePhase, type PodType } from '../shared/domain/lifecycle.ts';
import type { PhaseInput } from '../shared/domain/session.ts';
import { contentMachineName, standardMachineName } from '../shared/domain/names.ts';
import { TASK_ENV } from '../shared/runtime/env.ts';
// Imported, so bundled: it was `createRequire(import.meta.url)('asl-validator')`, which esbuild
// leaves to run time, so a Lambda bundle (no node_modules beside it) failed to load with "Cannot
// find module 'asl-validator'" (D214). Declared in `asl-validator.d.ts`.
import aslValidator from 'asl-validator';

export interface CompileTargets {
  nativeStepsArn: string;
  jobRunnerArn: string;
  jobTask?: {
    clusterArn: string;
    taskDefinitionArn: string;
    containerName: string;
    subnets: string[];
    securityGroups?: string[];
  };
}

export interface CompileOptions {
  /** The deployment stage: machine names carry it (`<stage>-lcm-…`). */
  stage: string;
  /** null: the product's standard machines for this pod type (content that ships nothing). */
  podDefinitionId: string | null;
  podType: PodType;
  /** Jobs the package defines (`grade@v1`, …); jobs of the standard lifecycle apply only if present. */
  availableJobs: Set<string>;
  standardLifecycle: boolean;
  targets: CompileTargets;
  jobHeartbeatSeconds?: number;
  jobTimeoutSeconds?: number;
}

export interface CompiledMachine {
  phase: string;
  name: string;
  definition: string;
}

/** References every task receives: the execution's phase input, passed on field by field. */
const PHASE_INPUT_FIELDS: (keyof PhaseInput)[] = [
  'session_id',
  'part_order',
  'phase',
  'attempt',
  'pod_definition_id',
  'pods',
  'cleanup',
];
const REFS = Object.fromEntries(PHASE_INPUT_FIELDS.map((f) => [`${f}.$`, `$.${f}`]));

const LAMBDA_TRANSIENT = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ],
  // Six attempts, 1 s doubling (63 s at most): a retrier that is exhausted sends the error to
  // Catch, not to the phase's own retrier below it, so this one must outlast a bad minute.
  IntervalSeconds: 1,
  MaxAttempts: 6,
  BackoffRate: 2,
};

export const machineName = (
  opts: Pick<CompileOptions, 'stage' | 'podDefinitionId' | 'podType'>,
  phase: string,
) =>
  opts.podDefinitionId
    ? contentMachineName(opts.stage, opts.podDefinitionId, phase)
    : standardMachineName(opts.stage, opts.podType, phase);

/** One machine per phase the pod type runs (`phasesFor`), in document order. */
export function compileLifecycle(lifecycle: Lifecycle, opts: CompileOptions): CompiledMachine[] {
  return phasesFor(lifecycle, opts.podType).map((phase) => {
    const def = compilePhase(phase, opts);
    const text = JSON.stringify(def, null, 2);
    const v = aslValidator(JSON.parse(text), { checkArn: true, checkPaths: true });
    if (!v.isValid) throw new Error(`phase ${phase.name} compiled to invalid ASL: ${v.errorsText('; ')}`);
    return { phase: phase.name, name: machineName(opts, phase.name), definition: text };
  });
}

interface Step {
  name: string;
  state: Record<string, unknown>;
}

function compilePhase(phase: LifecyclePhase, opts: CompileOptions): Record<string, unknown> {
  const steps: Step[] = [];
  for (const native of phase.native_steps_by_pod_type?.[opts.podType] ?? [])
    steps.push({ name: `native_${native}`, state: nativeTask(native, opts) });
  for (const job of phase.jobs ?? []) {
    if (!opts.availableJobs.has(job.definition)) continue;
    steps.push({ name: `job_${job.definition.replace('@', '_')}`, state: jobTask(job, opts) });
  }
  // A standard grade phase with nothing to grade records that, so the part still reports.
  if (opts.standardLifecycle && phase.name === 'grade' && !steps.some((s) => s.name.startsWith('job_')))
    steps.push({ name: 'native_record_ungraded', state: nativeTask('record_ungraded', opts) });
  const retry =
    phase.retry && phase.retry.max_attempts > 1
      ? [
          {
            ErrorEquals: ['States.ALL'],
            IntervalSeconds: Math.max(1, phase.retry.backoff_seconds ?? 1),
            MaxAttempts: phase.retry.max_attempts - 1,
            BackoffRate: 2,
          },
        ]
      : [];
  const states: Record<string, unknown> = {};
  // Step Functions bills every state entered: no state that only ends the run. The last task
  // ends the execution itself; a phase with no work is a single Succeed state.
  if (!steps.length)
    steps.push({
      name: 'no_work',
      state: { Type: 'Succeed', Comment: 'This phase has no step for this pod type' },
    });
  // A Catch that continues past the last task needs a state to continue to (its success ends).
  const lastContinues = phase.on_failure === 'continue' && steps.at(-1)!.state.Type === 'Task';
  steps.forEach((s, i) => {
    const next = steps[i + 1]?.name;
    const isTask = s.state.Type === 'Task';
    states[s.name] = {
      ...s.state,
      ...(isTask ? { Retry: [LAMBDA_TRANSIENT, ...retry] } : {}),
      ...(isTask
        ? {
            Catch: [
              phase.on_failure === 'continue'
                ? { ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: next ?? 'PhaseSucceeded' }
                : { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PhaseFailed' },
            ],
          }
        : {}),
      ...(s.state.Type === 'Succeed' ? {} : next ? { Next: next } : { End: true }),
    };
  });
  if (lastContinues)
    states.PhaseSucceeded = {
      Type: 'Succeed',
      Comment: 'The last step failed and the phase continues: the part moves on',
    };
  const canFail = phase.on_failure !== 'continue' && steps.some((s) => s.state.Type === 'Task');
  if (canFail)
    states.PhaseFailed = {
      Type: 'Fail',
      Comment: 'The part fails this phase with the step error',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    };
  return {
    Comment: `${opts.podDefinitionId ?? `standard ${opts.podType}`}: phase ${phase.name}`,
    StartAt: steps[0]!.name,
    ...(phase.timeout_seconds ? { TimeoutSeconds: phase.timeout_seconds } : {}),
    States: states,
  };
}

function nativeTask(step: string, opts: CompileOptions): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: opts.targets.nativeStepsArn, Payload: { step, ...REFS } },
    ResultPath: null,
    TimeoutSeconds: 120,
  };
}

function jobTask(
  job: NonNullable<LifecyclePhase['jobs']>[number],
  opts: CompileOptions,
): Record<string, unknown> {
  const payload = {
    job: job.definition,
    ...(job.process_type ? { process_type: job.process_type } : {}),
    ...(job.rubric ? { rubric: job.rubric } : {}),
    ...(job.report ? { report: job.report } : {}),
    ...REFS,
  };
  if (job.runtime === 'fargate' && opts.targets.jobTask) {
    const t = opts.targets.jobTask;
    return {
      Type: 'Task',
      Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
      Parameters: {
        Cluster: t.clusterArn,
        TaskDefinition: t.taskDefinitionArn,
        LaunchType: 'FARGATE',
        // The phase-ended path finds (and stops) the tasks its execution started by this.
        'StartedBy.$': '$$.Execution.Name',
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            Subnets: t.subnets,
            ...(t.securityGroups?.length ? { SecurityGroups: t.securityGroups } : {}),
            AssignPublicIp: 'DISABLED',
          },
        },
        Overrides: {
          ContainerOverrides: [
            {
              Name: t.containerName,
              Environment: [
                { Name: TASK_ENV.taskToken, 'Value.$': '$$.Task.Token' },
                { Name: TASK_ENV.job, Value: job.definition },
                ...(job.process_type ? [{ Name: TASK_ENV.processType, Value: job.process_type }] : []),
                ...(job.rubric ? [{ Name: TASK_ENV.rubric, Value: job.rubric }] : []),
                ...(job.report ? [{ Name: TASK_ENV.report, Value: job.report }] : []),
                { Name: TASK_ENV.sessionId, 'Value.$': '$.session_id' },
                { Name: TASK_ENV.partOrder, 'Value.$': "States.Format('{}', $.part_order)" },
                { Name: TASK_ENV.podDefinitionId, 'Value.$': "States.Format('{}', $.pod_definition_id)" },
                { Name: TASK_ENV.phase, 'Value.$': '$.phase' },
                { Name: TASK_ENV.attempt, 'Value.$': "States.Format('{}', $.attempt)" },
                { Name: TASK_ENV.heartbeatSeconds, Value: String(opts.jobHeartbeatSeconds ?? 60) },
              ],
            },
          ],
        },
      },
      ResultPath: null,
      HeartbeatSeconds: opts.jobHeartbeatSeconds ?? 60,
      TimeoutSeconds: opts.jobTimeoutSeconds ?? 3600,
    };
  }
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: opts.targets.jobRunnerArn, Payload: payload },
    ResultPath: null,
    TimeoutSeconds: opts.jobTimeoutSeconds ?? 900,
  };
}

/** A Mermaid flowchart of each phase, for authors (`lcm lifecycle graph`). */
export function toMermaid(lifecycle: Lifecycle, podType: PodType): string {
  const lines = ['flowchart TD'];
  lifecycle.spec.phases.forEach((ph, i) => {
    const id = `P${i}`;
    lines.push(
      `  subgraph ${id}["${ph.name}${ph.retry ? ` (retry ×${ph.retry.max_attempts})` : ''}${ph.on_failure === 'continue' ? ' (continue on failure)' : ''}"]`,
    );
    const nodes = [
      ...(ph.native_steps_by_pod_type?.[podType] ?? []).map((s) => `native: ${s}`),
      ...(ph.jobs ?? []).map((j) => `job: ${j.definition}${j.runtime === 'fargate' ? ' (fargate)' : ''}`),
    ];
    if (!nodes.length) nodes.push('no work');
    nodes.forEach((n, j) => {
      lines.push(`    ${id}_${j}["${n}"]`);
      if (j > 0) lines.push(`    ${id}_${j - 1} --> ${id}_${j}`);
    });
    lines.push('  end');
    if (i > 0) lines.push(`  P${i - 1} --> ${id}`);
  });
  return lines.join('\n') + '\n';
}
