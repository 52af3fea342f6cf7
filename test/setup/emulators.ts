/**
 * Integration suites: one DynamoDB Local and one s3rver for the whole run, reached through the
 * SDK's standard endpoint variables (the test code never names an endpoint). When
 * AWS_ENDPOINT_URL is already set (a LocalStack run), nothing is started.
 *
 * The endpoints are handed to the test workers (test/setup/integration-env.ts), not written into
 * this process's environment: the e2e project's local runtime runs in this same process and must
 * keep its own endpoints, whichever global setup happens to run last.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { startS3Local } from '../../infra/local/s3-local.ts';

export default async function setup(project: TestProject) {
  if (process.env.AWS_ENDPOINT_URL) {
    project.provide('integrationEnv', {});
    return;
  }
  const [ddb, s3] = await Promise.all([startDynamoDbLocal(), startS3Local({ buckets: [] })]);
  project.provide('integrationEnv', {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: ddb.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  return async () => {
    await Promise.all([ddb.stop(), s3.stop()]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The integration emulators' SDK environment (empty against LocalStack). */
    integrationEnv: Record<string, string>;
  }
}
