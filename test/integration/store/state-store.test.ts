import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore, StoredItem } from '../../../shared/store/state-store.ts';
import { ConflictError } from '../../../shared/store/errors.ts';
import { keys } from '../../../shared/store/keys.ts';
import { freshStateStore } from '../../helpers/tables.ts';

let table: Awaited<ReturnType<typeof freshStateStore>>;
let store: StateStore;

beforeAll(async () => {
  table = await freshStateStore();
  store = table.store;
});
afterAll(() => table.drop());

const item = (id: string, v: number, extra: Record<string, unknown> = {}): StoredItem => ({
  ...keys.session(id),
  entity: 'session',
  id,
  status: 'pending',
  state_version: v,
  ...extra,
});

describe('StateStore conditional writes', () => {
  it('creates an item only if it does not exist yet', async () => {
    await store.put(item('s1', 1), null);
    await expect(store.put(item('s1', 1), null)).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get(keys.session('s1')))?.state_version).toBe(1);
  });

  it('two concurrent writers of one item: exactly one wins, the other gets a typed conflict', async () => {
    await store.put(item('s2', 1), null);
    const results = await Promise.allSettled([
      store.put(item('s2', 2, { status: 'admitting', writer: 'a' }), 1),
      store.put(item('s2', 2, { status: 'cancelled', writer: 'b' }), 1),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
    expect((lost[0]!.reason as ConflictError).status).toBe(409);
    expect((lost[0]!.reason as ConflictError).toJSON().type).toBe('urn:lcm:problem:conflict');
    const stored = await store.get(keys.session('s2'));
    expect(stored?.state_version).toBe(2);
    expect(['a', 'b']).toContain(stored?.writer);
  });

  it('refuses an item whose version does not step by exactly one', async () => {
    await store.put(item('s3', 1), null);
    await expect(store.put(item('s3', 3), 1)).rejects.toThrow(/must carry state_version 2/);
  });

  it('a transaction is all or nothing and names the item that lost', async () => {
    await store.put(item('s4', 1), null);
    const part = { ...keys.part('s4', 1), entity: 'part', id: 's4.p1', status: 'pending', state_version: 1 };
    await expect(
      store.write([
        { kind: 'put', item: part, expectedVersion: null },
        { kind: 'put', item: item('s4', 8), expectedVersion: 7 },
      ]),
    ).rejects.toSatisfy(
      (e: unknown) => e instanceof ConflictError && e.reasons.length === 1 && e.reasons[0]!.index === 1,
    );
    expect(await store.get(keys.part('s4', 1))).toBeUndefined();
    await store.write([
      { kind: 'put', item: part, expectedVersion: null },
      { kind: 'put', item: item('s4', 2), expectedVersion: 1 },
    ]);
    const tree = await store.queryPartition('SESSION#s4');
    expect(tree.map((i) => i.sk).sort()).toEqual(['PART#01', 'SESSION']);
  });

  it('a condition check guards a write on another item', async () => {
    await store.put(item('s5', 1), null);
    await expect(
      store.write([
        { kind: 'check', key: keys.session('s5'), expectedVersion: 2 },
        { kind: 'put', item: { ...keys.part('s5', 1), id: 'p', state_version: 1 }, expectedVersion: null },
      ]),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});
