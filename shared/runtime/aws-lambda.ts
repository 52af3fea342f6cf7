/** The Lambda client, see `aws.ts`. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LAMBDA_OPTIONS, perClients } from './aws.ts';

export const lambdaClient: () => LambdaClient = perClients(() => new LambdaClient(LAMBDA_OPTIONS));
