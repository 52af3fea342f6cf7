/** Wires the scenario engine's ports from the environment (Lambda, the Fargate task, the local runtime). */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CmlClient, type CmlPort } from '../adapters/cml.ts';
import { TelnetConsole } from '../adapters/console.ts';
import { S3Documents } from '../content/adapters.ts';
import { iso, type Clock } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import { deadlineFor, sleeperFor } from '../domain/sleep.ts';
import { documentClient, s3Client } from '../runtime/aws.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env } from '../runtime/env.ts';
import { keys } from '../store/keys.ts';
import { StateStore, type StoredItem } from '../store/state-store.ts';
import { jobContentFromDocument, type PodDefinitionDocument } from './content.ts';
import type { ReportStore, ScenarioServices } from './functions.ts';
import type { JobContent, JobRecord } from './jobs.ts';
import { JobRepository } from './jobs.ts';

export class S3Reports implements ReportStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}
  async put(jobId: string, stepId: string, report: object): Promise<string> {
    const key = `reports/${jobId}/${stepId}.json`;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(report),
        ContentType: 'application/json',
      }),
    );
    return `s3://${this.bucket}/${key}`;
  }
}

/** The CML API of a pod's worker: `runtime_env.worker.cml_url` (or its address) and `runtime_env.cml` credentials. */
export function cmlFromRuntimeEnv(runtimeEnv: Record<string, unknown>): CmlPort {
  const worker = (runtimeEnv.worker ?? {}) as { address?: string; cml_url?: string };
  const creds = (runtimeEnv.cml ?? {}) as { username?: string; password?: string };
  const baseUrl = worker.cml_url ?? (worker.address ? `https://${worker.address}` : undefined);
  if (!baseUrl) throw new Problem('validation-error', 'runtime_env.worker has no cml_url or address');
  if (!creds.username || !creds.password)
    throw new Problem('unauthorized', 'runtime_env.cml has no username and password for the CML API');
  return new CmlClient({ baseUrl, username: creds.username, password: creds.password });
}

export function scenarioServices(clock: Clock = runtimeClock()): ScenarioServices {
  return {
    console: new TelnetConsole(),
    cml: cmlFromRuntimeEnv,
    reports: new S3Reports(s3Client(), env('artefactsBucket')),
    sleep: sleeperFor(clock),
    // Under an accelerated local clock a device still needs real time to answer.
    deadline: deadlineFor(clock, 5_000),
    now: () => iso(clock.now()),
  };
}

export function jobRepository(clock: Clock = runtimeClock()): JobRepository {
  return new JobRepository(new StateStore(documentClient(), env('stateTable')), clock);
}

/** Reads the job's definition and content from its pod definition's stored document. */
export async function loadJobContent(r: JobRecord, extra: { form_fqn?: string } = {}): Promise<JobContent> {
  const store = new StateStore(documentClient(), env('stateTable'));
  const pd = await store.get<StoredItem & { document_ref?: string; status: string }>(
    keys.podDefinition(r.pod_definition_id),
  );
  if (!pd?.document_ref) throw new Problem('not-found', `no synced pod definition ${r.pod_definition_id}`);
  const doc = (await new S3Documents(s3Client(), env('contentBucket')).get(
    pd.document_ref,
  )) as unknown as PodDefinitionDocument;
  return jobContentFromDocument(doc, r.job, extra);
}
