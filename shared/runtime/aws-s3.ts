/**
 * The S3 client, see `aws.ts` (its options, `s3Options`, too), and S3 as the adapters take it
 * (`S3Sdk`, D240) for the handlers that call S3 on every invocation (content sync, the job
 * runner): only the commands named here are bundled with them.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { perClients, s3Options, type S3Sdk } from './aws.ts';

export const s3Client: () => S3Client = perClients(() => new S3Client(s3Options()));

export const s3Sdk = (): S3Sdk => ({ client: s3Client(), GetObjectCommand, PutObjectCommand, NoSuchKey });
