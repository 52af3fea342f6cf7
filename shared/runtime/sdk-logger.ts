/**
 * The logger every SDK client of the product and of the local runtime is built with (D270, D237).
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

type SdkLogger = NonNullable<DynamoDBClientConfig['logger']>;

/**
 * The client's logger: silent, as the SDK's default, but without `info` (D270). The SDK's logger
 * middleware runs `logger?.info?.({ input: filter(args.input), output: filter(output) })` on
 * every request, and its default logger has an `info` that does nothing, so every DynamoDB call
 * walked the operation's schema twice to build redacted copies of its input and output
 * (`schemaLogFilter`) that nobody read: 2.9 % of the local runtime's busy time in the
 * orchestration profile. Without `info` the call and its arguments are skipped. `debug`, `warn`
 * and `error` stay no-ops (the SDK calls `logger?.debug(` without checking it exists). Every
 * client is built with it since D237 (EventBridge, Step Functions, Lambda, ECS, S3, EC2, Secrets
 * Manager, and the local runtime's own: its stream pollers read a DynamoDB stream all along).
 */
export const QUIET_SDK_LOGGER = {
  trace: () => undefined,
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} satisfies Omit<SdkLogger, 'info'> as unknown as SdkLogger;
