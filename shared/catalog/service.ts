/**
 * Catalog reads for the API and the scheduler: definitions and forms from the state table, with a
 * short in-process cache (a Lambda container serves many requests; the catalog changes rarely).
 * Exposure counters read through the cache may lag by the cache's age, which only nudges the
 * least-exposure choice; eligibility changes (a content sync) are visible within the same bound.
 */
import { Problem } from '../domain/problem.ts';
import { CatalogRepository } from '../store/catalog-repo.ts';
import { strip, type StateStore } from '../store/state-store.ts';
import { candidates } from './resolve.ts';
import { formKey, type Form, type Requirements, type SessionDefinition } from './types.ts';

const CACHE_MS = 5_000;
let cache: { at: number; definitions: SessionDefinition[]; forms: Form[] } | undefined;

export async function loadCatalog(
  store: StateStore,
  now = Date.now(),
): Promise<{ definitions: SessionDefinition[]; forms: Form[] }> {
  if (cache && now - cache.at < CACHE_MS) return cache;
  const repo = new CatalogRepository(store);
  const [definitions, forms] = await Promise.all([
    repo.listSessionDefinitions<SessionDefinition>(),
    repo.listForms<Form>(),
  ]);
  cache = { at: now, definitions, forms };
  return cache;
}

/** A catalog document as readers see it: no keys, no seeding or concurrency marks. */
const publicDoc = (x: object) => {
  const { seed_hash: _h, state_version: _v, ...rest } = strip(x as Record<string, unknown>);
  return rest;
};

export async function listDefinitions(store: StateStore, profile?: string) {
  const { definitions } = await loadCatalog(store);
  return definitions.filter((d) => !profile || d.profile === profile).map(publicDoc);
}

export async function getDefinition(store: StateStore, sessionType: string) {
  const { definitions } = await loadCatalog(store);
  const d = definitions.find((x) => x.session_type === sessionType);
  if (!d) throw new Problem('not-found', `no session definition "${sessionType}"`);
  return publicDoc(d);
}

export interface PreviewQuery {
  selector?: string;
  track_type?: string;
  track_level?: string;
  track_acronym?: string;
  exam_version?: string;
  module_acronym?: string;
  requires_pod?: boolean;
  include_rejected?: boolean;
  limit?: number;
}

const list = (v?: string) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

/** The resolution preview: which forms a selector and requirements admit, and why the others not. */
export async function previewForms(store: StateStore, q: PreviewQuery) {
  const requirements: Requirements = {
    ...(list(q.track_type) ? { track_types: list(q.track_type) } : {}),
    ...(list(q.track_level) ? { track_levels: list(q.track_level) } : {}),
    ...(list(q.track_acronym) ? { track_acronyms: list(q.track_acronym) } : {}),
    ...(list(q.exam_version) ? { exam_versions: list(q.exam_version) } : {}),
    ...(list(q.module_acronym) ? { module_acronyms: list(q.module_acronym) } : {}),
    ...(q.requires_pod !== undefined ? { requires_pod: q.requires_pod } : {}),
  };
  const { forms } = await loadCatalog(store);
  let c;
  try {
    c = candidates(forms, q.selector ?? '**', requirements);
  } catch (e) {
    if (e instanceof Problem)
      throw new Problem('validation-error', e.message, {
        errors: [{ pointer: '/query/selector', detail: e.message, rule: 'selector' }],
      });
    throw e;
  }
  const limit = q.limit ?? 100;
  return {
    selector: q.selector ?? '**',
    requirements,
    counts: c.counts,
    admitted: c.admitted.slice(0, limit).map((f) => ({
      id: formKey(f),
      fqn: f.fqn,
      version: f.version,
      status: f.status,
      exposure_count: f.exposure_count ?? 0,
      pod_type: f.pod_ref?.pod_type ?? 'none',
    })),
    ...(q.include_rejected ? { rejected: c.rejected.slice(0, limit) } : {}),
  };
}
