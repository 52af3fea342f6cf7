/**
 * The local runtime enforces IAM on the calls it used to let through (issue 16, "the local runtime
 * enforces what AWS enforces"): ECS ListTasks/StopTask through the local AWS endpoint, and the
 * state machines' execution role on the tasks they call (Lambda, ECS RunTask with its PassRole,
 * EventBridge). The statements are the synthesized template's (no second list).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { startAwsGateway, type AwsGateway } from '../../../infra/local/aws-gateway.ts';
import { principalsOf, type Principals } from '../../../infra/local/iam-endpoints.ts';
import { LocalStepFunctions } from '../../../infra/local/stepfunctions.ts';
import { synthesizeCached } from '../../../infra/local/synth.ts';
import { executionRoles, type TemplateProfiles } from '../../../infra/local/template.ts';
import type { LocalEventBus } from '../../../infra/local/event-bus.ts';
import type { LocalFunctions } from '../../../infra/local/functions.ts';
import { sessionToken } from '../../../infra/local/function-context.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
let profiles: TemplateProfiles;
let gateway: AwsGateway;
let principals: Principals;

beforeAll(async () => {
  profiles = await synthesizeCached({ stage: 'dev', account: ACCOUNT, region: REGION });
  principals = principalsOf(profiles);
  gateway = await startAwsGateway({
    bus: {} as LocalEventBus,
    sfn: { handle: async () => ({}) },
    fns: {} as LocalFunctions,
    principals,
    region: REGION,
    accountId: ACCOUNT,
  });
}, 240_000);
afterAll(() => gateway?.close());

const ecsAs = (fn: string) =>
  new ECSClient({
    region: REGION,
    endpoint: gateway.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x', sessionToken: sessionToken(`function/${fn}`) },
    maxAttempts: 1,
  });
const cluster = (stage: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${stage}-lcm-jobs`;

describe('ECS calls through the local endpoint are checked against the caller role', () => {
  it("the reconciler lists and stops tasks in its stage's cluster only", async () => {
    await expect(
      ecsAs('reconciler').send(new ListTasksCommand({ cluster: cluster('dev') })),
    ).resolves.toMatchObject({ taskArns: [] });
    await expect(
      ecsAs('reconciler').send(new ListTasksCommand({ cluster: cluster('prod') })),
    ).rejects.toThrow(/\(function\/reconciler\) is not authorized to perform: ecs:ListTasks on resource: \*/);
    await expect(
      ecsAs('reconciler').send(
        new StopTaskCommand({
          cluster: cluster('prod'),
          task: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod-lcm-jobs/abc`,
        }),
      ),
    ).rejects.toThrow(
      /ecs:StopTask on resource: arn:aws:ecs:us-east-1:000000000000:task\/prod-lcm-jobs\/abc/,
    );
  });

  it('a function without an ECS grant is denied', async () => {
    await expect(
      ecsAs('catalog-api').send(new ListTasksCommand({ cluster: cluster('dev') })),
    ).rejects.toThrow(/function\/catalog-api\) is not authorized to perform: ecs:ListTasks/);
  });
});

describe("a state machine's tasks are checked against its execution role", () => {
  const smRole = `arn:aws:iam::${ACCOUNT}:role/dev-lcm-state-machines`;
  const fn = (n: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:dev-${n}`;

  async function run(definition: object, roleArn = smRole) {
    const invoked: string[] = [];
    const started: Record<string, unknown>[] = [];
    const s = new LocalStepFunctions({
      clock: new ManualClock('2026-12-01T09:00:00Z'),
      region: REGION,
      accountId: ACCOUNT,
      invokeFunction: async (f) => (invoked.push(f), { ok: true }),
      runTask: async (p) => void started.push(p),
      publish: async () => undefined,
      realDelayMs: (ms) => ms / 1000,
      deadlineFloorMs: 0,
      taskStartFloorMs: 0,
      roles: executionRoles(profiles),
    });
    const { stateMachineArn } = (await s.handle('CreateStateMachine', {
      name: 'dev-lcm-m',
      definition: JSON.stringify(definition),
      roleArn,
    })) as { stateMachineArn: string };
    const { executionArn } = (await s.handle('StartExecution', {
      stateMachineArn,
      name: 'e1',
      input: '{}',
    })) as {
      executionArn: string;
    };
    await s.drain(5_000);
    const d = (await s.handle('DescribeExecution', { executionArn })) as {
      status: string;
      error?: string;
      cause?: string;
    };
    return { d, invoked, started };
  }
  const invoke = (f: string) => ({
    StartAt: 'A',
    States: {
      A: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: f, Payload: {} },
        End: true,
      },
    },
  });

  it('may invoke the step functions it is granted', async () => {
    const { d, invoked } = await run(invoke(fn('native-steps')));
    expect(d.status).toBe('SUCCEEDED');
    expect(invoked).toEqual([fn('native-steps')]);
  });

  it('invoking a function the role does not grant fails the task, naming role, action and resource', async () => {
    const { d, invoked } = await run(invoke(fn('catalog-api')));
    expect(d.status).toBe('FAILED');
    expect(d.error).toBe('Lambda.AWSLambdaException');
    expect(d.cause).toContain(
      `assumed-role/dev-lcm-state-machines/e1 (execution/e1) is not authorized to perform: lambda:InvokeFunction on resource: ${fn('catalog-api')}`,
    );
    expect(invoked).toEqual([]);
  });

  it("RunTask: the stage's task definition in the stage's cluster, passing its roles; not another stage's", async () => {
    const task = (def: string, c: string) => ({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::ecs:runTask',
          Parameters: { Cluster: c, TaskDefinition: def, LaunchType: 'FARGATE' },
          End: true,
        },
      },
    });
    const own = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/dev-lcm-job-runner-task:1`;
    const ok = await run(task(own, cluster('dev')));
    expect(ok.d.status).toBe('SUCCEEDED');
    expect(ok.started).toHaveLength(1);
    const other = await run(task(own, cluster('prod')));
    expect(other.d).toMatchObject({ status: 'FAILED', error: 'ECS.AmazonECSException' });
    expect(other.d.cause).toContain('ecs:RunTask');
    expect(other.started).toHaveLength(0);
  });

  it('a role the template does not have can do nothing', async () => {
    const { d } = await run(
      invoke(fn('native-steps')),
      `arn:aws:iam::${ACCOUNT}:role/prod-lcm-state-machines`,
    );
    expect(d).toMatchObject({ status: 'FAILED', error: 'Lambda.AWSLambdaException' });
  });
});
