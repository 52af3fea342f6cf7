/**
 * A pod definition's document: its record in the state table, its body read from S3, through S3
 * loaded on the first read (D187) or the commands a handler bundles (D240).
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { podDefinitionDocument } from '../../../shared/content/pod-definitions.ts';
import { resetClients } from '../../../shared/runtime/aws.ts';
import { s3Sdk } from '../../../shared/runtime/aws-s3.ts';
import { s3SdkOnFirstUse } from '../../../shared/runtime/aws-s3-on-first-use.ts';
import type { StateStore } from '../../../shared/store/state-store.ts';

const s3 = mockClient(S3Client);
afterEach(() => {
  s3.reset();
  resetClients();
});

const storeWith = (item: unknown) => ({ get: async () => item }) as unknown as StateStore;

describe.each([
  ['S3 on first use', s3SdkOnFirstUse],
  ['S3 bundled', s3Sdk],
] as const)('podDefinitionDocument (%s)', (_, source) => {
  it('reads the document its record references, with one GetObject', async () => {
    process.env.LCM_CONTENT_BUCKET = 'content-bucket';
    s3.on(GetObjectCommand).resolves({
      Body: { transformToString: async () => '{"id":"pd1","jobs":{}}' } as never,
    });
    const doc = await podDefinitionDocument(
      'pd1',
      source,
      storeWith({ document_ref: 's3://content-bucket/definitions/pd1.json' }),
    );
    expect(doc).toEqual({ id: 'pd1', jobs: {} });
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'content-bucket', Key: 'definitions/pd1.json' },
    ]);
  });

  it('is a not-found problem, with no S3 call, when the definition was never synced', async () => {
    await expect(podDefinitionDocument('nope', source, storeWith(undefined))).rejects.toMatchObject({
      kind: 'not-found',
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
