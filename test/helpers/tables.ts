/** Per-test tables on the shared emulator, created from the topology's own declarations. */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateStore } from '../../shared/store/state-store.ts';
import { createTable } from '../../infra/local/provision.ts';
import { system } from '../../infra/system.ts';
import type { TableName } from '../../infra/topology.ts';

export async function freshTable(
  kind: TableName,
): Promise<{ name: string; streamArn?: string; drop(): Promise<void> }> {
  const client = new DynamoDBClient({});
  const decl = system.tables.find((t) => t.name === kind)!;
  const name = `t-${kind}-${randomUUID().slice(0, 8)}`;
  const streamArn = await createTable(client, name, decl);
  return {
    name,
    streamArn,
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: name }));
      client.destroy();
    },
  };
}

/** A document client on the shared emulator, marshalling as the product's does. */
export const testDocumentClient = (): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

/** A fresh state table with a StateStore on it; `drop()` removes both. */
export async function freshStateStore(): Promise<{ store: StateStore; name: string; drop(): Promise<void> }> {
  const table = await freshTable('state');
  const doc = testDocumentClient();
  return {
    store: new StateStore(doc, table.name),
    name: table.name,
    drop: async () => {
      await table.drop();
      doc.destroy();
    },
  };
}
