/**
 * The outbox's marks (D234): a stream record's events are published unless it is marked, and
 * marked after them with one conditional write.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { OUTBOX_MARK_SECONDS, OutboxMarks } from '../../../shared/store/outbox-marks.ts';

const doc = mockClient(DynamoDBDocumentClient);
const marks = () => new OutboxMarks(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'views');
const NOW = Date.parse('2026-12-03T10:00:00.000Z');

beforeEach(() => doc.reset());

describe('the outbox marks a stream record once its events are out', () => {
  it('an unmarked record: read consistently, published, then marked on condition, with its expiry', async () => {
    const order: string[] = [];
    doc.on(GetCommand).callsFake(async () => (order.push('read'), {}));
    doc.on(PutCommand).callsFake(async () => (order.push('mark'), {}));
    const published = await marks().once('rec-1', NOW, async () => void order.push('publish'));
    expect(published).toBe(true);
    expect(order).toEqual(['read', 'publish', 'mark']);
    expect(doc.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({
      TableName: 'views',
      Key: { pk: 'OUTBOX', sk: 'rec-1' },
      ConsistentRead: true,
    });
    expect(doc.commandCalls(PutCommand)[0]!.args[0].input).toEqual({
      TableName: 'views',
      Item: { pk: 'OUTBOX', sk: 'rec-1', expires_at: NOW / 1000 + OUTBOX_MARK_SECONDS },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(OUTBOX_MARK_SECONDS).toBe(86_400);
  });

  it('a marked record (delivered again) publishes nothing and writes nothing', async () => {
    doc.on(GetCommand).resolves({ Item: { pk: 'OUTBOX' } });
    let published = 0;
    expect(await marks().once('rec-1', NOW, async () => void published++)).toBe(false);
    expect(published).toBe(0);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('a publish that fails leaves the record unmarked, and the failure reaches the batch (the record is retried)', async () => {
    doc.on(GetCommand).resolves({});
    await expect(
      marks().once('rec-1', NOW, async () => {
        throw new Error('bus throttled');
      }),
    ).rejects.toThrow('bus throttled');
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('a mark written meanwhile is not an error; any other failure of the mark is', async () => {
    doc.on(GetCommand).resolves({});
    doc
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }))
      .rejectsOnce(new Error('throttled'));
    expect(await marks().once('rec-1', NOW, async () => undefined)).toBe(true);
    await expect(marks().once('rec-2', NOW, async () => undefined)).rejects.toThrow('throttled');
  });
});
