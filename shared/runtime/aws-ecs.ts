/** The ECS client, see `aws.ts`. */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ECS_OPTIONS, perClients } from './aws.ts';

export const ecsClient: () => ECSClient = perClients(() => new ECSClient(ECS_OPTIONS));
