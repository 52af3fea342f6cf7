/**
 * A session tree as stored: one partition (`SESSION#<id>`) holding the session item, its parts and
 * its pod instances. The one place that turns a tree into items and items back into a tree;
 * everything else works on `SessionTree`. Nothing here does I/O.
 */
import type { PartDoc, PodDoc, SessionDoc, SessionTree, TreeItemRef } from '../domain/session.ts';
import { entityOfKey, keys, type Key } from './keys.ts';
import { strip, type StoredItem } from './state-store.ts';

export function treeToItems(tree: SessionTree): StoredItem[] {
  const sid = tree.session.id;
  return [
    { ...keys.session(sid), entity: 'session', ...tree.session },
    ...tree.parts.map((p) => ({ ...keys.part(sid, p.order), entity: 'part', ...p, session_id: sid })),
    ...tree.pods.map((p) => ({
      ...keys.pod(sid, p.part_order, p.index ?? 0),
      entity: 'pod',
      ...p,
      session_id: sid,
    })),
  ];
}

/** The tree in a partition's items (parts and pods in key order), or undefined when it has no session. */
export function itemsToTree(items: StoredItem[]): SessionTree | undefined {
  const session = items.find((i) => entityOfKey(i) === 'session');
  if (!session) return undefined;
  const bySk = (a: StoredItem, b: StoredItem) => a.sk.localeCompare(b.sk);
  const of = (kind: 'part' | 'pod') =>
    items
      .filter((i) => entityOfKey(i) === kind)
      .sort(bySk)
      .map(strip);
  return {
    session: strip(session) as unknown as SessionDoc,
    parts: of('part') as unknown as PartDoc[],
    pods: of('pod') as unknown as PodDoc[],
  };
}

/** Which tree item a key names (`session`, `part:<n>`, `pod:<n>:<i>`), if it names one. */
export function refOfKey(k: Key): TreeItemRef | undefined {
  switch (entityOfKey(k)) {
    case 'session':
      return 'session';
    case 'part':
      return `part:${Number(k.sk.slice('PART#'.length))}`;
    case 'pod': {
      const [, order, index] = k.sk.split('#');
      return `pod:${Number(order)}:${Number(index)}`;
    }
    default:
      return undefined;
  }
}

/** The sum of the tree's item versions: it only grows, so a view never goes back to an older tree. */
export const treeVersion = (items: StoredItem[]) => items.reduce((n, i) => n + (i.state_version ?? 0), 0);

/** The wire shape of a tree (what the API returns and the view stores). */
export const treeResponse = (t: SessionTree) => ({ session: t.session, parts: t.parts, pods: t.pods });
