/**
 * The views table: read models written only by the stream dispatcher. A session tree view is
 * rebuilt from the state partition and written only if it is newer than what is stored
 * (`tree_version` = sum of the tree's item versions, which only grows), so a replayed or
 * duplicated stream record leaves the view unchanged. The tree itself is stored compressed (D235):
 * nothing queries inside it, and DynamoDB bills a write per started KB.
 */
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { Problem } from '../domain/problem.ts';
import { awaitingReview, reviewingSince, type SessionTree } from '../domain/session.ts';
import { keys, sessionIdOfKey, viewKeys } from './keys.ts';
import { itemsToTree, treeResponse, treeVersion } from './session-tree.ts';
import type { StateStore, StoredItem } from './state-store.ts';

export interface SessionTreeView extends SessionTree {
  tree_version: number;
}

/** Pure: the tree document from the partition's items. */
export function buildTreeView(items: StoredItem[]): SessionTreeView | undefined {
  const tree = itemsToTree(items);
  return tree && { ...treeResponse(tree), tree_version: treeVersion(items) };
}

/**
 * The sparse review index's keys: present while a part awaits a manual review, sorted by the
 * oldest such part's time in `reviewing` (so "older than" is a key range).
 */
function reviewKeys(parts: SessionTree['parts'], sessionId: string) {
  const waiting = parts.filter(awaitingReview).map(reviewingSince).sort();
  return waiting.length
    ? { review_key: viewKeys.awaitingReview, review_since: `${waiting[0]}#${sessionId}` }
    : {};
}

/** The attribute that holds the tree, Brotli-compressed JSON of `{ session, parts, pods }` (D235). */
export const TREE_ATTRIBUTE = 'tree_br';

/**
 * The tree's document as stored: JSON, Brotli at quality 5 (a 4 KB lablet tree in ≈ 0.1 ms, about
 * a fifth of its size; nothing is gained above 5 on trees this small but time).
 */
export function packTree(t: Pick<SessionTree, 'session' | 'parts' | 'pods'>): Uint8Array {
  const json = Buffer.from(JSON.stringify({ session: t.session, parts: t.parts, pods: t.pods }));
  return brotliCompressSync(json, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 5,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_SIZE_HINT]: json.length,
    },
  });
}

/**
 * The tree a view item holds: its compressed document, or (a view written before D235) its
 * `session`, `parts` and `pods` attributes; undefined when it holds neither.
 */
export function unpackTree(item: Record<string, unknown>): SessionTreeView | undefined {
  const version = Number(item.tree_version ?? 0);
  const packed = item[TREE_ATTRIBUTE];
  if (packed instanceof Uint8Array) {
    const t = JSON.parse(brotliDecompressSync(packed).toString('utf8')) as SessionTree;
    return { session: t.session, parts: t.parts, pods: t.pods, tree_version: version };
  }
  if (!item.session) return undefined;
  const { session, parts, pods } = item as unknown as SessionTree;
  return { session, parts: parts ?? [], pods: pods ?? [], tree_version: version };
}

export type ProjectionResult = 'written' | 'unchanged' | 'absent';

export class ViewStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async projectSessionTree(state: StateStore, sessionId: string): Promise<ProjectionResult> {
    return this.projectItems(
      sessionId,
      await state.queryPartition<StoredItem>(keys.sessionPartition(sessionId)),
    );
  }

  /** Writes the view of a session partition's items, read consistently by the caller. */
  async projectItems(sessionId: string, items: StoredItem[]): Promise<ProjectionResult> {
    const tree = buildTreeView(items);
    if (!tree) return 'absent';
    const s = tree.session;
    const timeKey = `${s.timeslot?.start ?? ''}#${sessionId}`;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...viewKeys.sessionTree(sessionId),
            [TREE_ATTRIBUTE]: packTree(tree),
            tree_version: tree.tree_version,
            list_key: viewKeys.listAll,
            status_key: viewKeys.byStatus(s.status ?? 'unknown'),
            ...(s.candidate?.candidate_id
              ? { candidate_key: viewKeys.byCandidate(s.candidate.candidate_id) }
              : {}),
            time_key: timeKey,
            session_type: s.session_type,
            // Listings filter on it in the index (sessions booked before tenants: their creator).
            ...((s.tenant ?? s.created_by) ? { tenant: s.tenant ?? s.created_by } : {}),
            ...reviewKeys(tree.parts, sessionId),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR tree_version < :v',
          ExpressionAttributeValues: { ':v': tree.tree_version },
        }),
      );
      return 'written';
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return 'unchanged';
      throw e;
    }
  }

  async getSessionTree(sessionId: string): Promise<SessionTreeView | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: viewKeys.sessionTree(sessionId) }),
    );
    return out.Item ? unpackTree(out.Item) : undefined;
  }

  /**
   * One page of session trees from an index, oldest first by timeslot start. The index holds keys
   * and the filtered attributes only (D229): the page's keys are read from the index, then their
   * trees from the table, as they are now. A tree that has left the listing since the index was
   * read (its status moved on, its review was decided) is not answered: pages may hold fewer items.
   */
  async listSessions(
    opts: ListingQuery,
  ): Promise<{ items: SessionTreeView[]; cursor?: Record<string, unknown> }> {
    const page = await this.listingPage(opts);
    const trees = await this.treesOf(page.ids);
    const pkName = LISTING_KEY[opts.index];
    const items = page.ids.flatMap((id) => {
      const item = trees.get(id);
      if (!item || item[pkName] !== opts.partition) return [];
      const tree = unpackTree(item);
      return tree ? [tree] : [];
    });
    return { items, ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  /** One page of the session ids in an index, without reading their trees. */
  async listSessionIds(opts: ListingQuery): Promise<{ ids: string[]; cursor?: Record<string, unknown> }> {
    return this.listingPage(opts);
  }

  private async listingPage(
    opts: ListingQuery,
  ): Promise<{ ids: string[]; cursor?: Record<string, unknown> }> {
    const pkName = LISTING_KEY[opts.index];
    const skName = opts.index === 'by_review' ? 'review_since' : 'time_key';
    const names: Record<string, string> = { '#p': pkName };
    const values: Record<string, unknown> = { ':p': opts.partition };
    let range = '';
    if (opts.from || opts.to) names['#t'] = skName;
    if (opts.from && opts.to) {
      range = ' AND #t BETWEEN :from AND :to';
      values[':from'] = opts.from;
      values[':to'] = `${opts.to}\uffff`;
    } else if (opts.from) {
      range = ' AND #t >= :from';
      values[':from'] = opts.from;
    } else if (opts.to) {
      range = ' AND #t <= :to';
      values[':to'] = `${opts.to}\uffff`;
    }
    if (opts.cursor) checkCursor(opts.cursor, pkName, opts.partition, opts.from, values[':to'] as string);
    const filters: string[] = [];
    if (opts.filter?.session_type) {
      names['#st'] = 'session_type';
      values[':st'] = opts.filter.session_type;
      filters.push('#st = :st');
    }
    if (opts.filter?.tenant) {
      names['#tn'] = 'tenant';
      values[':tn'] = opts.filter.tenant;
      filters.push('#tn = :tn');
    }
    const filter = filters.length ? filters.join(' AND ') : undefined;
    const page = await this.client
      .send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: opts.index,
          KeyConditionExpression: `#p = :p${range}`,
          ...(filter ? { FilterExpression: filter } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          Limit: opts.limit,
          ExclusiveStartKey: opts.cursor,
        }),
      )
      .catch((e: unknown) => {
        // Defence in depth: whatever DynamoDB refuses about a start key is the caller's cursor.
        if (opts.cursor && (e as { name?: string }).name === 'ValidationException') throw badCursor();
        throw e;
      });
    const ids = (page.Items ?? []).flatMap((i) => {
      const id = sessionIdOfKey(String(i.pk));
      return id ? [id] : [];
    });
    return { ids, ...(page.LastEvaluatedKey ? { cursor: page.LastEvaluatedKey } : {}) };
  }

  /**
   * The tree views of these sessions, read from the table in batches of 100 (BatchGetItem's
   * limit). Keys DynamoDB leaves unprocessed (throttling) are asked again, a bounded number of times.
   */
  private async treesOf(ids: string[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < ids.length; i += 100) {
      let keysLeft: Record<string, unknown>[] = ids
        .slice(i, i + 100)
        .map((id) => ({ ...viewKeys.sessionTree(id) }));
      for (let attempt = 0; keysLeft.length; attempt++) {
        if (attempt === BATCH_GET_ATTEMPTS)
          throw new Error(`the views table left ${keysLeft.length} trees unread after ${attempt} attempts`);
        if (attempt) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        const res = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keysLeft,
                ProjectionExpression: 'pk, #t, #s, parts, pods, tree_version, #l, #st, #c, #r',
                ExpressionAttributeNames: {
                  '#t': TREE_ATTRIBUTE,
                  '#s': 'session',
                  '#l': 'list_key',
                  '#st': 'status_key',
                  '#c': 'candidate_key',
                  '#r': 'review_key',
                },
              },
            },
          }),
        );
        for (const item of res.Responses?.[this.tableName] ?? []) {
          const id = sessionIdOfKey(String(item.pk ?? ''));
          if (id) out.set(id, item);
        }
        keysLeft = (res.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return out;
  }
}

export interface ListingQuery {
  index: 'by_time' | 'by_status' | 'by_candidate' | 'by_review';
  partition: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: Record<string, unknown>;
  /** `tenant`: only sessions of this tenant (pages may then hold fewer than `limit` items). */
  filter?: { session_type?: string; tenant?: string };
}

const LISTING_KEY = {
  by_time: 'list_key',
  by_status: 'status_key',
  by_candidate: 'candidate_key',
  by_review: 'review_key',
} as const;

/** BatchGetItem rounds per page before a listing gives up (the SDK's own retries are inside each). */
const BATCH_GET_ATTEMPTS = 5;

const badCursor = (detail = 'unknown cursor') =>
  new Problem('bad-request', 'the cursor is not one this API issued for this query', {
    errors: [{ pointer: '/query/cursor', detail, rule: 'cursor' }],
  });

/**
 * A listing cursor is the index's last evaluated key: exactly the table and index key
 * attributes, all strings, in the partition being queried and inside its time range. Anything
 * else was not issued for this query (a forged or reused cursor) and is refused before DynamoDB.
 */
function checkCursor(
  cursor: Record<string, unknown>,
  pkName: string,
  partition: string,
  from?: string,
  to?: string,
): void {
  const expected = ['pk', 'sk', pkName, 'time_key'].sort();
  const got = Object.keys(cursor).sort();
  if (got.length !== expected.length || got.some((k, i) => k !== expected[i]))
    throw badCursor("the cursor does not name this listing's keys");
  if (!Object.values(cursor).every((v) => typeof v === 'string' && v.length > 0 && v.length <= 1024))
    throw badCursor("the cursor's keys are not strings");
  if (cursor[pkName] !== partition) throw badCursor('the cursor belongs to another listing');
  const t = cursor.time_key as string;
  if ((from && t < from) || (to && t > to)) throw badCursor('the cursor lies outside the time window');
}
