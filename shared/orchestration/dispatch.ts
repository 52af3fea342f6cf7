/**
 * The one reader of the state table's stream (DynamoDB Streams serve two readers per shard
 * well; this product uses one, docs/decisions.md D3).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventsForChange, type ItemImage, treeChangedEvent } from '../events/outbox.ts';
import type { CloudEvent } from '../events/cloudevent.ts';
import { publishCloudEvents } from '../events/publisher.ts';
import { orderedPerKey } from '../events/ordered.ts';
import { sessionIdOfKey, viewKeys } from '../store/keys.ts';
import { StateStore } from '../store/state-store.ts';
import { ViewStore } from '../store/views.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { idempotent } from '../runtime/idempotency.ts';
import { env } from '../runtime/env.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { logger } from '../observability/logger.ts';

const processor = new BatchProcessor(EventType.DynamoDBStreams);

/** Publishes a record's events once per stream record (keyed by its eventID, the first argument). */
const publishOnce = idempotent(
  async (_record: DynamoDBRecord, events: CloudEvent[]): Promise<number> => {
    await publishCloudEvents(events, env('eventBus'));
    return events.length;
  },
  {
    table: 'viewsTable',
    partition: viewKeys.outboxPartition,
    keyPath: 'eventID',
    expiresAfterSeconds: 24 * 3600,
  },
);

function image(raw: Record<string, unknown> | undefined): ItemImage | undefined {
  return raw ? (unmarshall(raw as Record<string, AttributeValue>) as ItemImage) : undefined;
}

/**
 * One batch of the state stream: each record's CloudEvents published once (the stream is the
 * outbox), the views of the touched session trees rebuilt, and one tree_changed per tree on the
 * bus for the reconciler. Answers the batch's item failures (partial batch response).
 */
export async function dispatchStreamBatch(event: DynamoDBStreamEvent, context: Context) {
  const touched = new Map<string, string>();
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
        if (events.length) await publishOnce.call(context, record, events);
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
