/**
 * The job runner as a Fargate task, for long CML work (`runtime: fargate` in lifecycle.yaml).
 * Started by `ecs:runTask.waitForTaskToken` with the task token and the job's references in its
 * environment; it heartbeats while it works and ends with SendTaskSuccess / SendTaskFailure. If
 * the task dies, the heartbeat stops and the state machine fails the step on HeartbeatSeconds,
 * never hangs. SIGTERM (ECS stopping the task) reports a failure before exiting. Locally, the
 * same module runs as a child process.
 */
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { runLifecycleJob, type LifecycleJobPayload } from '../shared/scenario/lifecycle.ts';
import { jobRepository, loadJobContent, scenarioServices } from '../shared/scenario/service.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { documentClient, sfnClient } from '../shared/runtime/aws.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { sleeperFor } from '../shared/domain/sleep.ts';
import { env } from '../shared/runtime/env.ts';
import { logger } from '../shared/observability/logger.ts';

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

export function payloadFromEnv(e: NodeJS.ProcessEnv = process.env): LifecycleJobPayload {
  return {
    job: need('LCM_JOB'),
    ...(e.LCM_PROCESS_TYPE ? { process_type: e.LCM_PROCESS_TYPE } : {}),
    ...(e.LCM_RUBRIC ? { rubric: e.LCM_RUBRIC } : {}),
    ...(e.LCM_REPORT ? { report: e.LCM_REPORT } : {}),
    session_id: need('LCM_SESSION_ID'),
    part_order: Number(need('LCM_PART_ORDER')),
    phase: need('LCM_PHASE'),
    attempt: Number(e.LCM_ATTEMPT ?? 1),
    pod_definition_id:
      e.LCM_POD_DEFINITION_ID && e.LCM_POD_DEFINITION_ID !== 'null' ? e.LCM_POD_DEFINITION_ID : null,
  };
}

export async function main(): Promise<number> {
  const taskToken = need('LCM_TASK_TOKEN');
  const sfn = sfnClient();
  const clock = runtimeClock();
  // Three beats per HeartbeatSeconds, in the clock's time (accelerated locally).
  const heartbeatMs = (Number(process.env.LCM_HEARTBEAT_SECONDS ?? 60) * 1000) / 3;
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
  process.once('SIGTERM', () => {
    void report(false, undefined, { name: 'Job.stopped', message: 'the task was stopped' }).finally(() =>
      process.exit(143),
    );
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
      payload: payloadFromEnv(),
      store: new StateStore(documentClient(), env('stateTable')),
      repo: jobRepository(clock),
      clock,
      services: scenarioServices(clock),
      loadContent: loadJobContent,
      runner: 'fargate',
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

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isEntry)
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      logger.error('job task crashed', { error: String(e) });
      process.exit(1);
    },
  );
