/** DynamoDB clients (the raw one and the document client over it), see `aws.ts`. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QUIET_SDK_LOGGER } from './sdk-logger.ts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { perClients } from './aws.ts';

export { QUIET_SDK_LOGGER } from './sdk-logger.ts';

export const dynamoClient: () => DynamoDBClient = perClients(
  () => new DynamoDBClient({ maxAttempts: 5, logger: QUIET_SDK_LOGGER }),
);

export const documentClient: () => DynamoDBDocumentClient = perClients(() =>
  DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  }),
);
