/**
 * The stream dispatcher (D233, D234), against mocked DynamoDB and EventBridge: every touched tree's
 * view is projected, and `tree_changed` goes out for the trees with work only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import { dispatchStreamBatch } from '../../../shared/orchestration/dispatch.ts';
import { decide } from '../../../shared/orchestration/decide.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { resetClients } from '../../../shared/runtime/aws.ts';
import { setRuntimeClock } from '../../../shared/runtime/clock.ts';
import { treeToItems } from '../../../shared/store/session-tree.ts';
import { EVENT_TYPES } from '../../../shared/events/types.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import { MIN, SID, T0, tree } from './fixtures.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const bus = mockClient(EventBridgeClient);
const NOW = T0 + 60 * MIN; // the fixture session's start: a pending one has work now
const SETTLED = 'ses_01jsettledsettledsettled00';

/** The tree as stored under another session id. */
function renamed(t: SessionTree, id: string): SessionTree {
  const c = structuredClone(t);
  c.session.id = id;
  return c;
}
const busy = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
const settled = renamed(decide(busy, NOW, 'dev').tree, SETTLED);
const partitions: Record<string, Record<string, unknown>[]> = {
  [`SESSION#${SID}`]: treeToItems(busy),
  [`SESSION#${SETTLED}`]: treeToItems(settled),
};

/** A stream record of a write to the session item that changed nothing it announces. */
function touch(t: SessionTree, n: number): DynamoDBRecord {
  const item = treeToItems(t)[0]!;
  return {
    eventID: `ev-${n}`,
    eventName: 'MODIFY',
    dynamodb: {
      Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
      OldImage: marshall(item, { removeUndefinedValues: true }) as never,
      NewImage: marshall(item, { removeUndefinedValues: true }) as never,
      SequenceNumber: String(n),
    },
  };
}
const treeChanged = () =>
  bus
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .filter((e) => e.DetailType === EVENT_TYPES.treeChanged)
    .map((e) => JSON.parse(e.Detail!).data.session_id);

beforeEach(() => {
  Object.assign(process.env, {
    LCM_STATE_TABLE: 'state',
    LCM_VIEWS_TABLE: 'views',
    LCM_EVENT_BUS: 'bus',
    LCM_STAGE: 'dev',
  });
  resetClients();
  setRuntimeClock(new ManualClock(NOW));
  ddb.reset();
  bus.reset();
  ddb.on(QueryCommand).callsFake(async (input) => ({
    Items: structuredClone(partitions[input.ExpressionAttributeValues[':pk']]),
  }));
  ddb.on(PutCommand).resolves({});
  ddb.on(GetCommand).resolves({});
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
});
afterEach(() => resetClients());

describe('the stream dispatcher', () => {
  it('projects every touched tree and wakes the reconciler for the one with work only', async () => {
    const out = await dispatchStreamBatch({ Records: [touch(busy, 1), touch(settled, 2)] }, {} as Context);
    expect(out).toEqual({ batchItemFailures: [] });
    const views = ddb
      .commandCalls(PutCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.TableName === 'views' && i.Item?.sk === 'TREE')
      .map((i) => i.Item!.pk);
    expect(views.sort()).toEqual([`SESSION#${SID}`, `SESSION#${SETTLED}`].sort());
    expect(treeChanged()).toEqual([SID]);
  });

  it('a batch that leaves every tree without work publishes no tree_changed', async () => {
    await dispatchStreamBatch({ Records: [touch(settled, 3)] }, {} as Context);
    expect(treeChanged()).toEqual([]);
  });
});
