/**
 * Catalog items (session definitions, forms, worker templates) and workers in the state table.
 * Seeding is idempotent: an item whose content is unchanged is not written again; a changed one
 * is written with the next state_version, conditionally.
 */
import { createHash } from 'node:crypto';
import { type Key, PARTITIONS, keys } from './keys.ts';
import type { StateStore, StoredItem } from './state-store.ts';
import { isConflict } from './errors.ts';

export interface SeedItem {
  key: Key;
  entity: string;
  doc: Record<string, unknown>;
  /** Extra index attributes (gsi1pk/gsi1sk). */
  index?: Record<string, string>;
}

export interface SeedResult {
  written: number;
  unchanged: number;
}

const hashOf = (doc: unknown) => createHash('sha256').update(stableJson(doc)).digest('hex').slice(0, 32);

/**
 * `preserve` names attributes the running system owns (exposure counters, confirmed pod refs):
 * a re-seed keeps their current values instead of resetting them.
 */
export async function seedItems(
  store: StateStore,
  items: SeedItem[],
  now: string,
  preserve: (current: Record<string, unknown>) => Record<string, unknown> = () => ({}),
): Promise<SeedResult> {
  const result: SeedResult = { written: 0, unchanged: 0 };
  const queue = [...items];
  const worker = async () => {
    for (let it = queue.shift(); it; it = queue.shift()) {
      const seed_hash = hashOf(it.doc);
      for (let attempt = 0; ; attempt++) {
        const current = await store.get<StoredItem & { seed_hash?: string }>(it.key);
        if (current?.seed_hash === seed_hash) {
          result.unchanged++;
          break;
        }
        const v = (current?.state_version ?? 0) + 1;
        try {
          await store.put(
            {
              ...it.key,
              ...(it.index ?? {}),
              ...it.doc,
              ...(current ? preserve(current) : {}),
              entity: it.entity,
              seed_hash,
              state_version: v,
              ...(current ? { created_at: current.created_at } : { created_at: now }),
              updated_at: now,
            },
            current ? current.state_version : null,
          );
          result.written++;
          break;
        } catch (e) {
          if (!isConflict(e) || attempt > 3) throw e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return result;
}

export class CatalogRepository {
  constructor(private readonly store: StateStore) {}

  async listSessionDefinitions<T>(): Promise<T[]> {
    return (await this.store.queryPartition(PARTITIONS.sessionDefinitions)) as unknown as T[];
  }

  async getSessionDefinition<T>(type: string): Promise<T | undefined> {
    return (await this.store.get(keys.sessionDefinition(type))) as unknown as T | undefined;
  }

  async listForms<T>(): Promise<T[]> {
    return (await this.store.queryPartition(PARTITIONS.forms)) as unknown as T[];
  }

  async listWorkerTemplates<T>(): Promise<T[]> {
    return (await this.store.queryPartition(PARTITIONS.workerTemplates)) as unknown as T[];
  }
}

/** JSON with sorted keys: equal documents hash equally whatever their key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
