/**
 * The outbox's marks (D234): one item per stream record whose events were published, in the
 * views table's `OUTBOX` partition, expiring through its TTL attribute. A record's events are
 * published when it has no mark (read consistently), and the mark is written after them, on
 * condition that it does not exist yet: one write per announcing record, where Powertools'
 * idempotency wrote two (in progress, then completed).
 *
 * What the in-progress record guarded against, two deliveries of one record at the same time,
 * Lambda does not make for a DynamoDB stream (one batch at a time per shard; a record is
 * retried only after its batch answered). A runner that dies between the publish and the mark
 * publishes the record's events again on the retry: the same events with the same ids
 * (at least once, as EventBridge delivers anyway).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { viewKeys } from './keys.ts';

/** How long a mark is kept: a stream keeps its records for 24 hours. */
export const OUTBOX_MARK_SECONDS = 24 * 3600;

export class OutboxMarks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Publishes through `publish` unless the record is marked, then marks it; answers whether it published. */
  async once(recordId: string, nowMs: number, publish: () => Promise<void>): Promise<boolean> {
    const Key = { pk: viewKeys.outboxPartition, sk: recordId };
    const seen = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true, ProjectionExpression: 'pk' }),
    );
    if (seen.Item) return false;
    await publish();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...Key, expires_at: Math.floor(nowMs / 1000) + OUTBOX_MARK_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      // Marked meanwhile: the events are out, which is all the mark says.
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
    return true;
  }
}
