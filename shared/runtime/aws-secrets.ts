/** The Secrets Manager client, see `aws.ts`. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { perClients } from './aws.ts';

export const secretsClient: () => SecretsManagerClient = perClients(
  () => new SecretsManagerClient({ maxAttempts: 3 }),
);
