/**
 * Every worker record, read strongly: the all-workers index lists the ids (it is eventually
 * consistent), then each record is read from the table before anyone decides on it.
 */
import { keys, PARTITIONS } from './keys.ts';
import type { StateStore, StoredItem } from './state-store.ts';

export async function readAllWorkers<W extends StoredItem>(store: StateStore): Promise<W[]> {
  const ids: string[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await store.queryIndex<{ id: string }>('gsi1', 'gsi1pk', PARTITIONS.allWorkers, {
      limit: 100,
      cursor,
    });
    ids.push(...page.items.map((w) => w.id));
    cursor = page.cursor;
  } while (cursor);
  const all = await Promise.all(ids.map((id) => store.get<W>(keys.worker(id))));
  return all.filter((w): w is Awaited<W> => Boolean(w));
}
