/**
 * The job runner in Lambda, for short jobs. Two callers:
 *  - the jobs API, asynchronously: `{job_id}` (the stored job is run with its stored input; the
 *    credentials its connectors name are resolved by the adapter, never sent);
 *  - a part phase's state machine (lambda:invoke): the lifecycle payload of references.
 * A failed or cancelled lifecycle job throws `Job.<kind>`, so the phase's Retry/Catch applies.
 */
import type { Context } from 'aws-lambda';
import { executeJob } from '../shared/scenario/jobs.ts';
import { runLifecycleJob, type LifecycleJobPayload } from '../shared/scenario/lifecycle.ts';
import { jobContentLoader, jobRepository } from '../shared/scenario/job-store.ts';
import { scenarioServices } from '../shared/scenario/run-services.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { documentClient } from '../shared/runtime/aws-dynamodb.ts';
import { s3Sdk } from '../shared/runtime/aws-s3.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { env } from '../shared/runtime/env.ts';
import { logger } from '../shared/observability/logger.ts';

export type RunJobEvent = { job_id: string } | LifecycleJobPayload;

export async function handler(event: RunJobEvent, _context?: Context) {
  const clock = runtimeClock();
  const repo = jobRepository(clock);
  const services = scenarioServices(clock);
  // Every run reads its pod definition's document: S3's commands are bundled (D240).
  const loadJobContent = jobContentLoader(s3Sdk);
  if ('job_id' in event) {
    const r = await executeJob({
      repo,
      jobId: event.job_id,
      clock,
      loadContent: (rec) => loadJobContent(rec),
      services,
      by: 'job-runner:lambda',
    });
    logger.info('job ended', { job_id: r.id, job: r.job, status: r.status, error: r.error?.kind });
    return { job_id: r.id, status: r.status };
  }
  const r = await runLifecycleJob({
    payload: event,
    store: new StateStore(documentClient(), env('stateTable')),
    repo,
    clock,
    services,
    loadContent: loadJobContent,
    runner: 'lambda',
  });
  logger.info('lifecycle job ended', {
    job_id: r.id,
    job: r.job,
    status: r.status,
    session_id: event.session_id,
  });
  return { job_id: r.id, status: r.status, ...(r.report_ref ? { report_ref: r.report_ref } : {}) };
}
