/**
 * The CML workers' instances (AWS_ENDPOINT_URL_EC2 points it at the local runtime's EC2), once
 * per function identity and again after `resetClients()`, like every client in `aws.ts`. In a
 * module of its own because `@aws-sdk/client-ec2` is the largest SDK client: loading it was most
 * of the cold import of a handler that never calls EC2 (D101). Import it only where EC2 is used.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { perClients } from './aws.ts';
import { QUIET_SDK_LOGGER } from './sdk-logger.ts';

export const ec2Client: () => EC2Client = perClients(
  () => new EC2Client({ maxAttempts: 5, logger: QUIET_SDK_LOGGER }),
);
