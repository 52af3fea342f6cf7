/**
 * The content API (request a sync, read definitions). Its cold start loads the state table's
 * client only (D210): a read of the list touches nothing else, S3 and Lambda load on the first
 * request that calls them, and the package reader with its yaml, schema compiler and jq (the sync
 * pipeline) on the first `POST /v1/content/sync`, which inspects the package before handing it on.
 */
import type { Form } from '../catalog/types.ts';
import { Problem } from '../domain/problem.ts';
import { env } from '../runtime/env.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { invokeEvent } from '../runtime/aws-on-first-use.ts';
import { s3SdkOnFirstUse } from '../runtime/aws-s3-on-first-use.ts';
import { PARTITIONS } from '../store/keys.ts';
import { StateStore, strip, type StoredItem } from '../store/state-store.ts';
import { S3Documents } from '../adapters/s3-documents.ts';
import { DynamoPodDefinitions } from './adapters.ts';
import { checkPodRef, identityOf } from './identity.ts';
import { fetchPackageWith, type SyncRequest } from './package-source.ts';
import type { PodDefinitionRecord } from './sync.ts';

export type { SyncRequest } from './package-source.ts';

const stateStore = () => new StateStore(documentClient(), env('stateTable'));

/**
 * POST /v1/content/sync: inspects the package (so the answer names the definition it will be),
 * refuses at once what would change a pod type under the forms that deliver it, and hands the
 * sync to the content-sync function asynchronously.
 */
export async function requestSync(req: SyncRequest) {
  const bytes = await fetchPackageWith(s3SdkOnFirstUse, req.source_uri);
  const { inspectPackage } = await import('./sync.ts');
  const { hash, result } = await inspectPackage(bytes);
  const { id, podType } = identityOf(req, result, hash);
  const contentId = result.ok ? result.fields.content_id : result.partial.content_id;
  if (contentId && podType !== 'unknown') {
    const forms = (await stateStore().queryPartition<StoredItem & Form>(PARTITIONS.forms)).filter(
      (f) => f.content_id === contentId,
    );
    for (const f of forms) checkPodRef(f.pod_ref, { pod_type: podType, definition_id: id });
  }
  const existing = await new DynamoPodDefinitions(stateStore()).get(id);
  await invokeEvent(env('contentSyncFunction'), req);
  return { pod_definition_id: id, status: existing?.status ?? 'defined', valid: result.ok };
}

/** A pod definition record as readers see it. */
const view = (r: PodDefinitionRecord) => {
  const { seed_hash: _s, ...rest } = strip(r as unknown as Record<string, unknown>);
  return rest;
};

export async function listPodDefinitions(name: string, limit = 25) {
  const items = await new DynamoPodDefinitions(stateStore()).listByName(name);
  return items.slice(0, limit).map(view);
}

/** A pod definition with its stored document (lifecycle, job definitions, connectors, topology…). */
export async function getPodDefinition(id: string) {
  const r = await new DynamoPodDefinitions(stateStore()).get(id);
  if (!r) throw new Problem('not-found', `no pod definition ${id}`);
  const document = r.document_ref
    ? await new S3Documents(await s3SdkOnFirstUse(), env('contentBucket')).get(r.document_ref)
    : {};
  const { lifecycle, jobs, ...doc } = document as { lifecycle?: unknown; jobs?: unknown };
  return {
    ...doc,
    ...view(r),
    ...(lifecycle ? { lifecycle } : {}),
    ...(jobs ? { job_definitions: jobs } : {}),
  };
}
