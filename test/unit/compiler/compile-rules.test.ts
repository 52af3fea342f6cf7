/**
 * The compiler's rules, one at a time, read off the compiled ASL (issue 18): which steps a phase
 * gets and in what order, the retry counts and intervals, the timeouts and heartbeat, where a
 * failure goes, and the payloads. The runs through the local Step Functions interpreter are in
 * compile.test.ts; these only compile. asl-validator builds its JSON-schema validator anew on each
 * call (about half a second here), so these tests check the ASL with it only where validity is the
 * rule; elsewhere the compiled definition is read as it is (fast enough for mutation testing).
 */
import { describe, expect, it, vi } from 'vitest';
import { compileLifecycle, machineName, toMermaid } from '../../../state-machines/compile.ts';
import type { Lifecycle, LifecyclePhase } from '../../../shared/domain/lifecycle.ts';
import { opts, targets } from './options.ts';

const validator = vi.hoisted(() => ({ real: false }));
vi.mock('asl-validator', async (importOriginal) => {
  const real = ((await importOriginal()) as { default: (d: unknown, o: unknown) => unknown }).default;
  return {
    default: (definition: unknown, options: unknown) =>
      validator.real ? real(definition, options) : { isValid: true, errorsText: () => '' },
  };
});

type State = Record<string, unknown> & {
  Type: string;
  Parameters?: { FunctionName?: string; Payload?: Record<string, unknown> } & Record<string, unknown>;
  Retry?: Record<string, unknown>[];
  Catch?: Record<string, unknown>[];
  Next?: string;
  End?: boolean;
};
interface Machine {
  Comment: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

const lifecycle = (...phases: LifecyclePhase[]): Lifecycle => ({ kind: 'Lifecycle', spec: { phases } });
/** The one phase `phase` compiled with `o`. */
const compiled = (phase: LifecyclePhase, o = opts()): Machine =>
  JSON.parse(compileLifecycle(lifecycle(phase), o)[0]!.definition) as Machine;
const natives = (...steps: string[]) => ({ cml_on_aws: steps });
const REF_FIELDS = ['session_id', 'part_order', 'phase', 'attempt', 'pod_definition_id', 'pods', 'cleanup'];
const REFS = Object.fromEntries(REF_FIELDS.map((f) => [`${f}.$`, `$.${f}`]));

describe('which steps a phase gets, in order', () => {
  it('native steps of the part’s pod type first, then the jobs the package defines, chained to the end', () => {
    const m = compiled({
      name: 'instantiate',
      native_steps_by_pod_type: { cml_on_aws: ['lab_resolve', 'lab_start'], proxmox: ['ports_alloc'] },
      jobs: [{ definition: 'post_init@v1' }, { definition: 'missing@v1' }, { definition: 'grade@v1' }],
    });
    expect(m.StartAt).toBe('native_lab_resolve');
    expect(Object.keys(m.States)).toEqual([
      'native_lab_resolve',
      'native_lab_start',
      'job_post_init_v1',
      'job_grade_v1',
      'PhaseFailed',
    ]);
    expect(m.States.native_lab_resolve!.Next).toBe('native_lab_start');
    expect(m.States.native_lab_start!.Next).toBe('job_post_init_v1');
    expect(m.States.job_post_init_v1!.Next).toBe('job_grade_v1');
    expect(m.States.job_grade_v1).toMatchObject({ End: true });
    expect(m.States.job_grade_v1).not.toHaveProperty('Next');
    for (const s of ['native_lab_resolve', 'native_lab_start', 'job_post_init_v1'])
      expect(m.States[s]).not.toHaveProperty('End');
  });

  it('a pod type the phase names no native steps for gets only the jobs', () => {
    const m = compiled(
      {
        name: 'instantiate',
        native_steps_by_pod_type: natives('lab_start'),
        jobs: [{ definition: 'grade@v1' }],
      },
      opts({ podType: 'proxmox' }),
    );
    expect(Object.keys(m.States)).toEqual(['job_grade_v1', 'PhaseFailed']);
  });

  it('a phase with no step for the pod type is one Succeed state: no retry, no catch, no failure state', () => {
    const m = compiled({
      name: 'collect',
      jobs: [{ definition: 'collect@v1' }],
      retry: { max_attempts: 3 },
      on_failure: 'continue',
    });
    expect(m.StartAt).toBe('no_work');
    expect(Object.keys(m.States)).toEqual(['no_work']);
    expect(m.States.no_work).toEqual({ Type: 'Succeed', Comment: expect.any(String) });
    const failing = compiled({ name: 'collect', retry: { max_attempts: 3 } });
    expect(Object.keys(failing.States)).toEqual(['no_work']);
    expect(failing.States.no_work).toEqual({ Type: 'Succeed', Comment: expect.any(String) });
  });

  describe('the standard grade phase with nothing to grade records that, and only that phase', () => {
    const standard = (o: Parameters<typeof opts>[0] = {}) =>
      opts({ podDefinitionId: null, standardLifecycle: true, ...o });

    it('no grading job: record_ungraded, after the native steps', () => {
      const m = compiled(
        { name: 'grade', native_steps_by_pod_type: natives('archive'), jobs: [{ definition: 'grade@v1' }] },
        standard({ availableJobs: new Set() }),
      );
      expect(Object.keys(m.States)).toEqual(['native_archive', 'native_record_ungraded', 'PhaseFailed']);
      expect(m.States.native_record_ungraded!.Parameters!.Payload).toMatchObject({ step: 'record_ungraded' });
    });

    it('a grading job the package ships: no record_ungraded (a native step alone does not count)', () => {
      const m = compiled(
        { name: 'grade', native_steps_by_pod_type: natives('archive'), jobs: [{ definition: 'grade@v1' }] },
        standard(),
      );
      expect(Object.keys(m.States)).toEqual(['native_archive', 'job_grade_v1', 'PhaseFailed']);
    });

    it('another phase of the standard lifecycle, or a package’s own grade phase: nothing added', () => {
      expect(Object.keys(compiled({ name: 'collect' }, standard()).States)).toEqual(['no_work']);
      expect(Object.keys(compiled({ name: 'grade' }, opts({ availableJobs: new Set() })).States)).toEqual([
        'no_work',
      ]);
    });
  });
});

describe('retries', () => {
  const retries = (retry?: LifecyclePhase['retry']) =>
    compiled({ name: 'archive', native_steps_by_pod_type: natives('lab_stop', 'archive'), retry }).States;

  it('every task first retries Lambda’s own failures six times from 1 s, doubling', () => {
    for (const s of [retries().native_lab_stop!, retries().native_archive!])
      expect(s.Retry![0]).toEqual({
        ErrorEquals: [
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ],
        IntervalSeconds: 1,
        MaxAttempts: 6,
        BackoffRate: 2,
      });
  });

  it('max_attempts 1 or none: no phase retrier; 2: one retry of any error', () => {
    expect(retries().native_lab_stop!.Retry).toHaveLength(1);
    expect(retries({ max_attempts: 1 }).native_lab_stop!.Retry).toHaveLength(1);
    expect(retries({ max_attempts: 2 }).native_lab_stop!.Retry).toEqual([
      expect.objectContaining({ ErrorEquals: expect.arrayContaining(['Lambda.ServiceException']) }),
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 2 },
    ]);
    expect(retries({ max_attempts: 5 }).native_archive!.Retry![1]).toMatchObject({ MaxAttempts: 4 });
  });

  it('the interval is backoff_seconds, at least 1 s', () => {
    expect(retries({ max_attempts: 3, backoff_seconds: 5 }).native_lab_stop!.Retry![1]).toMatchObject({
      IntervalSeconds: 5,
      BackoffRate: 2,
    });
    expect(retries({ max_attempts: 3, backoff_seconds: 0 }).native_lab_stop!.Retry![1]).toMatchObject({
      IntervalSeconds: 1,
    });
    expect(retries({ max_attempts: 3, backoff_seconds: 2 }).native_lab_stop!.Retry![1]).toMatchObject({
      IntervalSeconds: 2,
    });
  });
});

describe('where a failure goes', () => {
  it('on_failure fail (the default): every task catches into PhaseFailed, which fails with the step error', () => {
    for (const on_failure of [undefined, 'fail'] as const) {
      const m = compiled({
        name: 'archive',
        native_steps_by_pod_type: natives('lab_stop', 'archive'),
        on_failure,
      });
      for (const s of ['native_lab_stop', 'native_archive'])
        expect(m.States[s]!.Catch).toEqual([
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PhaseFailed' },
        ]);
      expect(m.States.PhaseFailed).toEqual({
        Type: 'Fail',
        Comment: expect.any(String),
        ErrorPath: '$.error.Error',
        CausePath: '$.error.Cause',
      });
      expect(m.States).not.toHaveProperty('PhaseSucceeded');
    }
  });

  it('on_failure continue: a failed task goes on to the next step, the last one to PhaseSucceeded', () => {
    const m = compiled({
      name: 'archive',
      native_steps_by_pod_type: natives('lab_stop', 'archive'),
      on_failure: 'continue',
    });
    expect(Object.keys(m.States)).toEqual(['native_lab_stop', 'native_archive', 'PhaseSucceeded']);
    expect(m.States.native_lab_stop!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: 'native_archive' },
    ]);
    expect(m.States.native_archive!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: 'PhaseSucceeded' },
    ]);
    expect(m.States.native_archive).toMatchObject({ End: true });
    expect(m.States.PhaseSucceeded).toEqual({ Type: 'Succeed', Comment: expect.any(String) });
  });
});

describe('the machine', () => {
  it('is named per pod definition, or per pod type for the standard machines', () => {
    expect(
      machineName({ stage: 'dev', podDefinitionId: 'pd_0123456789abcdef', podType: 'none' }, 'grade'),
    ).toBe('dev-lcm-pd_0123456789abcdef-grade');
    expect(machineName({ stage: 'dev', podDefinitionId: null, podType: 'proxmox' }, 'grade')).toBe(
      'dev-lcm-standard-proxmox-grade',
    );
    const [m] = compileLifecycle(
      lifecycle({ name: 'collect' }),
      opts({ podDefinitionId: null, podType: 'vmware' }),
    );
    expect(m).toMatchObject({ phase: 'collect', name: 'dev-lcm-standard-vmware-collect' });
    expect((JSON.parse(m!.definition) as Machine).Comment).toBe('standard vmware: phase collect');
    expect(compiled({ name: 'collect' }).Comment).toBe('pd_0123456789abcdef: phase collect');
  });

  it('has the phase’s timeout, and none when the phase sets none', () => {
    expect(compiled({ name: 'collect', timeout_seconds: 900 }).TimeoutSeconds).toBe(900);
    expect(compiled({ name: 'collect' })).not.toHaveProperty('TimeoutSeconds');
  });

  it('is checked with asl-validator: valid ASL is compiled, invalid ASL refused', () => {
    validator.real = true;
    try {
      expect(compileLifecycle(lifecycle({ name: 'collect', timeout_seconds: 900 }), opts())).toHaveLength(1);
      expect(() => compileLifecycle(lifecycle({ name: 'collect', timeout_seconds: 1.5 }), opts())).toThrow(
        /phase collect compiled to invalid ASL/,
      );
    } finally {
      validator.real = false;
    }
  });
});

describe('the tasks', () => {
  it('a native step invokes the native-steps function with the step and every reference, for 120 s at most', () => {
    const m = compiled({ name: 'archive', native_steps_by_pod_type: natives('lab_stop') });
    expect(m.States.native_lab_stop).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: targets.nativeStepsArn, Payload: { step: 'lab_stop', ...REFS } },
      ResultPath: null,
      TimeoutSeconds: 120,
      Retry: expect.any(Array),
      Catch: expect.any(Array),
      End: true,
    });
  });

  it('a Lambda job invokes the job runner with the job, what it names and every reference; 900 s by default', () => {
    const m = compiled({
      name: 'grade',
      jobs: [{ definition: 'grade@v1', process_type: 'Grading', rubric: 'rubric', report: 'score_report' }],
    });
    expect(m.States.job_grade_v1).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: targets.jobRunnerArn,
        Payload: {
          job: 'grade@v1',
          process_type: 'Grading',
          rubric: 'rubric',
          report: 'score_report',
          ...REFS,
        },
      },
      ResultPath: null,
      TimeoutSeconds: 900,
    });
    const bare = compiled({ name: 'grade', jobs: [{ definition: 'grade@v1' }] }).States.job_grade_v1!;
    expect(bare.Parameters!.Payload).toEqual({ job: 'grade@v1', ...REFS });
    const timed = compiled(
      { name: 'grade', jobs: [{ definition: 'grade@v1' }] },
      opts({ jobTimeoutSeconds: 600 }),
    );
    expect(timed.States.job_grade_v1!.TimeoutSeconds).toBe(600);
  });

  it('a fargate job without a job task target runs as a Lambda job', () => {
    const m = compiled(
      { name: 'grade', jobs: [{ definition: 'grade@v1', runtime: 'fargate' }] },
      opts({ targets: { nativeStepsArn: targets.nativeStepsArn, jobRunnerArn: targets.jobRunnerArn } }),
    );
    expect(m.States.job_grade_v1).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: targets.jobRunnerArn },
    });
  });

  describe('a fargate job', () => {
    const fargate = (job: Partial<NonNullable<LifecyclePhase['jobs']>[number]>, o = opts()) =>
      compiled({ name: 'grade', jobs: [{ definition: 'grade@v1', runtime: 'fargate', ...job }] }, o).States
        .job_grade_v1!;
    type Env = { Name: string; Value?: string; 'Value.$'?: string }[];
    const envOf = (s: State) =>
      (s.Parameters!.Overrides as { ContainerOverrides: { Name: string; Environment: Env }[] })
        .ContainerOverrides[0]!;

    it('starts the job task with a task token, started by the execution, without a public address', () => {
      const s = fargate({});
      expect(s).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
        ResultPath: null,
        Parameters: {
          Cluster: targets.jobTask.clusterArn,
          TaskDefinition: targets.jobTask.taskDefinitionArn,
          LaunchType: 'FARGATE',
          'StartedBy.$': '$$.Execution.Name',
          NetworkConfiguration: {
            AwsvpcConfiguration: { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED' },
          },
        },
      });
      expect(
        (s.Parameters!.NetworkConfiguration as { AwsvpcConfiguration: object }).AwsvpcConfiguration,
      ).not.toHaveProperty('SecurityGroups');
      expect(envOf(s).Name).toBe('job-runner');
    });

    it('heartbeat 60 s and timeout 3,600 s by default, the deployment’s own when given (and told to the task)', () => {
      expect(fargate({})).toMatchObject({ HeartbeatSeconds: 60, TimeoutSeconds: 3600 });
      expect(envOf(fargate({})).Environment).toContainEqual({ Name: 'LCM_HEARTBEAT_SECONDS', Value: '60' });
      const own = fargate({}, opts({ jobHeartbeatSeconds: 30, jobTimeoutSeconds: 1200 }));
      expect(own).toMatchObject({ HeartbeatSeconds: 30, TimeoutSeconds: 1200 });
      expect(envOf(own).Environment).toContainEqual({ Name: 'LCM_HEARTBEAT_SECONDS', Value: '30' });
    });

    it('security groups only when some are given', () => {
      const withGroups = (securityGroups: string[]) =>
        fargate({}, opts({ targets: { ...targets, jobTask: { ...targets.jobTask, securityGroups } } }))
          .Parameters!.NetworkConfiguration;
      expect(withGroups(['sg-1'])).toEqual({
        AwsvpcConfiguration: { Subnets: ['subnet-1'], SecurityGroups: ['sg-1'], AssignPublicIp: 'DISABLED' },
      });
      expect(withGroups([])).toEqual({
        AwsvpcConfiguration: { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED' },
      });
    });

    it('the task’s environment: token, job, what the job names (only that) and the references', () => {
      expect(
        envOf(fargate({ process_type: 'Grading', rubric: 'rubric', report: 'score_report' })).Environment,
      ).toEqual([
        { Name: 'LCM_TASK_TOKEN', 'Value.$': '$$.Task.Token' },
        { Name: 'LCM_JOB', Value: 'grade@v1' },
        { Name: 'LCM_PROCESS_TYPE', Value: 'Grading' },
        { Name: 'LCM_RUBRIC', Value: 'rubric' },
        { Name: 'LCM_REPORT', Value: 'score_report' },
        { Name: 'LCM_SESSION_ID', 'Value.$': '$.session_id' },
        { Name: 'LCM_PART_ORDER', 'Value.$': "States.Format('{}', $.part_order)" },
        { Name: 'LCM_POD_DEFINITION_ID', 'Value.$': "States.Format('{}', $.pod_definition_id)" },
        { Name: 'LCM_PHASE', 'Value.$': '$.phase' },
        { Name: 'LCM_ATTEMPT', 'Value.$': "States.Format('{}', $.attempt)" },
        { Name: 'LCM_HEARTBEAT_SECONDS', Value: '60' },
      ]);
      expect(envOf(fargate({})).Environment.map((e) => e.Name)).toEqual([
        'LCM_TASK_TOKEN',
        'LCM_JOB',
        'LCM_SESSION_ID',
        'LCM_PART_ORDER',
        'LCM_POD_DEFINITION_ID',
        'LCM_PHASE',
        'LCM_ATTEMPT',
        'LCM_HEARTBEAT_SECONDS',
      ]);
    });
  });
});

describe('the Mermaid graph for authors', () => {
  it('one subgraph per phase with its retry and failure mode, steps chained, phases chained', () => {
    const g = toMermaid(
      lifecycle(
        {
          name: 'instantiate',
          native_steps_by_pod_type: natives('lab_start'),
          jobs: [{ definition: 'post_init@v1' }, { definition: 'grade@v1', runtime: 'fargate' }],
          retry: { max_attempts: 2 },
          on_failure: 'continue',
        },
        { name: 'collect' },
      ),
      'cml_on_aws',
    );
    expect(g).toBe(
      [
        'flowchart TD',
        '  subgraph P0["instantiate (retry ×2) (continue on failure)"]',
        '    P0_0["native: lab_start"]',
        '    P0_1["job: post_init@v1"]',
        '    P0_0 --> P0_1',
        '    P0_2["job: grade@v1 (fargate)"]',
        '    P0_1 --> P0_2',
        '  end',
        '  subgraph P1["collect"]',
        '    P1_0["no work"]',
        '  end',
        '  P0 --> P1',
        '',
      ].join('\n'),
    );
  });
});
