/** Creates the topology's tables (streams, GSIs, TTL) in DynamoDB Local. Idempotent. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { projectionOf, type TableDecl } from '../topology.ts';

export async function createTable(
  client: DynamoDBClient,
  name: string,
  decl: TableDecl,
): Promise<string | undefined> {
  const attrs = new Set([
    decl.partitionKey,
    decl.sortKey,
    ...decl.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: decl.partitionKey, KeyType: 'HASH' },
          { AttributeName: decl.sortKey, KeyType: 'RANGE' },
        ],
        ...(decl.indexes.length
          ? {
              GlobalSecondaryIndexes: decl.indexes.map((i) => ({
                IndexName: i.name,
                KeySchema: [
                  { AttributeName: i.partitionKey, KeyType: 'HASH' },
                  { AttributeName: i.sortKey, KeyType: 'RANGE' },
                ],
                Projection: projectionOf(i),
              })),
            }
          : {}),
        ...(decl.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: decl.stream } } : {}),
      }),
    );
    if (decl.ttlAttribute)
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: decl.ttlAttribute, Enabled: true },
        }),
      );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  const out = await client.send(new DescribeTableCommand({ TableName: name }));
  return out.Table?.LatestStreamArn;
}
