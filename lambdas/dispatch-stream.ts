/**
 * The one reader of the state table's stream (DynamoDB Streams serve two readers per shard
 * well; this product uses one). For each batch it: publishes the CloudEvents each change
 * announces (the stream is the outbox; idempotent per stream record), rebuilds the views of the
 * session trees the batch touched, and tells the reconciler which trees changed, over the bus.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventsForChange, type ItemImage, treeChangedEvent } from '../shared/events/outbox.ts';
import type { CloudEvent } from '../shared/events/cloudevent.ts';
import { publishCloudEvents } from '../shared/events/publisher.ts';
import { orderedPerKey } from '../shared/events/ordered.ts';
import { sessionIdOfKey } from '../shared/store/keys.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { ViewStore } from '../shared/store/views.ts';
import { documentClient, dynamoClient, perClients } from '../shared/runtime/aws.ts';
import { env } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { logger } from '../shared/observability/logger.ts';

const processor = new BatchProcessor(EventType.DynamoDBStreams);

const idempotency = new IdempotencyConfig({ eventKeyJmesPath: 'eventID', expiresAfterSeconds: 24 * 3600 });

/** Publishes a record's events once per stream record (keyed by its eventID, the first argument). */
const publishOnce = perClients(() =>
  makeIdempotent(
    async (_record: DynamoDBRecord, events: CloudEvent[]): Promise<number> => {
      await publishCloudEvents(events, env('eventBus'));
      return events.length;
    },
    {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: env('viewsTable'),
        keyAttr: 'pk',
        sortKeyAttr: 'sk',
        staticPkValue: 'OUTBOX',
        expiryAttr: 'expires_at',
        awsSdkV3Client: dynamoClient(),
      }),
      config: idempotency,
      dataIndexArgument: 0,
    },
  ),
);

function image(raw: Record<string, unknown> | undefined): ItemImage | undefined {
  return raw ? (unmarshall(raw as Record<string, AttributeValue>) as ItemImage) : undefined;
}

export async function handler(event: DynamoDBStreamEvent, context: Context) {
  idempotency.registerLambdaContext(context);
  const touched = new Map<string, string>();
  const publish = publishOnce();
  // Trees at once, each tree's records in order (D30).
  const inOrder = orderedPerKey();
  const result = await processPartialResponse(
    event,
    (record: DynamoDBRecord) => {
      const pk = record.dynamodb?.Keys?.pk?.S;
      const sessionId = pk ? sessionIdOfKey(pk) : undefined;
      if (sessionId) touched.set(sessionId, record.dynamodb?.SequenceNumber ?? record.eventID ?? '');
      return inOrder(pk ?? '', async () => {
        const events = eventsForChange({
          eventName: record.eventName as 'INSERT' | 'MODIFY' | 'REMOVE',
          oldImage: image(record.dynamodb?.OldImage),
          newImage: image(record.dynamodb?.NewImage),
        });
        // Only records that announce something go through the idempotency record (one write each).
        if (events.length) await publish(record, events);
      });
    },
    processor,
    { context, processInParallel: true },
  );
  if (touched.size) {
    const state = new StateStore(documentClient(), env('stateTable'));
    const views = new ViewStore(documentClient(), env('viewsTable'));
    const time = new Date(runtimeClock().now()).toISOString();
    const projected = await Promise.all([...touched.keys()].map((id) => views.projectSessionTree(state, id)));
    await publishCloudEvents(
      [...touched.entries()].map(([id, seq]) => treeChangedEvent(id, seq, time)),
      env('eventBus'),
    );
    logger.debug('dispatched', { records: event.Records.length, sessions: touched.size, projected });
  }
  return result;
}
