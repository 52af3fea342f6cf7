/**
 * The views table: read models written only by the stream dispatcher. A session tree view is
 * rebuilt from the state partition and written only if it is newer than what is stored
 * (`tree_version` = sum of the tree's item versions, which only grows), so a replayed or
 * duplicated stream record leaves the view unchanged.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { entityOfKey, viewKeys } from './keys.ts';
import type { StateStore, StoredItem } from './state-store.ts';

export interface SessionTreeView {
  session: Record<string, unknown>;
  parts: Record<string, unknown>[];
  pods: Record<string, unknown>[];
  tree_version: number;
}

const INTERNAL = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'entity', 'expires_at']);
export const strip = (item: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(item).filter(([k]) => !INTERNAL.has(k)));

/** Pure: the tree document from the partition's items. */
export function buildTreeView(items: StoredItem[]): SessionTreeView | undefined {
  const session = items.find((i) => entityOfKey(i) === 'session');
  if (!session) return undefined;
  const bySk = (a: StoredItem, b: StoredItem) => a.sk.localeCompare(b.sk);
  return {
    session: strip(session),
    parts: items
      .filter((i) => entityOfKey(i) === 'part')
      .sort(bySk)
      .map(strip),
    pods: items
      .filter((i) => entityOfKey(i) === 'pod')
      .sort(bySk)
      .map(strip),
    tree_version: items.reduce((n, i) => n + (i.state_version ?? 0), 0),
  };
}

export type ProjectionResult = 'written' | 'unchanged' | 'absent';

export class ViewStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async projectSessionTree(state: StateStore, sessionId: string): Promise<ProjectionResult> {
    const items = await state.queryPartition<StoredItem>(`SESSION#${sessionId}`);
    const tree = buildTreeView(items);
    if (!tree) return 'absent';
    const s = tree.session as {
      status?: string;
      candidate?: { candidate_id?: string };
      timeslot?: { start?: string };
      session_type?: string;
    };
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
    index: 'by_time' | 'by_status' | 'by_candidate';
    partition: string;
    from?: string;
    to?: string;
    limit: number;
    cursor?: Record<string, unknown>;
    filter?: { session_type?: string };
  }): Promise<{ items: SessionTreeView[]; cursor?: Record<string, unknown> }> {
    const pkName = { by_time: 'list_key', by_status: 'status_key', by_candidate: 'candidate_key' }[
      opts.index
    ];
    const names: Record<string, string> = { '#p': pkName };
    const values: Record<string, unknown> = { ':p': opts.partition };
    let range = '';
    if (opts.from || opts.to) names['#t'] = 'time_key';
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
    let filter: string | undefined;
    if (opts.filter?.session_type) {
      names['#st'] = 'session_type';
      values[':st'] = opts.filter.session_type;
      filter = '#st = :st';
    }
    const page = await this.client.send(
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
    );
    const items = (page.Items ?? []).map(({ session, parts, pods, tree_version }) => ({
      session,
      parts,
      pods,
      tree_version,
    })) as SessionTreeView[];
    return { items, ...(page.LastEvaluatedKey ? { cursor: page.LastEvaluatedKey } : {}) };
  }
}
