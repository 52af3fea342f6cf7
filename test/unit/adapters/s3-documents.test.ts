/**
 * The S3 adapters send the commands they are given (D240): `S3Documents` (pod definition
 * documents, job reports and outputs, session reports, archives) and the content package read,
 * with S3 bundled (`s3Sdk`: content sync, the job runner) or loaded on first use
 * (`s3SdkOnFirstUse`: every other handler), the same requests and the same answers.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3Documents } from '../../../shared/adapters/s3-documents.ts';
import { fetchPackageWith } from '../../../shared/content/package-source.ts';
import { resetClients, type S3Source } from '../../../shared/runtime/aws.ts';
import { s3Sdk } from '../../../shared/runtime/aws-s3.ts';
import { s3SdkOnFirstUse } from '../../../shared/runtime/aws-s3-on-first-use.ts';

const s3 = mockClient(S3Client);
beforeEach(() => {
  process.env.AWS_REGION = 'us-east-1';
  process.env.LCM_CONTENT_BUCKET = 'content-bucket';
});
afterEach(() => {
  s3.reset();
  resetClients();
});

const SOURCES: [string, S3Source][] = [
  ['S3 bundled', s3Sdk],
  ['S3 on first use', s3SdkOnFirstUse],
];

describe.each(SOURCES)('S3Documents (%s)', (_, source) => {
  it('writes a document as JSON at its key and answers its reference', async () => {
    s3.on(PutObjectCommand).resolves({});
    const docs = new S3Documents(await source(), 'artefacts');
    expect(await docs.putAt('reports/j1/s1.json', { ok: true, n: 1 })).toBe(
      's3://artefacts/reports/j1/s1.json',
    );
    expect(await docs.put('pd1', { id: 'pd1' })).toBe('s3://artefacts/definitions/pd1.json');
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'artefacts',
        Key: 'reports/j1/s1.json',
        Body: '{"ok":true,"n":1}',
        ContentType: 'application/json',
      },
      {
        Bucket: 'artefacts',
        Key: 'definitions/pd1.json',
        Body: '{"id":"pd1"}',
        ContentType: 'application/json',
      },
    ]);
  });

  it('reads the document a reference names, in any bucket, and refuses what is not a reference', async () => {
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => '{"a":[1,2]}' } as never });
    const docs = new S3Documents(await source(), 'artefacts');
    expect(await docs.get('s3://content-bucket/definitions/pd1.json')).toEqual({ a: [1, 2] });
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'content-bucket', Key: 'definitions/pd1.json' },
    ]);
    await expect(docs.get('https://example.com/x.json')).rejects.toThrow('not an s3 reference');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });
});

describe.each(SOURCES)('the content package read (%s)', (_, source) => {
  it('reads the package from the content bucket, its key percent-decoded', async () => {
    s3.on(GetObjectCommand).resolves({
      ContentLength: 3,
      Body: { transformToByteArray: async () => new Uint8Array([1, 2, 3]) } as never,
    });
    const bytes = await fetchPackageWith(source, 's3://content-bucket/pkgs/my%20pod.zip');
    expect([...bytes]).toEqual([1, 2, 3]);
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'content-bucket', Key: 'pkgs/my pod.zip' },
    ]);
  });

  it('answers not-found for a missing object (the SDK error class the source carries)', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    await expect(fetchPackageWith(source, 's3://content-bucket/none.zip')).rejects.toMatchObject({
      kind: 'not-found',
    });
  });

  it('refuses a package over 100 MB and one in another bucket (no call)', async () => {
    s3.on(GetObjectCommand).resolves({ ContentLength: 100 * 1024 * 1024 + 1 });
    await expect(fetchPackageWith(source, 's3://content-bucket/big.zip')).rejects.toMatchObject({
      kind: 'payload-too-large',
    });
    await expect(fetchPackageWith(source, 's3://other/p.zip')).rejects.toMatchObject({
      kind: 'validation-error',
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });
});
