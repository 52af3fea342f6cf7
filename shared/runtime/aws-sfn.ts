/** The Step Functions client, see `aws.ts`. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { perClients } from './aws.ts';

export const sfnClient: () => SFNClient = perClients(() => new SFNClient({ maxAttempts: 5 }));
