/**
 * The validator's rule tests start from the sample lablet (which lints clean), change one thing
 * and read the diagnostics (validate-rules.test.ts, validate-package-rules.test.ts).
 */
import { validatePackage, type PodDefinitionFields } from '../../../shared/content/validate.ts';
import type { Diagnostic } from '../../../shared/content/diagnostics.ts';
import { sampleFiles } from './packages.ts';

export const LABLET = 'lablet-ospf-basics';
/** File → new text, or null to remove it. */
export type Changes = Record<string, string | null>;

/** The diagnostics of the sample lablet with the changes applied; none when it lints clean. */
export async function lint(...changes: Changes[]): Promise<Diagnostic[]> {
  const r = await validatePackage(sampleFiles(LABLET, Object.assign({}, ...changes) as Changes));
  return r.ok ? [] : r.diagnostics;
}

/** The fields a clean package yields (throws with the diagnostics otherwise). */
export async function fields(...changes: Changes[]): Promise<PodDefinitionFields> {
  const r = await validatePackage(sampleFiles(LABLET, Object.assign({}, ...changes) as Changes));
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.fields;
}

/** `rule pointer` of each diagnostic in `file`. */
export const found = (ds: Diagnostic[], file: string) =>
  ds.filter((d) => d.file === file).map((d) => `${d.rule} ${d.pointer}`);

/** `file rule pointer` of every diagnostic. */
export const all = (ds: Diagnostic[]) => ds.map((d) => `${d.file} ${d.rule} ${d.pointer}`);
