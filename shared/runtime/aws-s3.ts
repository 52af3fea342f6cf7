/** The S3 client, see `aws.ts` (its options, `s3Options`, too). */
import { S3Client } from '@aws-sdk/client-s3';
import { perClients, s3Options } from './aws.ts';

export const s3Client: () => S3Client = perClients(() => new S3Client(s3Options()));
