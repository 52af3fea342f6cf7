/**
 * The job runner as a Fargate task, for long CML work (`runtime: fargate` in lifecycle.yaml).
 * Started by `ecs:runTask.waitForTaskToken` with the task token and the job's references in its
 * environment (TASK_ENV); it heartbeats while it works and ends with SendTaskSuccess /
 * SendTaskFailure. If the task dies, the heartbeat stops and the state machine fails the step on
 * HeartbeatSeconds, never hangs, and the job's lease runs out so the retry takes it over. SIGTERM
 * (ECS stopping the task) marks the job it holds failed and reports a failure before exiting.
 */
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { sleeperFor } from '../domain/sleep.ts';
import { logger } from '../observability/logger.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { s3Sdk } from '../runtime/aws-s3.ts';
import { sfnClient } from '../runtime/aws-sfn.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env, TASK_ENV, taskEnv } from '../runtime/env.ts';
import { StateStore } from '../store/state-store.ts';
import { payloadFromTaskEnv, runLifecycleJob } from './lifecycle.ts';
import { jobContentLoader, jobRepository } from './job-store.ts';
import { scenarioServices } from './run-services.ts';

/** Runs the task's job to its end and answers the process exit code. */
export async function runJobTask(): Promise<number> {
  const run = taskEnv();
  const taskToken = run.taskToken;
  if (!taskToken) throw new Error(`${TASK_ENV.taskToken} is not set`);
  const sfn = sfnClient();
  const clock = runtimeClock();
  // Three beats per HeartbeatSeconds, in the clock's time (accelerated locally).
  const heartbeatMs = (Number(run.heartbeatSeconds ?? 60) * 1000) / 3;
  let ended = false;
  const report = async (ok: boolean, output: unknown, error?: { name: string; message: string }) => {
    if (ended) return;
    ended = true;
    if (ok) await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    else
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: error!.name.slice(0, 256),
          cause: error!.message.slice(0, 32_000),
        }),
      );
  };
  const repo = jobRepository(clock);
  let holding: { jobId: string; owner: string } | undefined;
  process.once('SIGTERM', () => {
    // The record this task holds ends failed at once (a retry need not wait for the lease).
    const abandon = holding
      ? repo
          .abandon(holding.jobId, 'job-runner:fargate', 'the task was stopped (SIGTERM)', holding.owner)
          .catch((e: unknown) => logger.warn('could not mark the job failed', { error: (e as Error).name }))
      : Promise.resolve();
    void abandon
      .then(() => report(false, undefined, { name: 'Job.stopped', message: 'the task was stopped' }))
      .finally(() => process.exit(143));
  });
  const beat = async () => {
    try {
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    } catch (e) {
      const name = (e as Error).name;
      logger.warn('heartbeat failed', { error: name });
      // The execution no longer waits for this task (stopped, timed out): stop working for it.
      if (name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist') {
        ended = true;
        process.exit(2);
      }
    }
  };
  await beat();
  const stop = new AbortController();
  const sleep = sleeperFor(clock);
  void (async () => {
    while (!stop.signal.aborted) {
      await sleep(heartbeatMs, stop.signal).catch(() => undefined);
      if (!stop.signal.aborted) await beat();
    }
  })();
  try {
    const r = await runLifecycleJob({
      payload: payloadFromTaskEnv(run),
      store: new StateStore(documentClient(), env('stateTable')),
      repo,
      clock,
      services: scenarioServices(clock),
      loadContent: jobContentLoader(s3Sdk),
      runner: 'fargate',
      onClaimed: (jobId, owner) => (holding = { jobId, owner }),
    });
    await report(true, {
      job_id: r.id,
      status: r.status,
      ...(r.report_ref ? { report_ref: r.report_ref } : {}),
    });
    logger.info('lifecycle job ended', { job_id: r.id, status: r.status });
    return 0;
  } catch (e) {
    const err = e as Error;
    await report(false, undefined, {
      name: err.name?.startsWith('Job.') ? err.name : 'Job.failed',
      message: err.message,
    });
    logger.error('lifecycle job failed', { error: err.name, message: err.message });
    return 1;
  } finally {
    stop.abort();
  }
}
