/** The ECS client, see `aws.ts`. */
import { ECSClient } from '@aws-sdk/client-ecs';
import { perClients } from './aws.ts';

export const ecsClient: () => ECSClient = perClients(() => new ECSClient({ maxAttempts: 3 }));
