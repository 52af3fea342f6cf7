/**
 * The catalog the local e2e runtime starts with: the repository's seeds plus definitions that
 * exist only to be refused, which the product's own seeds must never carry. Written to a folder
 * of its own and handed to the runtime through LCM_SEEDS_DIR (as the fleet tests do).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

/** A CCDE design exam whose four COR parts each admit one part from their shared selector (issue 15, finding 3). */
export const PARTS_COUNT_MISMATCH = 'E2E-CCDE-Parts-Count-1';

interface Definitions {
  definitions: { session_type: string; parts: { requirements?: Record<string, unknown> }[] }[];
}

export function e2eSeedsDir(root = resolve(import.meta.dirname, '../../..')): string {
  const dir = mkdtempSync(join(tmpdir(), 'lcm-e2e-seeds-'));
  cpSync(join(root, 'seeds'), dir, { recursive: true });
  const file = join(dir, 'session-definitions.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as Definitions;
  const ccde = doc.definitions.find((d) => d.session_type === 'CCDE-Design-Exam');
  if (!ccde) throw new Error('seeds/session-definitions.yaml has no CCDE-Design-Exam to derive from');
  const mismatch = structuredClone(ccde);
  mismatch.session_type = PARTS_COUNT_MISMATCH;
  for (const p of mismatch.parts) p.requirements = { ...p.requirements, parts_count: 1 };
  doc.definitions.push(mismatch);
  writeFileSync(file, stringify(doc, { aliasDuplicateObjects: false }));
  return dir;
}
