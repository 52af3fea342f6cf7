/**
 * AWS SDK clients, created once per process. Endpoints come only from the SDK's standard
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

let raw: DynamoDBClient | undefined;
let ddb: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let eb: EventBridgeClient | undefined;
let sfn: SFNClient | undefined;
let lambda: LambdaClient | undefined;
let secrets: SecretsManagerClient | undefined;
let ecs: ECSClient | undefined;

export function dynamoClient(): DynamoDBClient {
  raw ??= new DynamoDBClient({ maxAttempts: 5 });
  return raw;
}

export function documentClient(): DynamoDBDocumentClient {
  ddb ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
  return ddb;
}

/** Path-style addressing whenever S3 is not AWS itself (local emulator, LocalStack). */
export function s3Client(): S3Client {
  const local = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  s3 ??= new S3Client({
    forcePathStyle: local,
    ...(local
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
  return s3;
}

export function eventBridgeClient(): EventBridgeClient {
  eb ??= new EventBridgeClient({ maxAttempts: 5 });
  return eb;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient({ maxAttempts: 5 });
  return sfn;
}

export function secretsClient(): SecretsManagerClient {
  secrets ??= new SecretsManagerClient({ maxAttempts: 3 });
  return secrets;
}

export function lambdaClient(): LambdaClient {
  lambda ??= new LambdaClient({ maxAttempts: 3 });
  return lambda;
}

export function ecsClient(): ECSClient {
  ecs ??= new ECSClient({ maxAttempts: 3 });
  return ecs;
}

let generation = 0;

/**
 * `make()` once per set of clients: what holds a client (Powertools' idempotency persistence
 * layers) is built again after `resetClients()`, never left pointing at an old endpoint.
 */
export function perClients<T>(make: () => T): () => T {
  let built: { generation: number; value: T } | undefined;
  return () => {
    if (built?.generation !== generation) built = { generation, value: make() };
    return built.value;
  };
}

/** Tests and the local runtime re-point endpoints between runs. */
export function resetClients(): void {
  generation++;
  raw = undefined;
  ddb = undefined;
  s3 = undefined;
  eb = undefined;
  sfn = undefined;
  lambda = undefined;
  secrets = undefined;
  ecs = undefined;
}
