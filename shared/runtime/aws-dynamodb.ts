/** DynamoDB clients (the raw one and the document client over it), see `aws.ts`. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { perClients } from './aws.ts';

export const dynamoClient: () => DynamoDBClient = perClients(() => new DynamoDBClient({ maxAttempts: 5 }));

export const documentClient: () => DynamoDBDocumentClient = perClients(() =>
  DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  }),
);
