/**
 * A synced pod definition's document (its record in the state table, its body in the content
 * bucket). In a module of its own: the fleet, the native steps and the job services read pod
 * definitions, and importing them from `service.ts` loaded the whole content-sync pipeline (yaml,
 * yauzl, jq-wasm, ajv, the console adapter's ssh2) into their cold starts (D182). S3 is passed
 * in (D240): the job runner bundles the commands (every run reads a document), the fleet, the
 * workers API and the native steps load S3 on the first read (D187).
 */
import { Problem } from '../domain/problem.ts';
import { env } from '../runtime/env.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import type { S3Source } from '../runtime/aws.ts';
import { keys } from '../store/keys.ts';
import { StateStore, type StoredItem } from '../store/state-store.ts';
import { S3Documents } from '../adapters/s3-documents.ts';

/** The stored document of a synced pod definition (jobs, connectors, rubric, topology, files). */
export async function podDefinitionDocument(
  id: string,
  s3: S3Source,
  store = new StateStore(documentClient(), env('stateTable')),
): Promise<Record<string, unknown>> {
  const pd = await store.get<StoredItem & { document_ref?: string }>(keys.podDefinition(id));
  if (!pd?.document_ref) throw new Problem('not-found', `no synced pod definition ${id}`);
  return new S3Documents(await s3(), env('contentBucket')).get(pd.document_ref);
}
