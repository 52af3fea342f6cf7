/**
 * The one reader of the state table's stream (DynamoDB Streams serve two readers per shard
 * well; this product uses one). For each batch it: publishes the CloudEvents each change
 * announces (the stream is the outbox; idempotent per stream record), rebuilds the views of the
 * session trees the batch touched, and tells the reconciler which trees changed, over the bus.
 */
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { dispatchStreamBatch } from '../shared/orchestration/dispatch.ts';

export const handler = (event: DynamoDBStreamEvent, context: Context) => dispatchStreamBatch(event, context);
