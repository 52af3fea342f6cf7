/**
 * S3 through s3rver, in-process, path-style, credentials S3RVER/S3RVER. Object-created
 * notifications are turned into the EventBridge "Object Created" events AWS sends for buckets
 * with EventBridge notifications on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { freePort } from './ports.ts';

export interface S3Local {
  endpoint: string;
  port: number;
  onObjectCreated(
    listener: (e: { bucket: string; key: string; size: number; etag: string; time: string }) => void,
  ): void;
  stop(): Promise<void>;
}

export async function startS3Local(opts: { port?: number; buckets: string[] }): Promise<S3Local> {
  const port = opts.port ?? (await freePort());
  const directory = await mkdtemp(join(tmpdir(), 'lcm-s3-'));
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: opts.buckets.map((name) => ({ name })),
  });
  await server.run();
  const listeners: ((e: {
    bucket: string;
    key: string;
    size: number;
    etag: string;
    time: string;
  }) => void)[] = [];
  server.on(
    'event',
    (event: {
      Records: {
        eventName: string;
        eventTime: string;
        s3: { bucket: { name: string }; object: { key: string; size: number; eTag: string } };
      }[];
    }) => {
      for (const r of event.Records ?? []) {
        if (!r.eventName.startsWith('ObjectCreated')) continue;
        const e = {
          bucket: r.s3.bucket.name,
          key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
          size: r.s3.object.size,
          etag: r.s3.object.eTag,
          time: r.eventTime,
        };
        for (const l of listeners) l(e);
      }
    },
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    onObjectCreated: (l) => void listeners.push(l),
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
