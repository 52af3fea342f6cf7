/** DynamoDB clients (the raw one and the document client over it), see `aws.ts`. */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { perClients } from './aws.ts';

type SdkLogger = NonNullable<DynamoDBClientConfig['logger']>;

/**
 * The client's logger: silent, as the SDK's default, but without `info` (D270). The SDK's logger
 * middleware runs `logger?.info?.({ input: filter(args.input), output: filter(output) })` on
 * every request, and its default logger has an `info` that does nothing, so every DynamoDB call
 * walked the operation's schema twice to build redacted copies of its input and output
 * (`schemaLogFilter`) that nobody read: 2.9 % of the local runtime's busy time in the
 * orchestration profile. Without `info` the call and its arguments are skipped. `debug`, `warn`
 * and `error` stay no-ops (the SDK calls `logger?.debug(` without checking it exists).
 */
export const QUIET_SDK_LOGGER = {
  trace: () => undefined,
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} satisfies Omit<SdkLogger, 'info'> as unknown as SdkLogger;

export const dynamoClient: () => DynamoDBClient = perClients(
  () => new DynamoDBClient({ maxAttempts: 5, logger: QUIET_SDK_LOGGER }),
);

export const documentClient: () => DynamoDBDocumentClient = perClients(() =>
  DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  }),
);
