/** Test helpers: sample packages (seeds/content) zipped in memory, with optional changes. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import yazl from 'yazl';
import { parse } from 'yaml';

export const CONTENT = new URL('../../../seeds/content/', import.meta.url).pathname;

export function filesOf(dir: string): Map<string, Buffer> {
  const root = join(CONTENT, dir);
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

export function zip(
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

export async function samplePackage(
  dir: string,
  changes: Record<string, string | null> = {},
): Promise<Buffer> {
  const files = filesOf(dir);
  for (const [p, v] of Object.entries(changes)) {
    if (v === null) files.delete(p);
    else files.set(p, Buffer.from(v));
  }
  return zip(files);
}

export interface BrokenCase {
  name: string;
  file: string;
  rule: string;
  changes: Record<string, string | null>;
}
export const brokenCases = (): BrokenCase[] =>
  (parse(readFileSync(join(CONTENT, 'broken/cases.yaml'), 'utf8')) as { cases: BrokenCase[] }).cases;
