/**
 * `npm start` publishes the sample PAv1 packages of seeds/content (not the broken ones) to the
 * local content bucket, exactly as an author would: the upload's S3 event triggers content sync,
 * so the sample lablet's form is deliverable a few seconds after start-up.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import yazl from 'yazl';

export function samplePackageDirs(root: string): string[] {
  const dir = join(root, 'seeds', 'content');
  return readdirSync(dir)
    .filter((n) => n !== 'broken' && statSync(join(dir, n)).isDirectory())
    .filter((n) => statSync(join(dir, n, 'PAv1')).isDirectory())
    .sort()
    .map((n) => join(dir, n));
}

/** A zip of the given entries, byte-for-byte reproducible (fixed times, sorted by the caller). */
export function zipEntries(
  files: Map<string, Buffer | string>,
  opts: { modes?: Record<string, number>; compress?: boolean } = {},
): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of files)
    z.addBuffer(Buffer.isBuffer(data) ? data : Buffer.from(data), name, {
      mtime: new Date(0),
      mode: opts.modes?.[name] ?? 0o100644,
      compress: opts.compress ?? true,
    });
  z.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

/** Every file below `dir`, by path relative to it, in sorted order. */
export function filesBelow(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

export const zipDir = (dir: string): Promise<Buffer> => zipEntries(filesBelow(dir));

/** Puts packages into the local content bucket (each upload triggers content sync). */
export async function putContent(env: Record<string, string>, packages: { key: string; body: Buffer }[]) {
  const s3 = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL_S3,
    region: env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    for (const p of packages)
      await s3.send(
        new PutObjectCommand({
          Bucket: env.LCM_CONTENT_BUCKET,
          Key: p.key,
          Body: p.body,
          ContentType: 'application/zip',
        }),
      );
  } finally {
    s3.destroy();
  }
}

/** Uploads every sample package; returns their names. */
export async function publishSampleContent(root: string, env: Record<string, string>): Promise<string[]> {
  const dirs = samplePackageDirs(root);
  const names = dirs.map((d) => d.split('/').at(-1)!);
  await putContent(
    env,
    await Promise.all(dirs.map(async (d, i) => ({ key: `samples/${names[i]}.zip`, body: await zipDir(d) }))),
  );
  return names;
}
