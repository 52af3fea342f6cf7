/**
 * A failed asynchronous invocation, locally, as Lambda handles it (issue 14, D190): retried per
 * the function's EventInvokeConfig in the synthesized template (one minute, then two, on the
 * runtime's clock), then a dead letter shaped as Lambda's on-failure destination record; an event
 * older than the maximum age is not retried. The real Lambda client calls the local endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startAwsGateway, type AwsGateway } from '../../../infra/local/aws-gateway.ts';
import { synthesizeCached } from '../../../infra/local/synth.ts';
import type { TemplateProfiles } from '../../../infra/local/template.ts';
import type { LocalEventBus } from '../../../infra/local/event-bus.ts';
import type { LocalFunctions } from '../../../infra/local/functions.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import * as asyncInvoke from '../../../infra/local/async-invoke.ts';
import { waitFor } from '../../helpers/wait.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
let profiles: TemplateProfiles;

beforeAll(async () => {
  profiles = await synthesizeCached({ stage: 'dev', account: ACCOUNT, region: REGION });
}, 240_000);

describe('asynchronous invocation settings come from the synthesized template', () => {
  it('the functions invoked asynchronously carry their EventInvokeConfig: 2 retries, 1 h, an SQS on-failure queue', () => {
    for (const name of ['job-runner', 'content-sync', 'native-steps'])
      expect(profiles.functions[name]?.asyncInvoke, name).toEqual({
        maximumRetryAttempts: 2,
        maximumEventAgeSeconds: 3600,
        onFailure: `arn:aws:sqs:${REGION}:${ACCOUNT}:dev-lcm-${name}-async-dlq`,
      });
    expect(profiles.functions['catalog-api']?.asyncInvoke).toBeUndefined();
  });
});

describe('a failing asynchronous invocation through the local Lambda endpoint', () => {
  let gateway: AwsGateway;
  let clock: ManualClock;
  let invoker: asyncInvoke.LocalAsyncInvoker;
  const calls: unknown[] = [];
  let maxAge = 3600;

  beforeAll(async () => {
    clock = new ManualClock('2026-12-01T09:00:00Z');
    const fns = {
      has: () => true,
      resolveName: (n: string) =>
        n
          .replace(/^.*function:/, '')
          .replace(/:.*$/, '')
          .replace(/^dev-/, ''),
      arn: (n: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:dev-${n}`,
      invoke: async (_n: string, payload: unknown) => {
        calls.push(payload);
        throw Object.assign(new Error('the job store is unreachable'), { name: 'ServiceUnavailable' });
      },
    } as unknown as LocalFunctions;
    invoker = new asyncInvoke.LocalAsyncInvoker({
      invoke: (n, p) => fns.invoke(n, p),
      arn: (n) => fns.arn(n),
      config: (n) => {
        const c = profiles.functions[n]?.asyncInvoke;
        return c && { ...c, maximumEventAgeSeconds: maxAge };
      },
      clock,
    });
    gateway = await startAwsGateway({
      bus: {} as LocalEventBus,
      sfn: { handle: async () => ({}) },
      fns,
      asyncInvoker: invoker,
      region: REGION,
      accountId: ACCOUNT,
    });
  });
  afterAll(async () => {
    invoker?.close();
    await gateway?.close();
  });

  const lambda = () =>
    new LambdaClient({
      region: REGION,
      endpoint: gateway.url,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  const invokeAsync = (payload: unknown) =>
    lambda().send(
      new InvokeCommand({
        FunctionName: 'dev-job-runner',
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );

  it('is retried one minute and then two minutes later on the clock, then dead-lettered as Lambda records it', async () => {
    calls.length = 0;
    const out = await invokeAsync({ job_id: 'job_1' });
    expect(out.StatusCode).toBe(202);
    await waitFor('the first attempt', async () => calls.length === 1 && invoker.waiting === 1);
    // Nothing more happens while the clock stands still.
    clock.advance(59_000);
    expect(calls).toHaveLength(1);
    clock.advance(1_000);
    await waitFor('the second attempt', async () => calls.length === 2 && invoker.waiting === 1);
    clock.advance(119_000);
    expect(calls).toHaveLength(2);
    clock.advance(1_000);
    await waitFor('the dead letter', async () => invoker.deadLetters.length === 1);
    expect(calls).toEqual([{ job_id: 'job_1' }, { job_id: 'job_1' }, { job_id: 'job_1' }]);
    const letter = invoker.deadLetters[0]!;
    expect(letter.destination).toBe(`arn:aws:sqs:${REGION}:${ACCOUNT}:dev-lcm-job-runner-async-dlq`);
    expect(letter.record).toEqual({
      version: '1.0',
      timestamp: '2026-12-01T09:03:00.000Z',
      requestContext: {
        requestId: expect.any(String),
        functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:dev-job-runner:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { job_id: 'job_1' },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'ServiceUnavailable', errorMessage: 'the job store is unreachable' },
    });
    expect(invoker.waiting).toBe(0);
  });

  it('an event older than the maximum event age when its retry is due is dead-lettered without running again', async () => {
    calls.length = 0;
    invoker.deadLetters.length = 0;
    maxAge = 30;
    try {
      await invokeAsync({ job_id: 'job_2' });
      await waitFor('the first attempt', async () => calls.length === 1 && invoker.waiting === 1);
      clock.advance(60_000);
      await waitFor('the dead letter', async () => invoker.deadLetters.length === 1);
      expect(calls).toHaveLength(1);
      expect(invoker.deadLetters[0]!.record.requestContext).toMatchObject({
        condition: 'EventAgeExceeded',
        approximateInvokeCount: 1,
      });
    } finally {
      maxAge = 3600;
    }
  });
});
