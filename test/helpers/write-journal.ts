/**
 * Which items a stretch of code changed: every write the product's DynamoDB client sends
 * (PutItem, UpdateItem, DeleteItem, TransactWriteItems, BatchWriteItem, from the product or from
 * Powertools' idempotency layer) has its item read just before the first write, and again at
 * the end; `end()` names those that differ (at the build step, where a document client's input
 * is already marshalled). A write that is undone (an idempotency record
 * created and deleted) leaves no difference.
 */
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../../shared/runtime/aws-dynamodb.ts';
import { stringify as stableStringify } from 'safe-stable-stringify';

type Key = { table: string; key: Record<string, AttributeValue> };

export interface WriteJournal {
  begin(): void;
  /** `table pk|sk` of each item that is not as it was at `begin()`. */
  end(): Promise<string[]>;
  stop(): void;
}

const keyOf = (item: Record<string, AttributeValue> | undefined) =>
  item ? { pk: item.pk!, sk: item.sk! } : undefined;

function keysOf(command: string, input: Record<string, unknown>): Key[] {
  const one = (table: unknown, key: Record<string, AttributeValue> | undefined): Key[] =>
    key ? [{ table: String(table), key }] : [];
  const i = input as Record<string, unknown> & { Item?: never; Key?: never };
  switch (command) {
    case 'PutItemCommand':
      return one(i.TableName, keyOf(i.Item));
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      return one(i.TableName, i.Key);
    case 'TransactWriteItemsCommand':
      return (
        i.TransactItems as unknown as Record<string, { TableName: string; Item?: never; Key?: never }>[]
      ).flatMap((t) =>
        (['Put', 'Update', 'Delete'] as const).flatMap((k) =>
          t[k] ? one(t[k].TableName, t[k].Item ? keyOf(t[k].Item) : t[k].Key) : [],
        ),
      );
    case 'BatchWriteItemCommand':
      return Object.entries(
        i.RequestItems as unknown as Record<
          string,
          { PutRequest?: { Item: never }; DeleteRequest?: { Key: never } }[]
        >,
      ).flatMap(([table, reqs]) =>
        reqs.flatMap((r) => one(table, r.PutRequest ? keyOf(r.PutRequest.Item) : r.DeleteRequest?.Key)),
      );
    default:
      return [];
  }
}

/** JSON with object keys sorted (DynamoDB returns an item's attributes in no fixed order). */
const canonical = (v: unknown): string => stableStringify(v) ?? 'undefined';

export function writeJournal(client = dynamoClient()): WriteJournal {
  const reader = new DynamoDBClient({});
  const touched = new Map<string, { at: Key; before: string }>();
  let active = false;
  const read = async (k: Key) =>
    canonical(
      (await reader.send(new GetItemCommand({ TableName: k.table, Key: k.key, ConsistentRead: true })))
        .Item ?? null,
    );
  const name = 'testWriteJournal';
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (active)
        for (const k of keysOf(context.commandName ?? '', args.input as Record<string, unknown>)) {
          const id = `${k.table} ${k.key.pk?.S}|${k.key.sk?.S}`;
          if (!touched.has(id)) touched.set(id, { at: k, before: await read(k) });
        }
      return next(args);
    },
    { step: 'build', name },
  );
  return {
    begin() {
      touched.clear();
      active = true;
    },
    async end() {
      active = false;
      const changed: string[] = [];
      for (const [id, t] of touched) if ((await read(t.at)) !== t.before) changed.push(id);
      return changed;
    },
    stop() {
      client.middlewareStack.remove(name);
      reader.destroy();
    },
  };
}
