/** The EventBridge client, see `aws.ts`. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { perClients } from './aws.ts';

export const eventBridgeClient: () => EventBridgeClient = perClients(
  () => new EventBridgeClient({ maxAttempts: 5 }),
);
