/** The Step Functions client, see `aws.ts`. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { perClients } from './aws.ts';
import { QUIET_SDK_LOGGER } from './sdk-logger.ts';

export const sfnClient: () => SFNClient = perClients(
  () => new SFNClient({ maxAttempts: 5, logger: QUIET_SDK_LOGGER }),
);
