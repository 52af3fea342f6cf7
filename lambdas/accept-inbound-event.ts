/**
 * CloudEvents from the lab delivery system and graders, over HTTP (POST /v1/events) or from the
 * bus. Allow-listed by source, idempotent by (source, id), turned into commands.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { APIGatewayProxyEventV2, Context, EventBridgeEvent } from 'aws-lambda';
import { httpHandler, route } from '../shared/api/http.ts';
import { inboundContracts } from '../shared/api/contracts/inbound.ts';
import { fromEventBridgeEvent, type CloudEvent } from '../shared/events/cloudevent.ts';
import { applyInbound, assertAllowedSource, type InboundOutcome } from '../shared/inbound/commands.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { documentClient, dynamoClient, perClients } from '../shared/runtime/aws.ts';
import { env } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { bodyLimits } from '../infra/topology.ts';
import { system } from '../infra/system.ts';

const config = new IdempotencyConfig({
  eventKeyJmesPath: '[source, id]',
  expiresAfterSeconds: 7 * 24 * 3600,
});
type Applied = InboundOutcome & { request_id: string };
const applyOnce = perClients(() =>
  makeIdempotent(
    async (ce: CloudEvent, requestId: string): Promise<Applied> => ({
      ...(await applyInbound(ce, new StateStore(documentClient(), env('stateTable')), runtimeClock().now())),
      request_id: requestId,
    }),
    {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: env('stateTable'),
        keyAttr: 'pk',
        sortKeyAttr: 'sk',
        staticPkValue: 'IDEMPOTENCY#inbound-events',
        expiryAttr: 'expires_at',
        awsSdkV3Client: dynamoClient(),
      }),
      config,
      dataIndexArgument: 0,
    },
  ),
);

/** Powertools hands back the first delivery's stored result on a replay: that is a duplicate. */
async function accept(
  ce: CloudEvent,
  context: Context,
): Promise<InboundOutcome | { outcome: 'duplicate'; detail: string }> {
  assertAllowedSource(ce.source);
  config.registerLambdaContext(context);
  const r = await applyOnce()(ce, context.awsRequestId);
  return r.request_id === context.awsRequestId
    ? { outcome: r.outcome, detail: r.detail }
    : { outcome: 'duplicate', detail: r.detail };
}

const maxBodyBytes = bodyLimits(system);

const http = httpHandler(
  [
    route(inboundContracts.postEvent, async (req) => {
      const ce = req.body as CloudEvent;
      return { status: 202, body: await accept(ce, req.context) };
    }),
  ],
  { maxBodyBytes },
);

export async function handler(
  event: APIGatewayProxyEventV2 | EventBridgeEvent<string, unknown>,
  context: Context,
) {
  if ('routeKey' in event) return http(event, context);
  return accept(fromEventBridgeEvent(event), context);
}
