import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { StateStore } from '../../../shared/store/state-store.ts';
import { unpackTree, ViewStore } from '../../../shared/store/views.ts';
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
    // D235: the tree is stored compressed, and read back whole.
    expect(first.Item).not.toHaveProperty('parts');
    expect(unpackTree(first.Item!)?.parts.map((p) => p.status)).toEqual(['pending']);
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

describe('listing indexes hold keys, not trees (D229)', () => {
  /** A document client that asks every write what it cost, index by index, and keeps the answer. */
  function meteredViews() {
    const spent: { table: number; indexes: Record<string, number> }[] = [];
    const metered = testDocumentClient();
    metered.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as Record<string, unknown>;
        if ('Item' in input) input.ReturnConsumedCapacity = 'INDEXES';
        const out = await next(args);
        const c = (out.output as { ConsumedCapacity?: Record<string, unknown> }).ConsumedCapacity as
          | {
              Table?: { CapacityUnits?: number };
              GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
            }
          | undefined;
        if (c)
          spent.push({
            table: c.Table?.CapacityUnits ?? 0,
            indexes: Object.fromEntries(
              Object.entries(c.GlobalSecondaryIndexes ?? {}).map(([k, v]) => [k, v.CapacityUnits ?? 0]),
            ),
          });
        return out;
      },
      { step: 'initialize', name: 'meter' },
    );
    return { views: new ViewStore(metered, viewsT.name), spent };
  }

  it('a tree rewritten without a change to its listing keys writes no index copy; a status change rewrites by_status only', async () => {
    const { views: metered, spent } = meteredViews();
    const part = (v: number, status: string) => ({
      ...keys.part('v2', 1),
      entity: 'part',
      id: 'v2.p1',
      order: 1,
      status,
      state_version: v,
    });
    const s2 = { ...session(1, 'pending'), ...keys.session('v2'), id: 'v2' };
    await state.write([
      { kind: 'put', item: s2, expectedVersion: null },
      { kind: 'put', item: part(1, 'pending'), expectedVersion: null },
    ]);
    expect(await metered.projectSessionTree(state, 'v2')).toBe('written');
    // A part moves on; the session's status, timeslot and candidate do not.
    await state.put(part(2, 'provisioning'), 1);
    expect(await metered.projectSessionTree(state, 'v2')).toBe('written');
    expect(spent[1]!.indexes).toEqual({});
    // The session's status changes: its by_status entry moves, nothing else.
    await state.put({ ...s2, status: 'admitting', state_version: 2 }, 1);
    expect(await metered.projectSessionTree(state, 'v2')).toBe('written');
    expect(Object.keys(spent[2]!.indexes)).toEqual(['by_status']);
    // The listing still answers whole trees, as they are now.
    const page = await views.listSessions({
      index: 'by_status',
      partition: viewKeys.byStatus('admitting'),
      limit: 10,
    });
    const v2 = page.items.find((t) => t.session.id === 'v2');
    expect(v2?.parts[0]?.status).toBe('provisioning');
    expect(v2?.tree_version).toBe(4);
  });
});
