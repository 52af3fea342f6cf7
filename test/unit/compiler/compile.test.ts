import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileLifecycle, toMermaid } from '../../../state-machines/compile.ts';
import { STANDARD_LIFECYCLE, standardPhases } from '../../../state-machines/standard-lifecycle.ts';
import type { Lifecycle } from '../../../shared/domain/lifecycle.ts';
import { LocalStepFunctions } from '../../../infra/local/stepfunctions.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { opts, targets } from './options.ts';

const lablet = parse(
  readFileSync(
    new URL('../../../seeds/content/lablet-ospf-basics/PAv1/lifecycle.yaml', import.meta.url),
    'utf8',
  ),
) as Lifecycle;
const INPUT = {
  session_id: 'ses_01jdx0k7m6v3g8w2q4t5n9c1ba',
  part_order: 1,
  phase: 'x',
  attempt: 1,
  pod_definition_id: 'pd_0123456789abcdef',
  pods: [{ index: 0, id: 'pod_1' }],
  cleanup: false,
};

function engine(fail?: { step: string; name: string }) {
  const calls: { fn: string; payload: Record<string, unknown> }[] = [];
  const s = new LocalStepFunctions({
    clock: new ManualClock('2026-12-01T09:00:00Z'),
    region: 'us-east-1',
    accountId: '000000000000',
    invokeFunction: async (fn, payload) => {
      calls.push({ fn: fn.split(':').at(-1)!, payload: payload as Record<string, unknown> });
      const p = payload as { step?: string; job?: string };
      if (fail && (p.step === fail.step || p.job === fail.step))
        throw Object.assign(new Error(`${fail.step} broke`), { name: fail.name });
      return { ok: true };
    },
    runTask: async (params) => {
      const env = (
        params.Overrides as { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] }
      ).ContainerOverrides[0]!.Environment;
      calls.push({ fn: 'ecs', payload: Object.fromEntries(env.map((e) => [e.Name, e.Value])) });
      const token = env.find((e) => e.Name === 'LCM_TASK_TOKEN')!.Value;
      setTimeout(() => void s.handle('SendTaskSuccess', { taskToken: token, output: '{}' }), 1);
    },
    publish: async () => undefined,
    realDelayMs: (ms) => ms / 1000,
  });
  return { s, calls };
}

async function run(s: LocalStepFunctions, name: string, definition: string) {
  const { stateMachineArn } = (await s.handle('CreateStateMachine', { name, definition, roleArn: 'r' })) as {
    stateMachineArn: string;
  };
  const { executionArn } = (await s.handle('StartExecution', {
    stateMachineArn,
    name: 'e',
    input: JSON.stringify(INPUT),
  })) as { executionArn: string };
  await s.drain(5000);
  return s.handle('DescribeExecution', { executionArn }) as Promise<{ status: string; error?: string }>;
}

describe('the lifecycle compiler', () => {
  it('gives one machine per phase with deterministic names and byte-identical output', () => {
    const a = compileLifecycle(lablet, opts());
    const b = compileLifecycle(structuredClone(lablet), opts());
    expect(a.map((m) => m.name)).toEqual([
      'dev-lcm-pd_0123456789abcdef-instantiate',
      'dev-lcm-pd_0123456789abcdef-collect',
      'dev-lcm-pd_0123456789abcdef-grade',
      'dev-lcm-pd_0123456789abcdef-archive',
    ]);
    expect(b).toEqual(a);
    for (const m of a) {
      expect(m.definition).not.toMatch(/JSONata|"Assign"/);
      expect(Buffer.byteLength(m.definition)).toBeLessThan(256 * 1024);
    }
  });

  it('maps native steps to Lambda tasks, jobs to the job runner, retry to Retry and failure to Catch', () => {
    const inst = JSON.parse(compileLifecycle(lablet, opts())[0]!.definition) as {
      StartAt: string;
      TimeoutSeconds: number;
      States: Record<
        string,
        {
          Parameters?: { FunctionName: string; Payload: Record<string, unknown> };
          Retry?: { ErrorEquals: string[]; MaxAttempts: number }[];
          Catch?: { Next: string }[];
        }
      >;
    };
    expect(inst.StartAt).toBe('native_lab_resolve');
    expect(inst.TimeoutSeconds).toBe(1800);
    expect(Object.keys(inst.States)).toEqual([
      'native_lab_resolve',
      'native_ports_alloc',
      'native_tags_sync',
      'native_lab_start',
      'native_lds_register',
      'native_mark_ready',
      'job_post_init_v1',
      'PhaseFailed',
    ]);
    expect(inst.States.native_lab_resolve!.Parameters!.Payload).toMatchObject({
      step: 'lab_resolve',
      'session_id.$': '$.session_id',
    });
    expect(inst.States.job_post_init_v1!.Parameters!.FunctionName).toBe(targets.jobRunnerArn);
    // Lambda's own failures first, six times (an exhausted retrier goes to Catch, not on).
    expect(inst.States.native_lab_resolve!.Retry![0]).toMatchObject({
      ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
      MaxAttempts: 6,
    });
    expect(inst.States.native_lab_resolve!.Retry!.at(-1)).toMatchObject({
      ErrorEquals: ['States.ALL'],
      MaxAttempts: 1,
    });
    expect(inst.States.native_lab_resolve!.Catch![0]!.Next).toBe('PhaseFailed');
  });

  it.each([
    ['instantiate', 7],
    ['collect', 1],
    ['grade', 1],
    ['archive', 5],
  ])(
    'the lablet %s phase bills one state transition per task and none that carries no information (%i)',
    async (phase, tasks) => {
      const m = compileLifecycle(lablet, opts()).find((x) => x.phase === phase)!;
      const { s } = engine();
      expect((await run(s, m.name, m.definition)).status).toBe('SUCCEEDED');
      await new Promise((r) => setTimeout(r, 10)); // the event log is read as the run goes
      expect(s.billing).toEqual({ executions: 1, transitions: tasks, retries: 0 });
    },
  );

  it('a step that continues on failure still ends the phase: the last task’s Catch has somewhere to go', async () => {
    const lc: Lifecycle = {
      kind: 'Lifecycle',
      spec: { phases: [{ name: 'collect', jobs: [{ definition: 'grade@v1' }], on_failure: 'continue' }] },
    };
    const m = compileLifecycle(lc, opts())[0]!;
    const { s } = engine({ step: 'grade@v1', name: 'Boom' });
    expect((await run(s, m.name, m.definition)).status).toBe('SUCCEEDED');
  });

  it('a fargate job waits for a task token with heartbeat and timeout', () => {
    const lc: Lifecycle = {
      kind: 'Lifecycle',
      spec: { phases: [{ name: 'grade', jobs: [{ definition: 'grade@v1', runtime: 'fargate' }] }] },
    };
    const g = JSON.parse(compileLifecycle(lc, opts())[0]!.definition) as {
      States: Record<string, Record<string, unknown>>;
    };
    expect(g.States.job_grade_v1).toMatchObject({
      Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
      HeartbeatSeconds: 60,
      TimeoutSeconds: 3600,
    });
  });

  it.each(['instantiate', 'collect', 'grade', 'archive'])(
    'the lablet %s phase runs to completion with local handlers',
    async (phase) => {
      const m = compileLifecycle(lablet, opts()).find((x) => x.phase === phase)!;
      const { s, calls } = engine();
      expect((await run(s, m.name, m.definition)).status).toBe('SUCCEEDED');
      if (phase === 'instantiate')
        expect(calls.map((c) => c.payload.step ?? c.payload.job)).toEqual([
          'lab_resolve',
          'ports_alloc',
          'tags_sync',
          'lab_start',
          'lds_register',
          'mark_ready',
          'post_init@v1',
        ]);
    },
  );

  it('a fargate job runs to completion through the task token', async () => {
    const lc: Lifecycle = {
      kind: 'Lifecycle',
      spec: {
        phases: [{ name: 'grade', jobs: [{ definition: 'grade@v1', runtime: 'fargate', rubric: 'rubric' }] }],
      },
    };
    const m = compileLifecycle(lc, opts())[0]!;
    const { s, calls } = engine();
    expect((await run(s, m.name, m.definition)).status).toBe('SUCCEEDED');
    expect(calls[0]!.payload).toMatchObject({
      LCM_JOB: 'grade@v1',
      LCM_RUBRIC: 'rubric',
      LCM_SESSION_ID: INPUT.session_id,
      LCM_PART_ORDER: '1',
      LCM_POD_DEFINITION_ID: INPUT.pod_definition_id,
    });
  });

  it('a failing step fails the phase with its own error name, after the phase retries', async () => {
    const m = compileLifecycle(lablet, opts())[0]!;
    const { s, calls } = engine({ step: 'lab_start', name: 'LabStartFailed' });
    const d = await run(s, m.name, m.definition);
    expect(d).toMatchObject({ status: 'FAILED', error: 'LabStartFailed' });
    expect(calls.filter((c) => c.payload.step === 'lab_start')).toHaveLength(2); // max_attempts 2
  });

  it('on_failure: continue lets the phase succeed past a failing step', async () => {
    const lc: Lifecycle = {
      kind: 'Lifecycle',
      spec: {
        phases: [
          {
            name: 'archive',
            native_steps_by_pod_type: { cml_on_aws: ['lab_stop', 'archive'] },
            on_failure: 'continue',
          },
        ],
      },
    };
    const m = compileLifecycle(lc, opts())[0]!;
    const { s, calls } = engine({ step: 'lab_stop', name: 'Boom' });
    expect((await run(s, m.name, m.definition)).status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.payload.step)).toEqual(['lab_stop', 'archive']);
  });

  it.each(['cml_on_aws', 'proxmox', 'vmware', 'roc_radkit', 'none'] as const)(
    'the standard lifecycle compiles and runs for %s',
    async (podType) => {
      const ms = compileLifecycle(
        STANDARD_LIFECYCLE,
        opts({ podDefinitionId: null, podType, availableJobs: new Set(), standardLifecycle: true }),
      );
      // What seeding registers is exactly what the planner names on a part of this pod type.
      expect(Object.fromEntries(ms.map((m) => [m.phase, m.name]))).toEqual(standardPhases('dev', podType));
      expect(ms.map((m) => m.name)).toEqual(
        (podType === 'none'
          ? ['instantiate', 'grade', 'archive']
          : ['instantiate', 'collect', 'grade', 'archive']
        ).map((p) => `dev-lcm-standard-${podType}-${p}`),
      );
      const grade = JSON.parse(ms.find((m) => m.phase === 'grade')!.definition) as {
        States: Record<string, unknown>;
      };
      expect(Object.keys(grade.States)).toContain('native_record_ungraded');
      for (const m of ms) expect((await run(engine().s, m.name, m.definition)).status).toBe('SUCCEEDED');
    },
  );

  it('a phase limited to some pod types compiles only for those', () => {
    const l: Lifecycle = {
      kind: 'Lifecycle',
      spec: {
        phases: [
          {
            name: 'instantiate',
            native_steps_by_pod_type: { none: ['mark_ready'], cml_on_aws: ['mark_ready'] },
          },
          { name: 'collect', pod_types: ['cml_on_aws'], jobs: [{ definition: 'collect@v1' }] },
        ],
      },
    };
    const phases = (podType: 'none' | 'cml_on_aws') =>
      compileLifecycle(
        l,
        opts({ podDefinitionId: null, podType, availableJobs: new Set(['collect@v1']) }),
      ).map((m) => m.phase);
    expect(phases('cml_on_aws')).toEqual(['instantiate', 'collect']);
    expect(phases('none')).toEqual(['instantiate']);
  });

  it('draws a Mermaid graph of each phase', () => {
    const g = toMermaid(lablet, 'cml_on_aws');
    expect(g).toMatch(/^flowchart TD/);
    expect(g).toContain('native: lab_resolve');
    expect(g).toContain('job: grade@v1');
  });
});
