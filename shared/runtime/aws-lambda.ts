/** The Lambda client, see `aws.ts`. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { perClients } from './aws.ts';

export const lambdaClient: () => LambdaClient = perClients(() => new LambdaClient({ maxAttempts: 3 }));
