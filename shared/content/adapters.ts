/** The sync's ports on DynamoDB: pod definitions and the forms that deliver them. */
import { PARTITIONS, keys } from '../store/keys.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';
import type { Form, PodRef } from '../catalog/types.ts';
import type { FormConfirmer, PodDefinitionRecord, PodDefinitionRepository } from './sync.ts';
import { checkPodRef } from './identity.ts';

export class DynamoPodDefinitions implements PodDefinitionRepository {
  constructor(private readonly store: StateStore) {}
  get(id: string) {
    return this.store.get(keys.podDefinition(id)) as Promise<(PodDefinitionRecord & StoredItem) | undefined>;
  }
  async listByName(name: string): Promise<PodDefinitionRecord[]> {
    const out: PodDefinitionRecord[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.store.queryIndex<PodDefinitionRecord>(
        'gsi1',
        'gsi1pk',
        keys.podDefinitionByName(name),
        { cursor, forward: false },
      );
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }
  put(r: PodDefinitionRecord, expectedVersion: number | null) {
    const clean = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
    return this.store.put(
      {
        ...keys.podDefinition(r.id),
        gsi1pk: keys.podDefinitionByName(r.name),
        gsi1sk: `${r.created_at}#${r.id}`,
        entity: 'pod_definition',
        ...clean,
        state_version: r.state_version,
      } as StoredItem,
      expectedVersion,
    );
  }
}

/** Confirms the pod ref of every form that delivers this content, conditionally, re-reading on a race. */
export class StoreFormConfirmer implements FormConfirmer {
  constructor(
    private readonly store: StateStore,
    private readonly now: () => string,
  ) {}
  async confirm(contentId: string, ref: PodRef & { definition_id: string }): Promise<number> {
    const forms = (await this.store.queryPartition<StoredItem & Form>(PARTITIONS.forms)).filter(
      (f) => f.content_id === contentId,
    );
    // Every form is checked before any is written: a refusal changes nothing.
    for (const f of forms) checkPodRef(f.pod_ref, ref);
    let n = 0;
    for (const f of forms) {
      let wrote = false;
      await this.store.update<StoredItem & Form>(keys.form(f.fqn, f.version), (cur) => {
        wrote = !(cur.pod_ref?.definition_id === ref.definition_id && cur.pod_ref.status === 'ready');
        return wrote ? { ...cur, pod_ref: ref, updated_at: this.now() } : undefined;
      });
      if (wrote) n++;
    }
    return n;
  }
}
