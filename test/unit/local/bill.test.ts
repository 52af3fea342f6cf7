/**
 * Issue 17: the local runtime's bill counters. The DynamoDB meter sums the capacity DynamoDB Local
 * reports per table (GSI units apart, a transaction's items per table); an EventBridge entry is
 * billed per started 64 KB chunk and AWS service events are free.
 */
import { describe, expect, it } from 'vitest';
import { addConsumed, emptyMeterCounts, itemBytes, valueBytes } from '../../../infra/local/dynamodb-meter.ts';
import { entrySize } from '../../../infra/local/event-bus.ts';
import { price } from '../../bench/prices.ts';

describe('the DynamoDB meter', () => {
  it('sums write units per table and on indexes, counts a transaction’s items per table', () => {
    const c = emptyMeterCounts();
    addConsumed(
      c,
      'PutItem',
      { TableName: 'state', Item: {} },
      {
        ConsumedCapacity: {
          TableName: 'state',
          CapacityUnits: 6,
          GlobalSecondaryIndexes: { gsi1: { CapacityUnits: 3 } },
        },
      },
    );
    addConsumed(
      c,
      'TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 'state' } },
          { Update: { TableName: 'views' } },
          { ConditionCheck: { TableName: 'state' } },
        ],
      },
      {
        ConsumedCapacity: [
          { TableName: 'state', CapacityUnits: 4 },
          { TableName: 'views', CapacityUnits: 2 },
        ],
      },
    );
    addConsumed(
      c,
      'Query',
      { TableName: 'views' },
      { ConsumedCapacity: { TableName: 'views', CapacityUnits: 0.5 } },
    );
    expect(c.writeRequests).toBe(2);
    expect(c.transactions).toBe(1);
    expect(c.itemWrites).toBe(3);
    expect(c.itemWritesByTable).toEqual({ state: 2, views: 1 });
    expect(c.writeUnits).toEqual({ state: 10, views: 2 });
    expect(c.indexWriteUnits).toEqual({ state: 3, views: 0 });
    expect(c.readRequests).toBe(1);
    expect(c.readUnits).toEqual({ views: 0.5 });
    expect(c.operations).toEqual({ PutItem: 1, TransactWriteItems: 1, Query: 1 });
  });
});

describe('an item’s size, as DynamoDB bills it', () => {
  it('sizes each type by the published rules', () => {
    expect(valueBytes({ S: 'héllo' })).toBe(6);
    expect(valueBytes({ N: '12345' })).toBe(4); // 5 significant digits: 3 bytes + 1
    expect(valueBytes({ N: '-0.00120' })).toBe(2); // leading and trailing zeroes trimmed
    expect(valueBytes({ B: Buffer.from([1, 2, 3]).toString('base64') })).toBe(3);
    expect(valueBytes({ B: new Uint8Array(5) })).toBe(5); // marshalled in-process: bytes, not base64
    expect(valueBytes({ BOOL: true })).toBe(1);
    expect(valueBytes({ NULL: true })).toBe(1);
    expect(valueBytes({ L: [] })).toBe(3);
    expect(valueBytes({ L: [{ S: 'ab' }, { N: '7' }] })).toBe(3 + 1 + 2 + 1 + 2);
    expect(valueBytes({ M: { to: { S: 'ready' } } })).toBe(3 + 1 + 2 + 5);
    expect(valueBytes({ SS: ['a', 'bc'] })).toBe(3);
    expect(itemBytes({ pk: { S: 'SESSION#x' }, n: { N: '1' } })).toBe(2 + 9 + 1 + 2);
  });

  it('counts whole items written per kind, and their heaviest attributes', () => {
    const c = emptyMeterCounts();
    const part = {
      pk: { S: 'SESSION#a' },
      sk: { S: 'PART#1' },
      entity: { S: 'part' },
      h: { S: 'x'.repeat(100) },
    };
    addConsumed(c, 'PutItem', { TableName: 'state', Item: part }, {});
    addConsumed(
      c,
      'TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 'state', Item: part } },
          { Put: { TableName: 'views', Item: { pk: { S: 'MARK#1' }, sk: { S: 'r' } } } },
          { Update: { TableName: 'state', Key: {} } },
        ],
      },
      {},
    );
    addConsumed(c, 'UpdateItem', { TableName: 'state', Key: part }, {});
    expect(c.itemsByKind).toEqual({ 'state/part': 2, 'views/MARK': 1 });
    expect(c.itemBytesByKind['state/part']).toBe(2 * itemBytes(part));
    expect(c.attributeBytes['state/part.h']).toBe(2 * 101);
    expect(c.itemBytesByKind['views/MARK']).toBe(2 + 6 + 2 + 1);
  });
});

describe('an EventBridge entry’s size', () => {
  it('counts source, detail-type, detail, resources and 14 bytes of time', () => {
    const e = { source: 'lcm', 'detail-type': 'x.v1', detail: { a: 'é' }, resources: ['arn:1'] };
    expect(entrySize(e)).toBe(14 + 3 + 4 + Buffer.byteLength('{"a":"é"}') + 5);
  });
});

describe('the price of a session', () => {
  it('adds each service at its list price', () => {
    const p = price({
      sfnTransitions: 1000,
      lambdaInvocations: 1e6,
      lambdaGbSeconds: 0,
      writeUnits: 1e6,
      eventChunks: 1e6,
      taskVcpuSeconds: 3600,
      taskGbSeconds: 0,
    });
    expect(p.stepFunctions).toBeCloseTo(0.025);
    expect(p.lambdaRequests).toBeCloseTo(0.2);
    expect(p.dynamodbWrites).toBeCloseTo(0.625);
    expect(p.eventBridge).toBeCloseTo(1);
    expect(p.fargate).toBeCloseTo(0.03238);
    expect(p.total).toBeCloseTo(0.025 + 0.2 + 0.625 + 1 + 0.03238);
  });
});
