/**
 * Issue 17: the local runtime's bill counters. The DynamoDB meter sums the capacity DynamoDB Local
 * reports per table (GSI units apart, a transaction's items per table); an EventBridge entry is
 * billed per started 64 KB chunk and AWS service events are free.
 */
import { describe, expect, it } from 'vitest';
import { addConsumed, emptyMeterCounts } from '../../../infra/local/dynamodb-meter.ts';
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
