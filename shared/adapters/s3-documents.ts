/**
 * JSON documents in a bucket, referenced as `s3://<bucket>/<key>`: pod definition documents
 * (content), job reports (scenario) and part archives (orchestration). Records and payloads hold
 * the reference, never the document (DynamoDB items stay under 400 KB, states under 256 KiB).
 */
import type { S3Sdk } from '../runtime/aws.ts';

export const s3Ref = (bucket: string, key: string) => `s3://${bucket}/${key}`;

export function parseS3Ref(ref: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

/**
 * The client and its commands are passed in (D240), so this module imports no SDK package: a
 * handler that calls S3 on every invocation passes the commands it bundles (`s3Sdk`), one that
 * reads a document on some requests only loads S3 on the first (`s3SdkOnFirstUse`, D187).
 */
export class S3Documents {
  constructor(
    private readonly s3: S3Sdk,
    readonly bucket: string,
  ) {}

  /** Writes `document` as JSON at `key`; answers its reference. */
  async putAt(key: string, document: unknown): Promise<string> {
    const { client, PutObjectCommand } = this.s3;
    await client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(document),
        ContentType: 'application/json',
      }),
    );
    return s3Ref(this.bucket, key);
  }

  /** A pod definition's document (content sync's DocumentStore port). */
  put(id: string, document: unknown): Promise<string> {
    return this.putAt(`definitions/${id}.json`, document);
  }

  async get(ref: string): Promise<Record<string, unknown>> {
    const at = parseS3Ref(ref);
    if (!at) throw new Error(`not an s3 reference: ${ref}`);
    const { client, GetObjectCommand } = this.s3;
    const out = await client.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }));
    return JSON.parse(await out.Body!.transformToString()) as Record<string, unknown>;
  }
}
