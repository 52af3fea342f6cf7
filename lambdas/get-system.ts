/** GET /v1/health (shallow), GET /v1/health/deep (operator) and GET /v1/openapi.json. */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { httpHandler, route } from '../shared/api/http.ts';
import { systemContracts } from '../shared/api/contracts/system.ts';
import { allContracts } from '../shared/api/contracts/index.ts';
import { buildOpenApi } from '../shared/api/openapi.ts';
import { dynamoClient } from '../shared/runtime/aws-dynamodb.ts';
import { eventBridgeClient } from '../shared/runtime/aws-eventbridge.ts';
import { s3Client } from '../shared/runtime/aws-s3.ts';
import { sfnClient } from '../shared/runtime/aws-sfn.ts';
import { env } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import pkg from '../package.json' with { type: 'json' };

/** One document per host it is served on (its `servers` names that host). */
const openApi = new Map<string, Record<string, unknown>>();

async function probe(
  check: () => Promise<unknown>,
): Promise<{ status: 'ok' | 'down'; latency_ms: number; detail?: string }> {
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

export const handler = httpHandler([
  // Anyone may call it: it calls nothing behind the API.
  route(systemContracts.health, async () => ({
    status: 200,
    body: { status: 'ok', time: new Date(runtimeClock().now()).toISOString(), version: pkg.version },
  })),
  route(systemContracts.healthDeep, async () => {
    const entries = await Promise.all(
      [
        [
          'state_table',
          () => dynamoClient().send(new DescribeTableCommand({ TableName: env('stateTable') })),
        ],
        [
          'views_table',
          () => dynamoClient().send(new DescribeTableCommand({ TableName: env('viewsTable') })),
        ],
        ['content_bucket', () => s3Client().send(new HeadBucketCommand({ Bucket: env('contentBucket') }))],
        [
          'artefacts_bucket',
          () => s3Client().send(new HeadBucketCommand({ Bucket: env('artefactsBucket') })),
        ],
        ['event_bus', () => eventBridgeClient().send(new DescribeEventBusCommand({ Name: env('eventBus') }))],
        ['step_functions', () => sfnClient().send(new ListStateMachinesCommand({ maxResults: 1 }))],
      ].map(async ([name, check]) => [name, await probe(check as () => Promise<unknown>)] as const),
    );
    const components = Object.fromEntries(entries);
    const ok = entries.every(([, c]) => c.status === 'ok');
    return {
      status: ok ? 200 : 503,
      body: {
        status: ok ? 'ok' : 'degraded',
        time: new Date(runtimeClock().now()).toISOString(),
        components,
      },
    };
  }),
  route(systemContracts.openapi, async (req) => {
    const host = req.headers.host ?? '';
    const proto = req.headers['x-forwarded-proto'] ?? (/^(127\.|localhost)/.test(host) ? 'http' : 'https');
    const serverUrl = /^[A-Za-z0-9.:-]{1,253}$/.test(host)
      ? `${proto === 'http' ? 'http' : 'https'}://${host}`
      : undefined;
    let doc = openApi.get(serverUrl ?? '');
    if (!doc) {
      doc = buildOpenApi({
        contracts: allContracts,
        version: pkg.version,
        ...(serverUrl ? { serverUrl } : {}),
      });
      if (openApi.size < 16) openApi.set(serverUrl ?? '', doc);
    }
    return { status: 200, body: doc };
  }),
]);
