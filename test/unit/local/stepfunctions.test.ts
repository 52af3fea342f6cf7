import { describe, expect, it, vi } from 'vitest';
import { LocalStepFunctions, SfnApiError } from '../../../infra/local/stepfunctions.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';

function sfn(
  opts: {
    fns?: Record<string, (p: unknown) => Promise<unknown>>;
    runTask?: (p: Record<string, unknown>) => Promise<void>;
    deadlineFloorMs?: number;
    taskStartFloorMs?: number;
    manualClock?: ManualClock;
  } = {},
) {
  const published: { 'detail-type': string; detail: Record<string, unknown> }[] = [];
  /** Every clock-time delay the interpreter turned into a real one (virtual ms). */
  const delays: number[] = [];
  const s = new LocalStepFunctions({
    clock: new ManualClock('2026-12-01T09:00:00Z'),
    region: 'us-east-1',
    accountId: '000000000000',
    invokeFunction: async (fn, payload) => {
      const name = fn.split(':').at(-1)!;
      const f = opts.fns?.[name];
      if (!f) throw Object.assign(new Error(`no ${name}`), { name: 'ResourceNotFoundException' });
      return f(payload);
    },
    runTask: opts.runTask ?? (async () => undefined),
    publish: async (e) => void published.push(e),
    realDelayMs: (ms) => (delays.push(ms), ms / 1000), // one virtual second = one real millisecond
    deadlineFloorMs: opts.deadlineFloorMs ?? 0,
    taskStartFloorMs: opts.taskStartFloorMs ?? 0,
    ...(opts.manualClock ? { manualClock: opts.manualClock } : {}),
  });
  return { s, published, delays };
}

const lambda = (next: string | null, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:local-step', 'Payload.$': '$' },
  OutputPath: '$.Payload',
  ...(next ? { Next: next } : { End: true }),
  ...extra,
});

async function run(s: LocalStepFunctions, definition: object, input: object = {}, name = 'm') {
  const { stateMachineArn } = (await s.handle('CreateStateMachine', {
    name,
    definition: JSON.stringify(definition),
    roleArn: 'r',
  })) as { stateMachineArn: string };
  const { executionArn } = (await s.handle('StartExecution', {
    stateMachineArn,
    name: 'e1',
    input: JSON.stringify(input),
  })) as { executionArn: string };
  await s.drain(5_000);
  return s.handle('DescribeExecution', { executionArn }) as Promise<{
    status: string;
    output?: string;
    error?: string;
    cause?: string;
  }>;
}

/** A callback task that must heartbeat every 60 s (within an hour). */
const heartbeatJob = {
  StartAt: 'Job',
  States: {
    Job: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      HeartbeatSeconds: 60,
      TimeoutSeconds: 3600,
      Parameters: { FunctionName: 'worker', Payload: { 'token.$': '$$.Task.Token' } },
      End: true,
    },
  },
};

describe('local Step Functions', () => {
  it('runs a Lambda task through the local function and publishes RUNNING then SUCCEEDED', async () => {
    const { s, published } = sfn({
      fns: { 'local-step': async (p) => ({ doubled: (p as { n: number }).n * 2 }) },
    });
    const d = await run(s, { StartAt: 'A', States: { A: lambda(null) } }, { n: 21 });
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toEqual({ doubled: 42 });
    await vi.waitFor(() => expect(published.map((p) => p.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']), {
      timeout: 30_000,
    });
    expect(published[1]!['detail-type']).toBe('Step Functions Execution Status Change');
    expect(published[1]!.detail).toMatchObject({
      name: 'e1',
      executionArn: expect.stringContaining(':execution:m:e1'),
    });
  });

  it('retries a custom error by name, then succeeds', async () => {
    let calls = 0;
    const { s } = sfn({
      fns: {
        'local-step': async () => {
          if (++calls < 3) throw Object.assign(new Error('flaky'), { name: 'Transient' });
          return { ok: true };
        },
      },
    });
    const d = await run(s, {
      StartAt: 'A',
      States: {
        A: lambda(null, { Retry: [{ ErrorEquals: ['Transient'], MaxAttempts: 3, IntervalSeconds: 1 }] }),
      },
    });
    expect(d.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
  });

  it('routes a failure to its Catch with the error name (the Node 20 pitfall)', async () => {
    const { s } = sfn({
      fns: {
        'local-step': async () =>
          Promise.reject(Object.assign(new Error('bad device'), { name: 'DeviceError' })),
      },
    });
    const d = await run(s, {
      StartAt: 'A',
      States: {
        A: lambda(null, { Catch: [{ ErrorEquals: ['DeviceError'], ResultPath: '$.error', Next: 'Caught' }] }),
        Caught: { Type: 'Pass', End: true },
      },
    });
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!).error).toEqual({ Error: 'DeviceError', Cause: 'bad device' });
  });

  it('an uncaught failure fails the execution with error and cause', async () => {
    const { s } = sfn({
      fns: { 'local-step': async () => Promise.reject(Object.assign(new Error('nope'), { name: 'Boom' })) },
    });
    const d = await run(s, { StartAt: 'A', States: { A: lambda(null) } });
    expect(d).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'nope' });
  });

  it('start is idempotent by name and input; another input is ExecutionAlreadyExists', async () => {
    const { s } = sfn({ fns: { 'local-step': async () => ({}) } });
    const { stateMachineArn } = (await s.handle('CreateStateMachine', {
      name: 'x',
      definition: JSON.stringify({ StartAt: 'A', States: { A: lambda(null) } }),
      roleArn: 'r',
    })) as { stateMachineArn: string };
    const a = await s.handle('StartExecution', { stateMachineArn, name: 'same', input: '{"a":1}' });
    const b = await s.handle('StartExecution', { stateMachineArn, name: 'same', input: '{"a":1}' });
    expect(b).toEqual(a);
    await expect(
      s.handle('StartExecution', { stateMachineArn, name: 'same', input: '{"a":2}' }),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    // creating the same machine twice is idempotent; a different definition conflicts
    await expect(
      s.handle('CreateStateMachine', {
        name: 'x',
        definition: JSON.stringify({ StartAt: 'A', States: { A: lambda(null) } }),
        roleArn: 'r',
      }),
    ).resolves.toMatchObject({ stateMachineArn });
    await expect(
      s.handle('CreateStateMachine', {
        name: 'x',
        definition: JSON.stringify({ StartAt: 'B', States: { B: { Type: 'Pass', End: true } } }),
        roleArn: 'r',
      }),
    ).rejects.toBeInstanceOf(SfnApiError);
  });

  it('a waitForTaskToken task completes with SendTaskSuccess from outside', async () => {
    let token = '';
    const { s } = sfn({
      runTask: async (p) => {
        token = (
          p.Overrides as { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] }
        ).ContainerOverrides[0]!.Environment.find((e) => e.Name === 'TASK_TOKEN')!.Value;
        setTimeout(
          () => void s.handle('SendTaskSuccess', { taskToken: token, output: '{"report":"ok"}' }),
          5,
        );
      },
    });
    const d = await run(s, {
      StartAt: 'Job',
      States: {
        Job: {
          Type: 'Task',
          Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
          HeartbeatSeconds: 60,
          Parameters: {
            Cluster: 'c',
            TaskDefinition: 'job-runner-task',
            Overrides: {
              ContainerOverrides: [
                { Name: 'runner', Environment: [{ Name: 'TASK_TOKEN', 'Value.$': '$$.Task.Token' }] },
              ],
            },
          },
          End: true,
        },
      },
    });
    expect(token).toMatch(/^e1\./);
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toEqual({ report: 'ok' });
    await expect(s.handle('SendTaskSuccess', { taskToken: token, output: '{}' })).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('a task that stops heartbeating fails with States.HeartbeatTimeout instead of hanging', async () => {
    let token = '';
    const { s, delays } = sfn({
      fns: {
        worker: async (p) => {
          token = (p as { token: string }).token;
          await s.handle('SendTaskHeartbeat', { taskToken: token }); // one heartbeat, then silence
          return undefined;
        },
      },
    });
    const d = await run(s, heartbeatJob);
    expect(d).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    // The 60 s heartbeat was measured in the clock's time (60 ms of real time here), not the
    // task's 3600 s timeout, and not 60 s of wall time.
    expect(delays).toContain(60_000);
    await expect(s.handle('SendTaskSuccess', { taskToken: token, output: '{}' })).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('an accelerated heartbeat never expires sooner than the wall-time floor (a task process needs time to start)', async () => {
    const { s } = sfn({ fns: { worker: async () => undefined }, deadlineFloorMs: 300 });
    const t0 = Date.now();
    const d = await run(s, heartbeatJob);
    expect(d).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290); // 60 ms of clock time, floored at 300 ms
  });

  it('a task has longer for its first heartbeat (its process must start) than for the next ones', async () => {
    let beat: (() => Promise<unknown>) | undefined;
    const { s } = sfn({
      fns: {
        worker: async (p) => {
          const token = (p as { token: string }).token;
          beat = () => s.handle('SendTaskHeartbeat', { taskToken: token });
          return undefined;
        },
      },
      deadlineFloorMs: 0,
      taskStartFloorMs: 400, // 60 virtual seconds are 60 ms here; the first beat may take 400 ms
    });
    const t0 = Date.now();
    const running = run(s, heartbeatJob);
    await vi.waitFor(() => expect(beat).toBeDefined(), { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 150)); // past HeartbeatSeconds, within the start floor
    await beat!(); // accepted: the execution still waits for this task
    const d = await running; // silence after the first beat: the heartbeat timeout applies
    expect(d).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
  });

  it('on a stepped clock a Lambda task times out when the clock passes TimeoutSeconds, never because it was slow (D146)', async () => {
    const clock = new ManualClock('2026-12-01T09:00:00Z');
    let release: (() => void) | undefined;
    const { s } = sfn({
      manualClock: clock,
      fns: {
        // The first call answers after the interpreter's 2 s would have expired in wall time; the
        // second never answers until the clock passes its 2 s.
        slow: async () => new Promise((r) => setTimeout(() => r({ ok: 1 }), 2_500)),
        stuck: async () => new Promise<void>((r) => (release = r)),
      },
    });
    const task = (fn: string) => ({
      StartAt: 'T',
      States: {
        T: { ...lambda(null), Parameters: { FunctionName: fn, 'Payload.$': '$' }, TimeoutSeconds: 2 },
      },
    });
    const slow = await run(s, task('slow'), {}, 'slow');
    expect(slow.status).toBe('SUCCEEDED');
    // A task in flight is a deadline timer of the clock: moving the clock past it ends the task.
    const { stateMachineArn } = (await s.handle('CreateStateMachine', {
      name: 'stuck',
      definition: JSON.stringify(task('stuck')),
      roleArn: 'r',
    })) as { stateMachineArn: string };
    const { executionArn } = (await s.handle('StartExecution', {
      stateMachineArn,
      name: 'e2',
      input: '{}',
    })) as {
      executionArn: string;
    };
    await vi.waitFor(() => expect(release).toBeDefined(), { timeout: 30_000 });
    expect(clock.nextTimer('deadline')).toBe(clock.now() + 2_000);
    clock.advance(1_999);
    await new Promise((r) => setTimeout(r, 20));
    expect(((await s.handle('DescribeExecution', { executionArn })) as { status: string }).status).toBe(
      'RUNNING',
    );
    clock.advance(1);
    await s.drain(5_000);
    expect(await s.handle('DescribeExecution', { executionArn })).toMatchObject({
      status: 'FAILED',
      error: 'States.Timeout',
    });
    release!();
    expect(clock.pending).toBe(0);
  });

  it('StopExecution aborts a running execution', async () => {
    const { s } = sfn({ fns: { worker: async () => undefined } });
    const { stateMachineArn } = (await s.handle('CreateStateMachine', {
      name: 'w',
      definition: JSON.stringify({
        StartAt: 'Job',
        States: {
          Job: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: 'worker', Payload: {} },
            End: true,
          },
        },
      }),
      roleArn: 'r',
    })) as { stateMachineArn: string };
    const { executionArn } = (await s.handle('StartExecution', { stateMachineArn, name: 'e' })) as {
      executionArn: string;
    };
    await s.handle('StopExecution', { executionArn, error: 'lcm.Stopped', cause: 'cancel' });
    expect(await s.handle('DescribeExecution', { executionArn })).toMatchObject({ status: 'ABORTED' });
  });

  it('refuses JSONata and Assign, which the local interpreter would silently ignore', async () => {
    const { s } = sfn();
    await expect(
      s.handle('CreateStateMachine', {
        name: 'j',
        definition: JSON.stringify({
          QueryLanguage: 'JSONata',
          StartAt: 'A',
          States: { A: { Type: 'Pass', End: true } },
        }),
        roleArn: 'r',
      }),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
    await expect(
      s.handle('CreateStateMachine', {
        name: 'a',
        definition: JSON.stringify({
          StartAt: 'A',
          States: { A: { Type: 'Pass', Assign: { x: 1 }, End: true } },
        }),
        roleArn: 'r',
      }),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });
});

describe('stream records as Lambda receives them', () => {
  it('an empty map read back by the Streams client as {} is restored to {"M":{}}', async () => {
    const { wireImage } = await import('../../../infra/local/stream-poller.ts');
    const { unmarshall } = await import('@aws-sdk/util-dynamodb');
    const img = wireImage({
      pk: { S: 'x' },
      outputs: {},
      nested: { M: { a: {}, l: { L: [{}] } } },
    } as never)!;
    expect(unmarshall(img as never)).toEqual({ pk: 'x', outputs: {}, nested: { a: {}, l: [{}] } });
  });
});
