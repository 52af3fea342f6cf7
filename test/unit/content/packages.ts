/** Test helpers: sample packages (seeds/content) zipped in memory, with optional changes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesBelow, zipEntries } from '../../../infra/local/sample-content.ts';
import { parse } from 'yaml';

export const CONTENT = new URL('../../../seeds/content/', import.meta.url).pathname;

export const filesOf = (dir: string): Map<string, Buffer> => filesBelow(join(CONTENT, dir));

export const zip = zipEntries;

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
