import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore, StoredItem } from '../../../shared/store/state-store.ts';
import { keys } from '../../../shared/store/keys.ts';
import { StoreFormConfirmer } from '../../../shared/content/adapters.ts';
import type { Form } from '../../../shared/catalog/types.ts';
import { freshStateStore } from '../../helpers/tables.ts';

let table: Awaited<ReturnType<typeof freshStateStore>>;
let store: StateStore;

beforeAll(async () => {
  table = await freshStateStore();
  store = table.store;
  const form = (fqn: string, content_id: string, pod_type: string): StoredItem => ({
    ...keys.form(fqn, '1'),
    entity: 'form',
    fqn,
    version: '1',
    content_id,
    pod_ref: { pod_type, status: 'pending' },
    state_version: 1,
  });
  for (const f of [
    form('Lab A', 'ospf', 'cml_on_aws'),
    form('Lab B', 'ospf', 'cml_on_aws'),
    form('Lab C', 'other', 'cml_on_aws'),
    form('Lab D', 'vm', 'vmware'),
  ])
    await store.put(f, null);
});
afterAll(() => table.drop());

const read = async (fqn: string) => (await store.get<StoredItem & Form>(keys.form(fqn, '1')))!;

describe('StoreFormConfirmer against DynamoDB Local', () => {
  it('points every form of the content at the definition, conditionally; again changes nothing', async () => {
    const c = new StoreFormConfirmer(store, () => '2026-12-02T00:00:00.000Z');
    const ref = { pod_type: 'cml_on_aws' as const, status: 'ready' as const, definition_id: 'pd_1' };
    expect(await c.confirm('ospf', ref)).toBe(2);
    for (const fqn of ['Lab A', 'Lab B'])
      expect(await read(fqn)).toMatchObject({
        pod_ref: { definition_id: 'pd_1', status: 'ready' },
        state_version: 2,
      });
    expect((await read('Lab C')).pod_ref).toEqual({ pod_type: 'cml_on_aws', status: 'pending' });
    expect(await c.confirm('ospf', ref)).toBe(0);
    expect((await read('Lab A')).state_version).toBe(2);
  });

  it('a pod type that would change is refused and no form is written', async () => {
    const c = new StoreFormConfirmer(store, () => '2026-12-02T00:00:00.000Z');
    await expect(
      c.confirm('vm', { pod_type: 'cml_on_aws', status: 'ready', definition_id: 'pd_2' }),
    ).rejects.toMatchObject({ kind: 'pod-type-changed' });
    expect(await read('Lab D')).toMatchObject({ pod_ref: { status: 'pending' }, state_version: 1 });
  });
});
