/**
 * Which deployment the end-to-end suite drives. `local` (default): the local runtime this run
 * starts. `localstack`: a `cdklocal deploy` reached through AWS_ENDPOINT_URL, with the API URL
 * from the stack outputs in LCM_API_URL. Only configuration changes between the two.
 */
export type E2eTarget =
  { kind: 'local' } | { kind: 'localstack'; apiUrl: string; awsEndpoint: string; s3Endpoint: string };

export function e2eTarget(env: Record<string, string | undefined>): E2eTarget {
  const kind = env.LCM_E2E_TARGET ?? 'local';
  if (kind === 'local') return { kind: 'local' };
  if (kind !== 'localstack') throw new Error(`LCM_E2E_TARGET must be "local" or "localstack", got "${kind}"`);
  const missing = ['LCM_API_URL', 'AWS_ENDPOINT_URL'].filter((k) => !env[k]);
  if (missing.length)
    throw new Error(
      `LCM_E2E_TARGET=localstack needs ${missing.join(' and ')} (see the README, "Running the end-to-end suite against LocalStack")`,
    );
  return {
    kind: 'localstack',
    apiUrl: env.LCM_API_URL!.replace(/\/$/, ''),
    awsEndpoint: env.AWS_ENDPOINT_URL!,
    // cdklocal requires both; S3 defaults to the same edge when not split.
    s3Endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL!,
  };
}
