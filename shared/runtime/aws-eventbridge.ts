/** The EventBridge client, see `aws.ts`. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { perClients } from './aws.ts';
import { QUIET_SDK_LOGGER } from './sdk-logger.ts';

export const eventBridgeClient: () => EventBridgeClient = perClients(
  () => new EventBridgeClient({ maxAttempts: 5, logger: QUIET_SDK_LOGGER }),
);
