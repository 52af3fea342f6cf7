/**
 * Catalog reads for the API and the scheduler: definitions and forms from the state table, with a
 * short in-process cache (a Lambda container serves many requests; the catalog changes rarely).
 * Exposure counters read through the cache may lag by the cache's age, which only nudges the
 * least-exposure choice; eligibility changes (a content sync) are visible within the same bound.
 */
import { CatalogRepository } from '../store/catalog-repo.ts';
import type { StateStore } from '../store/state-store.ts';
import type { Form, SessionDefinition } from './types.ts';

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

export function invalidateCatalogCache(): void {
  cache = undefined;
}
