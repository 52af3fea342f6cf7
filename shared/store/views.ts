/**
 * The views table: read models written only by the stream dispatcher. A session tree view is
 * rebuilt from the state partition and written only if it is newer than what is stored
 * (`tree_version` = sum of the tree's item versions, which only grows), so a replayed or
 * duplicated stream record leaves the view unchanged.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Problem } from '../domain/problem.ts';
import { awaitingReview, reviewingSince, type SessionTree } from '../domain/session.ts';
import { keys, viewKeys } from './keys.ts';
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

export type ProjectionResult = 'written' | 'unchanged' | 'absent';

export class ViewStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async projectSessionTree(state: StateStore, sessionId: string): Promise<ProjectionResult> {
    const items = await state.queryPartition<StoredItem>(keys.sessionPartition(sessionId));
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
            ...tree,
            list_key: viewKeys.listAll,
            status_key: viewKeys.byStatus(s.status ?? 'unknown'),
            ...(s.candidate?.candidate_id
              ? { candidate_key: viewKeys.byCandidate(s.candidate.candidate_id) }
              : {}),
            time_key: timeKey,
            session_type: s.session_type,
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
    if (!out.Item) return undefined;
    const { session, parts, pods, tree_version } = out.Item as SessionTreeView;
    return { session, parts, pods, tree_version };
  }

  /** One page of session trees from an index, newest or oldest first by timeslot start. */
  async listSessions(opts: {
    index: 'by_time' | 'by_status' | 'by_candidate' | 'by_review';
    partition: string;
    from?: string;
    to?: string;
    limit: number;
    cursor?: Record<string, unknown>;
    /** `tenant`: only sessions of this tenant (pages may then hold fewer than `limit` items). */
    filter?: { session_type?: string; tenant?: string };
  }): Promise<{ items: SessionTreeView[]; cursor?: Record<string, unknown> }> {
    const pkName = {
      by_time: 'list_key',
      by_status: 'status_key',
      by_candidate: 'candidate_key',
      by_review: 'review_key',
    }[opts.index];
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
      // Sessions booked before tenants were recorded belong to their creator.
      Object.assign(names, { '#s': 'session', '#tn': 'tenant', '#cb': 'created_by' });
      values[':tn'] = opts.filter.tenant;
      filters.push('(#s.#tn = :tn OR (attribute_not_exists(#s.#tn) AND #s.#cb = :tn))');
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
    const items = (page.Items ?? []).map(({ session, parts, pods, tree_version }) => ({
      session,
      parts,
      pods,
      tree_version,
    })) as SessionTreeView[];
    return { items, ...(page.LastEvaluatedKey ? { cursor: page.LastEvaluatedKey } : {}) };
  }
}

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
