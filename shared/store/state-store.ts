import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from './errors.ts';
import type { Key } from './keys.ts';

export interface StoredItem extends Key {
  state_version: number;
  [attribute: string]: unknown;
}

/**
 * One write in a change. `expectedVersion: null` means "must not exist yet"; a number means
 * "must still be at this version", and the new item must carry exactly the next version.
 */
export type WriteOp =
  | { kind: 'put'; item: StoredItem; expectedVersion: number | null }
  | { kind: 'delete'; key: Key; expectedVersion: number }
  | { kind: 'check'; key: Key; expectedVersion: number }
  /** A commutative counter (exposure, usage): ADD on an item that must exist; not a state change. */
  | { kind: 'increment'; key: Key; counters: Record<string, number> };

/** Attributes only the store uses (keys, index keys, entity tags, TTL): never part of a document. */
const INTERNAL = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'entity', 'expires_at']);

/** An item without the store's own attributes: what a reader of the document sees. */
export const strip = (item: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(item).filter(([k]) => !INTERNAL.has(k)));

export interface QueryPage<T> {
  items: T[];
  cursor?: Record<string, unknown>;
}

const MAX_TRANSACTION_ITEMS = 100;

/**
 * The state table. Every write is conditional on `state_version`; a lost race is a typed
 * ConflictError naming which item lost, never a silent overwrite.
 */
export class StateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get<T extends StoredItem>(key: Key): Promise<T | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }),
    );
    return out.Item as T | undefined;
  }

  /** Every item of a partition (a session tree is one Query), following pagination. */
  async queryPartition<T extends StoredItem>(pk: string, opts: { skPrefix?: string } = {}): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: opts.skPrefix ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk, ...(opts.skPrefix ? { ':p': opts.skPrefix } : {}) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as T[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async queryIndex<T>(
    index: string,
    pkName: string,
    pkValue: string,
    opts: { limit?: number; cursor?: Record<string, unknown>; forward?: boolean } = {},
  ): Promise<QueryPage<T>> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': pkName },
        ExpressionAttributeValues: { ':v': pkValue },
        Limit: opts.limit,
        ExclusiveStartKey: opts.cursor,
        ScanIndexForward: opts.forward ?? true,
      }),
    );
    return {
      items: (page.Items ?? []) as T[],
      ...(page.LastEvaluatedKey ? { cursor: page.LastEvaluatedKey } : {}),
    };
  }

  /**
   * The one bounded re-read/conditional-write loop: runs `attempt` (which reads, decides and
   * writes conditionally) again while it loses a race, at most `attempts` times. `onConflict` runs
   * between attempts (a backoff, a note of which item was lost). Anything but a lost race is thrown.
   */
  async retrying<T>(
    what: string,
    attempt: (n: number) => Promise<T>,
    opts: { attempts?: number; onConflict?: (e: ConflictError, n: number) => void | Promise<void> } = {},
  ): Promise<T> {
    const attempts = opts.attempts ?? 8;
    for (let n = 0; ; n++) {
      try {
        return await attempt(n);
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        if (n + 1 >= attempts)
          throw new ConflictError(`${what} kept changing; gave up after ${attempts} attempts`, e.reasons);
        await opts.onConflict?.(e, n);
      }
    }
  }

  /**
   * Read, change, write conditioned on the version read; a lost race reads again (bounded).
   * `change` returns the next item without bumping `state_version` (this does), or undefined to
   * leave it as it is. Resolves with what is stored, or undefined when there is no item.
   */
  update<T extends StoredItem>(
    key: Key,
    change: (cur: T) => T | undefined,
    attempts = 8,
  ): Promise<T | undefined> {
    return this.retrying(
      `${key.pk}/${key.sk}`,
      async () => {
        const cur = await this.get<T>(key);
        if (!cur) return undefined;
        const next = change(cur);
        if (!next || next === cur) return cur;
        const written = { ...next, state_version: cur.state_version + 1 };
        await this.put(written, cur.state_version);
        return written;
      },
      { attempts },
    );
  }

  /** A single conditional put. */
  put(item: StoredItem, expectedVersion: number | null): Promise<void> {
    return this.write([{ kind: 'put', item, expectedVersion }]);
  }

  /** One op: a conditional single-item write; several: one transaction (all or nothing). */
  async write(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length > MAX_TRANSACTION_ITEMS)
      throw new RangeError(`a transaction holds at most ${MAX_TRANSACTION_ITEMS} items, got ${ops.length}`);
    for (const op of ops) checkVersionStep(op);
    if (ops.length === 1 && ops[0]!.kind !== 'check' && ops[0]!.kind !== 'increment')
      return this.writeOne(ops[0]!);
    const input: TransactWriteCommandInput = {
      TransactItems: ops.map((op) => {
        const cond = op.kind === 'increment' ? undefined : condition(op);
        switch (op.kind) {
          case 'put':
            return { Put: { TableName: this.tableName, Item: op.item, ...cond! } };
          case 'delete':
            return { Delete: { TableName: this.tableName, Key: { pk: op.key.pk, sk: op.key.sk }, ...cond! } };
          case 'increment':
            return {
              Update: {
                TableName: this.tableName,
                Key: { pk: op.key.pk, sk: op.key.sk },
                ...incrementExpr(op.counters),
              },
            };
          case 'check':
            return {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { pk: op.key.pk, sk: op.key.sk },
                ...(cond! as Required<ReturnType<typeof condition>>),
              },
            };
        }
      }),
    };
    try {
      await this.client.send(new TransactWriteCommand(input));
    } catch (e) {
      if (e instanceof TransactionCanceledException) {
        const reasons = (e.CancellationReasons ?? [])
          .map((r, index) => ({ index, code: r.Code ?? 'Unknown', key: keyOf(ops[index]) }))
          .filter((r) => r.code !== 'None');
        if (
          reasons.length &&
          reasons.every((r) => r.code === 'ConditionalCheckFailed' || r.code === 'TransactionConflict')
        )
          throw new ConflictError(describeConflict(reasons), reasons);
      }
      throw e;
    }
  }

  private async writeOne(op: Exclude<WriteOp, { kind: 'check' | 'increment' }>): Promise<void> {
    const cond = condition(op);
    try {
      if (op.kind === 'put')
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: op.item, ...cond }));
      else
        await this.client.send(
          new DeleteCommand({ TableName: this.tableName, Key: { pk: op.key.pk, sk: op.key.sk }, ...cond }),
        );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        const key = keyOf(op);
        throw new ConflictError(describeConflict([{ index: 0, code: 'ConditionalCheckFailed', key }]), [
          { index: 0, code: 'ConditionalCheckFailed', key },
        ]);
      }
      throw e;
    }
  }
}

function incrementExpr(counters: Record<string, number>) {
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  const parts = Object.entries(counters).map(([k, n], i) => {
    names[`#c${i}`] = k;
    values[`:c${i}`] = n;
    return `#c${i} :c${i}`;
  });
  return {
    UpdateExpression: `ADD ${parts.join(', ')}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function condition(op: Exclude<WriteOp, { kind: 'increment' }>): {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  if (op.kind === 'put' && op.expectedVersion === null)
    return { ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    ConditionExpression: '#v = :v',
    ExpressionAttributeNames: { '#v': 'state_version' },
    ExpressionAttributeValues: { ':v': op.expectedVersion },
  };
}

function checkVersionStep(op: WriteOp): void {
  if (op.kind !== 'put') return;
  const want = (op.expectedVersion ?? 0) + 1;
  if (op.item.state_version !== want)
    throw new RangeError(
      `item ${op.item.pk}/${op.item.sk} must carry state_version ${want} (expected ${op.expectedVersion}), got ${op.item.state_version}`,
    );
}

function keyOf(op: WriteOp | undefined): Key | undefined {
  if (!op) return undefined;
  return op.kind === 'put' ? { pk: op.item.pk, sk: op.item.sk } : op.key;
}

function describeConflict(reasons: { index?: number; key?: unknown; code: string }[]): string {
  return `conditional write lost: ${reasons.map((r) => `${JSON.stringify(r.key)} (${r.code})`).join(', ')}`;
}
