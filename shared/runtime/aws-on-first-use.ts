/**
 * SDK clients whose package is imported on first use (`import()`), for handlers that call the
 * service on some invocations only (D181's one module per client loads it at cold start; D185,
 * D187, D188). Built with `perClients` like every client, with the same options as their
 * modules; each answers a promise of the client. A bundle keeps a dynamic `import()` of the
 * (external) SDK package as one, so the package loads when first called. S3's is in
 * `aws-s3-on-first-use.ts` (D240): the job runner reaches this module (Secrets Manager) and
 * bundles S3, and a dynamic import of a bundled package keeps all of it.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ECS_OPTIONS, LAMBDA_OPTIONS, perClients, SECRETS_OPTIONS } from './aws.ts';

export const ecsClientOnFirstUse: () => Promise<ECSClient> = perClients(
  async () => new (await import('@aws-sdk/client-ecs')).ECSClient(ECS_OPTIONS),
);
export const lambdaClientOnFirstUse: () => Promise<LambdaClient> = perClients(
  async () => new (await import('@aws-sdk/client-lambda')).LambdaClient(LAMBDA_OPTIONS),
);
export const secretsClientOnFirstUse: () => Promise<SecretsManagerClient> = perClients(
  async () => new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient(SECRETS_OPTIONS),
);

/**
 * Invokes a function asynchronously (`Event`) with a JSON payload; Lambda and its client load on
 * the first call. Lambda's own retries and the function's dead-letter destination take it from
 * there.
 */
export async function invokeEvent(functionName: string, payload: unknown): Promise<void> {
  const [client, { InvokeCommand }] = await Promise.all([
    lambdaClientOnFirstUse(),
    import('@aws-sdk/client-lambda'),
  ]);
  await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
}
