/**
 * The reconciler's ports wired from the environment send what they did before their Lambda, ECS and
 * S3 clients were loaded on first use (D188): a native step invoked asynchronously, an ended
 * phase's tasks stopped, the session report written.
 */
import { ListTasksCommand, ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcilerPorts } from '../../../shared/orchestration/service.ts';
import { resetClients } from '../../../shared/runtime/aws.ts';

const lambda = mockClient(LambdaClient);
const ecs = mockClient(ECSClient);
const s3 = mockClient(S3Client);
const scope = { partition: 'aws', region: 'us-east-1', account: '123456789012' };

beforeEach(() => {
  Object.assign(process.env, {
    LCM_STATE_TABLE: 'state',
    LCM_STAGE: 'test',
    LCM_NATIVE_STEPS_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:native',
    LCM_JOB_CLUSTER_ARN: 'arn:aws:ecs:us-east-1:123456789012:cluster/jobs',
    LCM_ARTEFACTS_BUCKET: 'artefacts',
  });
});
afterEach(() => {
  lambda.reset();
  ecs.reset();
  s3.reset();
  resetClients();
});

describe('reconciler ports (clients on first use)', () => {
  it('tears a pod down through an asynchronous native-steps invocation', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await reconcilerPorts(scope, undefined).teardownPod!('ses_1', 2, 0, 'session cancelled');
    const calls = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      FunctionName: process.env.LCM_NATIVE_STEPS_ARN,
      InvocationType: 'Event',
    });
    expect(JSON.parse(Buffer.from(calls[0]!.Payload as Uint8Array).toString())).toEqual({
      step: 'force_teardown',
      session_id: 'ses_1',
      part_order: 2,
      pod_index: 0,
      reason: 'session cancelled',
    });
  });

  it('stops the running tasks an ended phase execution started', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: ['task/1'] });
    ecs.on(StopTaskCommand).resolves({});
    expect(await reconcilerPorts(scope, undefined).stopPhaseTasks!('ses_1-p2-grade', 'ended')).toEqual([
      'task/1',
    ]);
    expect(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input).toMatchObject({ task: 'task/1' });
  });

  it('writes the session report to the artefacts bucket', async () => {
    s3.on(PutObjectCommand).resolves({});
    expect(await reconcilerPorts(scope, undefined).putSessionReport!('ses_1', { ok: true })).toBe(
      's3://artefacts/reports/ses_1/session.json',
    );
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'artefacts',
      Key: 'reports/ses_1/session.json',
    });
  });
});
