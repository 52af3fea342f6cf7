/**
 * The registry behind every AWS SDK client: one client per process and function identity, built
 * on first use and again after `resetClients()`. Each client lives in a module of its own
 * (`aws-dynamodb.ts`, `aws-s3.ts`, … `aws-ec2.ts`), and this module imports no SDK package: a
 * handler loads, on its cold start, only the SDK clients its code reaches (D101, D181). Endpoints
 * come only from the SDK's standard variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), so
 * the same code reaches AWS, the local runtime, or a LocalStack deployment.
 */
import type { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { QUIET_SDK_LOGGER } from './sdk-logger.ts';

/**
 * One set of clients per function identity. In Lambda a process runs one function, so this is
 * one set; the local runtime runs every function in one process, each with its own credentials
 * (and so its own IAM grants), and a client must not carry one function's credentials into
 * another's calls.
 */
const identity = () => process.env.AWS_LAMBDA_FUNCTION_NAME ?? '';

let generation = 0;

/**
 * `make()` once per function identity and set of clients: every SDK client is built with it, and
 * so is what holds a client (Powertools' idempotency persistence layers), never left pointing at
 * an old endpoint after `resetClients()`.
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
}

/**
 * S3 as the document and package adapters use it: the client and the commands they send, passed
 * in (D240). A handler that reads or writes S3 on every invocation passes `s3Sdk` (`aws-s3.ts`:
 * the client and these commands imported statically, so its bundle carries them and nothing else
 * of S3); one that may never call S3 passes `s3SdkOnFirstUse` (`aws-s3-on-first-use.ts`: the
 * package imported on the first call). A dynamic `import('@aws-sdk/client-s3')` anywhere in a
 * bundle that also imports S3 statically made esbuild keep the whole package: every command, the
 * aggregated client and their schemas.
 */
export interface S3Sdk {
  client: S3Client;
  GetObjectCommand: typeof GetObjectCommand;
  PutObjectCommand: typeof PutObjectCommand;
  NoSuchKey: typeof NoSuchKey;
}
/** Where an adapter takes S3 from, at its first call (`s3Sdk` or `s3SdkOnFirstUse`). */
export type S3Source = () => S3Sdk | Promise<S3Sdk>;

/** The S3 client's options: path-style addressing whenever S3 is not AWS itself (local emulator, LocalStack). */
export function s3Options() {
  const local = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  return {
    logger: QUIET_SDK_LOGGER,
    forcePathStyle: local,
    ...(local
      ? {
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  };
}

/** The ECS and Lambda clients' options, for their modules and for the clients built on first use (`aws-on-first-use.ts`). */
export const ECS_OPTIONS = { maxAttempts: 3, logger: QUIET_SDK_LOGGER };
export const LAMBDA_OPTIONS = { maxAttempts: 3, logger: QUIET_SDK_LOGGER };
export const SECRETS_OPTIONS = { maxAttempts: 3, logger: QUIET_SDK_LOGGER };
