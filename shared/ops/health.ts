/**
 * The deep health check (`GET /v1/health/deep`, operator scope): one cheap control-plane call to
 * each dependency. Its SDK packages are imported on the first deep check, not when the module
 * loads: the system function's other routes (the public shallow health check, the OpenAPI
 * document) call nothing behind the API, and a static import would put four SDK clients in its
 * cold start (D185). The clients are kept per function identity like every other (`perClients`).
 */
import { perClients, s3Options } from '../runtime/aws.ts';
import { env } from '../runtime/env.ts';

export interface ComponentHealth {
  status: 'ok' | 'down';
  latency_ms: number;
  detail?: string;
}

const sdk = perClients(async () => {
  const [ddb, s3, eb, sfn] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/client-eventbridge'),
    import('@aws-sdk/client-sfn'),
  ]);
  return {
    ddb,
    s3,
    eb,
    sfn,
    dynamo: new ddb.DynamoDBClient({ maxAttempts: 5 }),
    s3Client: new s3.S3Client(s3Options()),
    events: new eb.EventBridgeClient({ maxAttempts: 5 }),
    stepFunctions: new sfn.SFNClient({ maxAttempts: 5 }),
  };
});

async function probe(check: () => Promise<unknown>): Promise<ComponentHealth> {
  const t0 = performance.now();
  try {
    await check();
    return { status: 'ok', latency_ms: Math.round(performance.now() - t0) };
  } catch (e) {
    return {
      status: 'down',
      latency_ms: Math.round(performance.now() - t0),
      detail: (e as Error).name || String(e),
    };
  }
}

/** Each dependency's health, in a fixed order. */
export async function checkDependencies(): Promise<[string, ComponentHealth][]> {
  const c = await sdk();
  const checks: [string, () => Promise<unknown>][] = [
    ['state_table', () => c.dynamo.send(new c.ddb.DescribeTableCommand({ TableName: env('stateTable') }))],
    ['views_table', () => c.dynamo.send(new c.ddb.DescribeTableCommand({ TableName: env('viewsTable') }))],
    ['content_bucket', () => c.s3Client.send(new c.s3.HeadBucketCommand({ Bucket: env('contentBucket') }))],
    [
      'artefacts_bucket',
      () => c.s3Client.send(new c.s3.HeadBucketCommand({ Bucket: env('artefactsBucket') })),
    ],
    ['event_bus', () => c.events.send(new c.eb.DescribeEventBusCommand({ Name: env('eventBus') }))],
    ['step_functions', () => c.stepFunctions.send(new c.sfn.ListStateMachinesCommand({ maxResults: 1 }))],
  ];
  return Promise.all(
    checks.map(async ([name, check]) => [name, await probe(check)] as [string, ComponentHealth]),
  );
}
