/**
 * CloudEvents from the lab delivery system and graders: over HTTP (POST /v1/events) as signed
 * Standard Webhooks, idempotent by webhook id; or from the bus, idempotent by (source, id).
 * Allow-listed by source, turned into commands.
 */
import type { APIGatewayProxyEventV2, Context, EventBridgeEvent } from 'aws-lambda';
import { httpHandler, route } from '../shared/api/http.ts';
import { inboundContracts } from '../shared/api/contracts/inbound.ts';
import { fromEventBridgeEvent, type CloudEvent } from '../shared/events/cloudevent.ts';
import { acceptInbound, acceptWebhook } from '../shared/inbound/commands.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { documentClient } from '../shared/runtime/aws-dynamodb.ts';
import { env } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';

const deps = () => ({
  store: new StateStore(documentClient(), env('stateTable')),
  now: runtimeClock().now(),
});

const http = httpHandler([
  route(inboundContracts.postEvent, async (req) => ({
    status: 202,
    body: await acceptWebhook(
      req.body as CloudEvent,
      { client: req.tenant, headers: req.headers, rawBody: req.rawBody },
      deps(),
      req.context,
    ),
  })),
]);

export async function handler(
  event: APIGatewayProxyEventV2 | EventBridgeEvent<string, unknown>,
  context: Context,
) {
  if ('routeKey' in event) return http(event, context);
  return acceptInbound(fromEventBridgeEvent(event), deps(), context);
}
