/**
 * AWS SDK clients, created once per process (per function identity, see `clients`). The EC2
 * client lives in `aws-ec2.ts`: it is the largest SDK client, and a handler pays for loading every
 * client this module imports on its cold start, whether it calls it or not (D101). Endpoints come only from the SDK's standard
 * variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), so the same code reaches AWS, the
 * local runtime, or a LocalStack deployment.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ECSClient } from '@aws-sdk/client-ecs';

interface Clients {
  raw?: DynamoDBClient;
  ddb?: DynamoDBDocumentClient;
  s3?: S3Client;
  eb?: EventBridgeClient;
  sfn?: SFNClient;
  lambda?: LambdaClient;
  secrets?: SecretsManagerClient;
  ecs?: ECSClient;
}

/**
 * One set of clients per function identity. In Lambda a process runs one function, so this is
 * one set; the local runtime runs every function in one process, each with its own credentials
 * (and so its own IAM grants), and a client must not carry one function's credentials into
 * another's calls.
 */
const sets = new Map<string, Clients>();
const identity = () => process.env.AWS_LAMBDA_FUNCTION_NAME ?? '';
function clients(): Clients {
  const id = identity();
  let c = sets.get(id);
  if (!c) sets.set(id, (c = {}));
  return c;
}

export function dynamoClient(): DynamoDBClient {
  const c = clients();
  c.raw ??= new DynamoDBClient({ maxAttempts: 5 });
  return c.raw;
}

export function documentClient(): DynamoDBDocumentClient {
  const c = clients();
  c.ddb ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
  return c.ddb;
}

/** Path-style addressing whenever S3 is not AWS itself (local emulator, LocalStack). */
export function s3Client(): S3Client {
  const c = clients();
  const local = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  c.s3 ??= new S3Client({
    forcePathStyle: local,
    ...(local
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
  return c.s3;
}

export function eventBridgeClient(): EventBridgeClient {
  const c = clients();
  c.eb ??= new EventBridgeClient({ maxAttempts: 5 });
  return c.eb;
}

export function sfnClient(): SFNClient {
  const c = clients();
  c.sfn ??= new SFNClient({ maxAttempts: 5 });
  return c.sfn;
}

export function secretsClient(): SecretsManagerClient {
  const c = clients();
  c.secrets ??= new SecretsManagerClient({ maxAttempts: 3 });
  return c.secrets;
}

export function lambdaClient(): LambdaClient {
  const c = clients();
  c.lambda ??= new LambdaClient({ maxAttempts: 3 });
  return c.lambda;
}

export function ecsClient(): ECSClient {
  const c = clients();
  c.ecs ??= new ECSClient({ maxAttempts: 3 });
  return c.ecs;
}

let generation = 0;

/**
 * `make()` once per set of clients: what holds a client (Powertools' idempotency persistence
 * layers) is built again after `resetClients()`, never left pointing at an old endpoint.
 */
export function perClients<T>(make: () => T): () => T {
  const built = new Map<string, { generation: number; value: T }>();
  return () => {
    const id = identity();
    let b = built.get(id);
    if (b?.generation !== generation) built.set(id, (b = { generation, value: make() }));
    return b.value;
  };
}

/** Tests and the local runtime re-point endpoints between runs. */
export function resetClients(): void {
  generation++;
  sets.clear();
}
