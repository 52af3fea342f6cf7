/**
 * The views listings (D229): the indexes hold keys and the filtered attributes only, so a page is
 * the index's keys, then the trees read from the table as they are now.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { packTree, TREE_ATTRIBUTE, ViewStore } from '../../../shared/store/views.ts';
import { viewKeys } from '../../../shared/store/keys.ts';

const doc = mockClient(DynamoDBDocumentClient);
const views = () => new ViewStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'views');

const indexKey = (id: string, status: string) => ({
  ...viewKeys.sessionTree(id),
  status_key: viewKeys.byStatus(status),
  time_key: `2026-12-01T09:00:00Z#${id}`,
});
/** A view item as the table holds it (D235: the tree compressed). */
const tree = (id: string, status: string, version = 3) => ({
  ...viewKeys.sessionTree(id),
  [TREE_ATTRIBUTE]: packTree({ session: { id, status } as never, parts: [], pods: [] }),
  tree_version: version,
  status_key: viewKeys.byStatus(status),
});

beforeEach(() => doc.reset());

describe('a listing page', () => {
  it('answers the trees of the index page in its order, read from the table', async () => {
    doc.on(QueryCommand).resolves({ Items: [indexKey('b', 'running'), indexKey('a', 'running')] });
    doc
      .on(BatchGetCommand)
      .resolves({ Responses: { views: [tree('a', 'running', 7), tree('b', 'running')] } });
    const page = await views().listSessions({
      index: 'by_status',
      partition: viewKeys.byStatus('running'),
      limit: 2,
    });
    expect(page.items.map((t) => [t.session.id, t.tree_version])).toEqual([
      ['b', 3],
      ['a', 7],
    ]);
    const get = doc.commandCalls(BatchGetCommand)[0]!.args[0].input;
    expect(get.RequestItems?.views?.Keys).toEqual([viewKeys.sessionTree('b'), viewKeys.sessionTree('a')]);
    expect(get.RequestItems?.views?.ExpressionAttributeNames).toMatchObject({ '#t': TREE_ATTRIBUTE });
  });

  it('reads a view written before the tree was compressed (its session, parts and pods as attributes)', async () => {
    doc.on(QueryCommand).resolves({ Items: [indexKey('old', 'running'), indexKey('new', 'running')] });
    const legacy = {
      ...viewKeys.sessionTree('old'),
      session: { id: 'old', status: 'running' },
      parts: [{ order: 1, status: 'active' }],
      pods: [],
      tree_version: 4,
      status_key: viewKeys.byStatus('running'),
    };
    doc.on(BatchGetCommand).resolves({ Responses: { views: [legacy, tree('new', 'running', 9)] } });
    const page = await views().listSessions({
      index: 'by_status',
      partition: viewKeys.byStatus('running'),
      limit: 2,
    });
    expect(page.items).toEqual([
      {
        session: { id: 'old', status: 'running' },
        parts: [{ order: 1, status: 'active' }],
        pods: [],
        tree_version: 4,
      },
      { session: { id: 'new', status: 'running' }, parts: [], pods: [], tree_version: 9 },
    ]);
  });

  it('leaves out a tree that left the listing after the index was read, and one that is gone', async () => {
    doc.on(QueryCommand).resolves({
      Items: [indexKey('a', 'running'), indexKey('b', 'running'), indexKey('c', 'running')],
    });
    doc
      .on(BatchGetCommand)
      .resolves({ Responses: { views: [tree('a', 'running'), tree('b', 'completed')] } });
    const page = await views().listSessions({
      index: 'by_status',
      partition: viewKeys.byStatus('running'),
      limit: 3,
    });
    expect(page.items.map((t) => t.session.id)).toEqual(['a']);
  });

  it('asks again for the keys DynamoDB left unprocessed, and gives up after a bounded number of rounds', async () => {
    doc.on(QueryCommand).resolves({ Items: [indexKey('a', 'running'), indexKey('b', 'running')] });
    doc
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { views: [tree('a', 'running')] },
        UnprocessedKeys: { views: { Keys: [viewKeys.sessionTree('b')] } },
      })
      .resolves({ Responses: { views: [tree('b', 'running')] } });
    const page = await views().listSessions({
      index: 'by_status',
      partition: viewKeys.byStatus('running'),
      limit: 2,
    });
    expect(page.items.map((t) => t.session.id)).toEqual(['a', 'b']);
    expect(doc.commandCalls(BatchGetCommand)[1]!.args[0].input.RequestItems?.views?.Keys).toEqual([
      viewKeys.sessionTree('b'),
    ]);

    doc.on(BatchGetCommand).resolves({ UnprocessedKeys: { views: { Keys: [viewKeys.sessionTree('a')] } } });
    await expect(
      views().listSessions({ index: 'by_status', partition: viewKeys.byStatus('running'), limit: 2 }),
    ).rejects.toThrow(/unread after 5 attempts/);
  });

  it("filters by tenant and session type in the index, on the view's own attributes", async () => {
    doc.on(QueryCommand).resolves({ Items: [] });
    const page = await views().listSessions({
      index: 'by_time',
      partition: viewKeys.listAll,
      limit: 10,
      filter: { tenant: 'sched-a', session_type: 'lablet' },
    });
    expect(page.items).toEqual([]);
    const q = doc.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(q.FilterExpression).toBe('#st = :st AND #tn = :tn');
    expect(q.ExpressionAttributeNames).toMatchObject({ '#st': 'session_type', '#tn': 'tenant' });
    expect(q.ExpressionAttributeValues).toMatchObject({ ':st': 'lablet', ':tn': 'sched-a' });
    expect(doc.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it('listSessionIds answers the ids and the cursor without reading a tree', async () => {
    const last = indexKey('b', 'running');
    doc.on(QueryCommand).resolves({ Items: [indexKey('a', 'running'), last], LastEvaluatedKey: last });
    const page = await views().listSessionIds({
      index: 'by_status',
      partition: viewKeys.byStatus('running'),
      limit: 2,
    });
    expect(page).toEqual({ ids: ['a', 'b'], cursor: last });
    expect(doc.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});
