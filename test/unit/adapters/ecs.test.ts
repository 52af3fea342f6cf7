import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { stopExecutionTasks } from '../../../shared/adapters/ecs.ts';

const ecs = mockClient(ECSClient);
const CLUSTER = 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod-lcm';

beforeEach(() => ecs.reset());

describe('stopping the Fargate tasks of an ended phase execution', () => {
  it('lists the running tasks the execution started (every page) and stops each with the reason', async () => {
    ecs
      .on(ListTasksCommand, { nextToken: undefined })
      .resolves({ taskArns: ['arn:task/1'], nextToken: 'p2' })
      .on(ListTasksCommand, { nextToken: 'p2' })
      .resolves({ taskArns: ['arn:task/2'] });
    ecs.on(StopTaskCommand).resolves({});
    const stopped = await stopExecutionTasks(
      new ECSClient({}),
      CLUSTER,
      'lcm-ses_1-p1-grade-1',
      'phase ended FAILED',
    );
    expect(stopped).toEqual(['arn:task/1', 'arn:task/2']);
    expect(ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toMatchObject({
      cluster: CLUSTER,
      startedBy: 'lcm-ses_1-p1-grade-1',
      desiredStatus: 'RUNNING',
    });
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, task: 'arn:task/1', reason: 'phase ended FAILED' },
      { cluster: CLUSTER, task: 'arn:task/2', reason: 'phase ended FAILED' },
    ]);
  });

  it('stops nothing when the execution left no task running', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    expect(await stopExecutionTasks(new ECSClient({}), CLUSTER, 'lcm-x', 'r')).toEqual([]);
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });
});
