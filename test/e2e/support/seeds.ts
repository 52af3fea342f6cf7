/**
 * The catalog the local e2e runtime starts with: the repository's seeds plus definitions that
 * exist only to be refused and a form that exists only for the fleet test, which the product's
 * own seeds must never carry. Written to a folder
 * of its own and handed to the runtime through LCM_SEEDS_DIR (as the fleet tests do).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * A CCIE EI DOO form whose content (synced by the fleet e2e test, content id
 * `e2e-ccie-ei-doo-ahead`) needs more cores than the warm minimum's template offers (issue 13's
 * "from zero running workers" case). Its exposure count keeps it out of unpinned bookings.
 */
export const DOO_AHEAD_FORM = 'Exam CCIE EI v1.1 DOO AHEAD-1';
export const DOO_AHEAD_CONTENT = 'e2e-ccie-ei-doo-ahead';
/** The e2e runtime's fleet margin (seeds/workers.yaml has 3): see below. */
export const E2E_FLEET_MARGIN_MINUTES = 30;

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
  const formsFile = join(dir, 'forms.yaml');
  const forms = parse(readFileSync(formsFile, 'utf8')) as { forms: Record<string, unknown>[] };
  forms.forms.push({
    fqn: DOO_AHEAD_FORM,
    version: '1',
    status: 'published',
    content_id: DOO_AHEAD_CONTENT,
    pod_ref: { pod_type: 'cml_on_aws', status: 'ready' },
    exposure_count: 1000,
  });
  writeFileSync(formsFile, stringify(forms, { aliasDuplicateObjects: false }));
  // The fleet asks for a worker boot + margin before a pod provisions. At ×600 the product's 3 min
  // margin is 0.3 s of quiet wall time, which one fleet pass on a loaded machine can outlast; 30
  // min keeps "launched ahead" a property of the rule, not of the machine's speed (D207).
  const workersFile = join(dir, 'workers.yaml');
  const fleet = parse(readFileSync(workersFile, 'utf8')) as { fleet: { margin_minutes: number } };
  fleet.fleet.margin_minutes = E2E_FLEET_MARGIN_MINUTES;
  writeFileSync(workersFile, stringify(fleet));
  return dir;
}
