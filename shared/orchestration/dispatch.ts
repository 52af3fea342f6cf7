/**
 * The one reader of the state table's stream (DynamoDB Streams serve two readers per shard
 * well; this product uses one, docs/decisions.md D3).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventsForChange, type ItemImage, treeChangedEvent } from '../events/outbox.ts';
import { publishCloudEvents } from '../events/publisher.ts';
import { orderedPerKey } from '../events/ordered.ts';
import { keys, sessionIdOfKey } from '../store/keys.ts';
import { StateStore, type StoredItem } from '../store/state-store.ts';
import { itemsToTree } from '../store/session-tree.ts';
import { hasWork } from './has-work.ts';
import { ViewStore } from '../store/views.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { OutboxMarks } from '../store/outbox-marks.ts';
import { env } from '../runtime/env.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { logger } from '../observability/logger.ts';

const processor = new BatchProcessor(EventType.DynamoDBStreams);

/**
 * Whether a changed tree needs the reconciler (D233): only when deciding on it, as it was read
 * after the change, would write or command something. Most changes are the reconciler's own
 * writes or steps' progress it has nothing to add to; it is woken for the others, and the clock's
 * tick looks at every active tree anyway. A tree that cannot be decided on wakes it (it reports why).
 */
export function wakesReconciler(items: StoredItem[], now: number, stage: string): boolean {
  const tree = itemsToTree(items);
  if (!tree) return false;
  try {
    return hasWork(tree, now, stage);
  } catch (e) {
    logger.warn('could not decide on a changed tree; waking the reconciler', {
      session_id: tree.session.id,
      error_message: e instanceof Error ? e.message : String(e),
    });
    return true;
  }
}

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
  const marks = new OutboxMarks(documentClient(), env('viewsTable'));
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
        // Only records that announce something are marked, once published (D234).
        if (events.length)
          await marks.once(
            record.eventID ?? `${pk}#${record.dynamodb?.SequenceNumber}`,
            runtimeClock().now(),
            () => publishCloudEvents(events, env('eventBus')),
          );
      });
    },
    processor,
    { context, processInParallel: true },
  );
  if (touched.size) {
    const state = new StateStore(documentClient(), env('stateTable'));
    const views = new ViewStore(documentClient(), env('viewsTable'));
    const now = runtimeClock().now();
    const time = new Date(now).toISOString();
    const trees = await Promise.all(
      [...touched.entries()].map(async ([id, seq]) => {
        const items = await state.queryPartition<StoredItem>(keys.sessionPartition(id));
        const projected = await views.projectItems(id, items);
        return { id, seq, projected, wake: wakesReconciler(items, now, env('stage')) };
      }),
    );
    const nudges = trees.filter((t) => t.wake);
    if (nudges.length)
      await publishCloudEvents(
        nudges.map((t) => treeChangedEvent(t.id, t.seq, time)),
        env('eventBus'),
      );
    logger.debug('dispatched', {
      records: event.Records.length,
      sessions: touched.size,
      nudged: nudges.length,
      projected: trees.map((t) => t.projected),
    });
  }
  return result;
}
