/**
 * What the job runner needs of the scenario service (Lambda and the Fargate task): the job
 * repository and a job's content from its pod definition's document. In a module of their own
 * (D228): the jobs API's service (`service.ts`, which re-exports them) wraps its submit in
 * Powertools idempotency at import, and the runner, which never submits, loaded it for these two.
 * The content's S3 is passed in (D240): the runner bundles the commands it sends, and the jobs API,
 * which imports this module for the repository, does not load S3 at all.
 */
import { podDefinitionDocument } from '../content/pod-definitions.ts';
import type { Clock } from '../domain/clock.ts';
import type { S3Source } from '../runtime/aws.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env } from '../runtime/env.ts';
import { StateStore } from '../store/state-store.ts';
import { jobContentFromDocument, type PodDefinitionDocument } from './content.ts';
import { JobRepository, type JobContent, type JobRecord } from './jobs.ts';

export function jobRepository(clock: Clock = runtimeClock()): JobRepository {
  return new JobRepository(new StateStore(documentClient(), env('stateTable')), clock);
}

/** Reads the job's definition and content from its pod definition's stored document (in S3 from `s3`). */
export function jobContentLoader(s3: S3Source) {
  return async (r: JobRecord, extra: { form_fqn?: string } = {}): Promise<JobContent> => {
    const doc = (await podDefinitionDocument(r.pod_definition_id, s3)) as unknown as PodDefinitionDocument;
    return jobContentFromDocument(doc, r.job, extra);
  };
}
