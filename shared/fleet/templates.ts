/** Worker templates, as seeded into the state table (seeds/worker-templates.yaml → CATALOG#WORKERTPL). */
import type { WorkerTemplate } from '../domain/worker.ts';
import { CatalogRepository } from '../store/catalog-repo.ts';
import { strip, type StateStore } from '../store/state-store.ts';

export async function workerTemplates(store: StateStore): Promise<WorkerTemplate[]> {
  const items = await new CatalogRepository(store).listWorkerTemplates<Record<string, unknown>>();
  return items.map((t) => strip(t) as unknown as WorkerTemplate);
}
