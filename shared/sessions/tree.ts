/**
 * A session tree as stored: one partition, the session item, its parts and its pod instances.
 * These helpers turn a planned tree into items and back; nothing here does I/O.
 */
import { keys } from '../store/keys.ts';
import type { StoredItem } from '../store/state-store.ts';

export interface TreeDocs {
  session: Record<string, unknown> & { id: string; state_version: number };
  parts: (Record<string, unknown> & { order: number; state_version: number })[];
  pods: (Record<string, unknown> & { part_order: number; index?: number; state_version: number })[];
}

export function treeToItems(tree: TreeDocs): StoredItem[] {
  const sid = tree.session.id;
  return [
    { ...keys.session(sid), entity: 'session', ...tree.session },
    ...tree.parts.map((p) => ({ ...keys.part(sid, p.order), entity: 'part', session_id: sid, ...p })),
    ...tree.pods.map((p) => ({
      ...keys.pod(sid, p.part_order, p.index ?? 0),
      entity: 'pod',
      session_id: sid,
      ...p,
    })),
  ];
}

const INTERNAL = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'expires_at'];
const clean = <T extends Record<string, unknown>>(i: T) => {
  const o: Record<string, unknown> = { ...i };
  for (const k of INTERNAL) delete o[k];
  return o;
};

export function itemsToTree(items: StoredItem[]): TreeDocs | undefined {
  const s = items.find((i) => i.sk === 'SESSION');
  if (!s) return undefined;
  const bySk = (a: StoredItem, b: StoredItem) => a.sk.localeCompare(b.sk);
  return {
    session: clean(s) as TreeDocs['session'],
    parts: items
      .filter((i) => i.sk.startsWith('PART#'))
      .sort(bySk)
      .map(clean) as TreeDocs['parts'],
    pods: items
      .filter((i) => i.sk.startsWith('POD#'))
      .sort(bySk)
      .map(clean) as TreeDocs['pods'],
  };
}

/** The wire shape of a tree (what the API returns and the view stores). */
export const treeResponse = (t: TreeDocs) => ({ session: t.session, parts: t.parts, pods: t.pods });
