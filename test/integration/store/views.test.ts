import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { StateStore } from '../../../shared/store/state-store.ts';
import { ViewStore } from '../../../shared/store/views.ts';
import { keys, viewKeys } from '../../../shared/store/keys.ts';
import { freshTable, testDocumentClient } from '../../helpers/tables.ts';

const doc = testDocumentClient();
let stateT: Awaited<ReturnType<typeof freshTable>>;
let viewsT: Awaited<ReturnType<typeof freshTable>>;
let state: StateStore;
let views: ViewStore;

beforeAll(async () => {
  [stateT, viewsT] = await Promise.all([freshTable('state'), freshTable('views')]);
  state = new StateStore(doc, stateT.name);
  views = new ViewStore(doc, viewsT.name);
});
afterAll(() => Promise.all([stateT.drop(), viewsT.drop()]));

const session = (v: number, status: string) => ({
  ...keys.session('v1'),
  entity: 'session',
  id: 'v1',
  status,
  session_type: 'lablet',
  candidate: { candidate_id: 'c-42' },
  timeslot: { start: '2026-12-01T09:00:00.000Z', end: '2026-12-01T11:00:00.000Z' },
  state_version: v,
});

describe('session tree projection', () => {
  it('builds the tree view, and a replayed record leaves it unchanged', async () => {
    await state.write([
      { kind: 'put', item: session(1, 'pending'), expectedVersion: null },
      {
        kind: 'put',
        item: {
          ...keys.part('v1', 1),
          entity: 'part',
          id: 'v1.p1',
          order: 1,
          status: 'pending',
          state_version: 1,
        },
        expectedVersion: null,
      },
    ]);
    expect(await views.projectSessionTree(state, 'v1')).toBe('written');
    const first = await doc.send(new GetCommand({ TableName: viewsT.name, Key: viewKeys.sessionTree('v1') }));
    // The same stream record delivered again: nothing changes.
    expect(await views.projectSessionTree(state, 'v1')).toBe('unchanged');
    const second = await doc.send(
      new GetCommand({ TableName: viewsT.name, Key: viewKeys.sessionTree('v1') }),
    );
    expect(second.Item).toEqual(first.Item);
    expect(first.Item?.tree_version).toBe(2);
    expect(first.Item?.status_key).toBe('STATUS#pending');
    expect((first.Item?.parts as unknown[]).length).toBe(1);
  });

  it('a newer state overwrites, an older projection can never win', async () => {
    await state.put(session(2, 'admitting'), 1);
    expect(await views.projectSessionTree(state, 'v1')).toBe('written');
    const tree = await views.getSessionTree('v1');
    expect(tree?.session.status).toBe('admitting');
    expect(tree?.tree_version).toBe(3);
    expect(tree?.session).not.toHaveProperty('pk');
  });

  it('lists by status and by candidate through the indexes', async () => {
    const byStatus = await views.listSessions({
      index: 'by_status',
      partition: viewKeys.byStatus('admitting'),
      limit: 10,
    });
    expect(byStatus.items.map((t) => t.session.id)).toEqual(['v1']);
    const byCandidate = await views.listSessions({
      index: 'by_candidate',
      partition: viewKeys.byCandidate('c-42'),
      limit: 10,
    });
    expect(byCandidate.items).toHaveLength(1);
    const none = await views.listSessions({
      index: 'by_status',
      partition: viewKeys.byStatus('pending'),
      limit: 10,
    });
    expect(none.items).toHaveLength(0);
  });
});
