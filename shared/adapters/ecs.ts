/**
 * The job runner's Fargate tasks: each is started by its phase execution with `StartedBy` set to
 * the execution's name, so when the execution ends (succeeded, failed, timed out, aborted) the
 * tasks it started and that still run are found and stopped. Step Functions does not stop a
 * `.waitForTaskToken` task itself; a task left running would keep a CML lab busy for an hour.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';

/** ECS caps `startedBy` at 128 characters; execution names are at most 80. */
export const startedByOf = (executionName: string) => executionName.slice(0, 128);

/** Stops every running task of `cluster` started by the execution; answers the task ARNs stopped. */
export async function stopExecutionTasks(
  client: ECSClient,
  cluster: string,
  executionName: string,
  reason: string,
): Promise<string[]> {
  // The commands through `import()` (instant once the client is built): this module loads no SDK
  // package at cold start (the reconciler stops tasks only when a phase execution ends, D188).
  const { ListTasksCommand, StopTaskCommand } = await import('@aws-sdk/client-ecs');
  const stopped: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListTasksCommand({
        cluster,
        startedBy: startedByOf(executionName),
        desiredStatus: 'RUNNING',
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const task of page.taskArns ?? []) {
      await client.send(new StopTaskCommand({ cluster, task, reason: reason.slice(0, 255) }));
      stopped.push(task);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return stopped;
}
