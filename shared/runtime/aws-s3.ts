/** The S3 client, see `aws.ts`. Path-style addressing whenever S3 is not AWS itself (local emulator, LocalStack). */
import { S3Client } from '@aws-sdk/client-s3';
import { perClients } from './aws.ts';

export const s3Client: () => S3Client = perClients(() => {
  const local = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  return new S3Client({
    forcePathStyle: local,
    ...(local
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
});
