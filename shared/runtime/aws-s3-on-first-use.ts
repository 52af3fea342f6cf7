/**
 * S3 for the handlers that may never call it (the reconciler, the native steps, the fleet, the
 * workers, content and jobs APIs: D187, D188, D210–D212): the package is imported on the first
 * call and the client built then, with `perClients` and `s3Options` as `aws-s3.ts` builds it.
 * In a module of its own, imported by nothing a handler that bundles S3 reaches (D240): in such
 * a bundle esbuild resolves this `import()` to the bundled package and keeps all of it.
 */
import { perClients, s3Options, type S3Sdk } from './aws.ts';

export const s3SdkOnFirstUse: () => Promise<S3Sdk> = perClients(async () => {
  const { S3Client, GetObjectCommand, PutObjectCommand, NoSuchKey } = await import('@aws-sdk/client-s3');
  return { client: new S3Client(s3Options()), GetObjectCommand, PutObjectCommand, NoSuchKey };
});
