/**
 * Reading a content package from the content bucket. S3 is passed in (D240): the content-sync
 * function bundles the commands it sends (it reads a package on every invocation), and the
 * content API loads S3 on the first sync request or document read (D210).
 */
import { Problem } from '../domain/problem.ts';
import type { S3Source } from '../runtime/aws.ts';
import { env } from '../runtime/env.ts';

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m)
    throw new Problem('validation-error', `not an s3:// URI: ${uri}`, {
      errors: [{ pointer: '/source_uri', detail: 's3://bucket/key.zip', rule: 'uri' }],
    });
  try {
    return { bucket: m[1]!, key: decodeURIComponent(m[2]!) };
  } catch {
    throw new Problem('bad-request', `the key of ${uri} is not valid percent-encoding`, {
      errors: [{ pointer: '/source_uri', detail: 'malformed percent-escape in the key', rule: 'uri' }],
    });
  }
}

const MAX_PACKAGE_BYTES = 100 * 1024 * 1024;

/** The package at `uri`, which must be in the content bucket. */
export async function fetchPackageWith(s3: S3Source, uri: string): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(uri);
  if (bucket !== env('contentBucket'))
    throw new Problem(
      'validation-error',
      `packages are read from the content bucket ${env('contentBucket')}`,
      { errors: [{ pointer: '/source_uri', detail: 'another bucket', rule: 'bucket' }] },
    );
  const { client, GetObjectCommand, NoSuchKey } = await s3();
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((out.ContentLength ?? 0) > MAX_PACKAGE_BYTES)
      throw new Problem('payload-too-large', `the package is larger than ${MAX_PACKAGE_BYTES} bytes`);
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (e) {
    if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey')
      throw new Problem('not-found', `no object at ${uri}`);
    throw e;
  }
}

export interface SyncRequest {
  source_uri: string;
  name?: string;
  force?: boolean;
}
