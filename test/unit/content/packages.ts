/** Test helpers: sample packages (seeds/content) zipped in memory, with optional changes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesBelow, zipEntries } from '../../../infra/local/sample-content.ts';
import { parse, stringify } from 'yaml';

export const CONTENT = new URL('../../../seeds/content/', import.meta.url).pathname;

export const filesOf = (dir: string): Map<string, Buffer> => filesBelow(join(CONTENT, dir));

export const zip = zipEntries;

/** A sample package's files (what `readZip` gives for its zip), with changes: path → text, or null to delete. */
export function sampleFiles(dir: string, changes: Record<string, string | null> = {}): Map<string, Buffer> {
  const files = filesOf(dir);
  for (const [p, v] of Object.entries(changes)) {
    if (v === null) files.delete(p);
    else files.set(p, Buffer.from(v));
  }
  return files;
}

export async function samplePackage(
  dir: string,
  changes: Record<string, string | null> = {},
): Promise<Buffer> {
  return zip(sampleFiles(dir, changes));
}

/** A sample package's YAML file as text after `edit` changed its parsed value: `{ [path]: text }`. */
export function editedYaml<T = unknown>(
  dir: string,
  path: string,
  edit: (doc: T) => void,
): Record<string, string> {
  const doc = parse(filesOf(dir).get(path)!.toString('utf8')) as T;
  edit(doc);
  return { [path]: stringify(doc) };
}

export interface BrokenCase {
  name: string;
  file: string;
  rule: string;
  changes: Record<string, string | null>;
}
export const brokenCases = (): BrokenCase[] =>
  (parse(readFileSync(join(CONTENT, 'broken/cases.yaml'), 'utf8')) as { cases: BrokenCase[] }).cases;
