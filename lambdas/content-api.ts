/** POST /v1/content/sync, GET /v1/pod-definitions[/{id}]. */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { httpHandler, route } from '../shared/api/http.ts';
import { contentContracts } from '../shared/api/contracts/content.ts';
import { checkPodRef, identityOf, inspectPackage, type PodDefinitionRecord } from '../shared/content/sync.ts';
import { fetchPackage } from '../shared/content/service.ts';
import { DynamoPodDefinitions, S3Documents } from '../shared/content/adapters.ts';
import { Problem } from '../shared/domain/problem.ts';
import type { Form } from '../shared/catalog/types.ts';
import { PARTITIONS } from '../shared/store/keys.ts';
import { StateStore, type StoredItem } from '../shared/store/state-store.ts';
import { strip } from '../shared/store/views.ts';
import { documentClient, lambdaClient, s3Client } from '../shared/runtime/aws.ts';
import { env } from '../shared/runtime/env.ts';
import { bodyLimits } from '../infra/topology.ts';
import { system } from '../infra/system.ts';
import { functionName } from '../infra/naming.ts';

const store = () => new StateStore(documentClient(), env('stateTable'));
const view = (r: PodDefinitionRecord) => {
  const { seed_hash: _s, ...rest } = strip(r as unknown as Record<string, unknown>);
  return rest;
};

export const handler = httpHandler(
  [
    route<unknown, unknown, { source_uri: string; name?: string; force?: boolean }>(
      contentContracts.sync,
      async (req) => {
        const bytes = await fetchPackage(req.body.source_uri);
        const { hash, result } = await inspectPackage(bytes);
        const { id, podType } = identityOf(req.body, result, hash);
        // Confirming the forms' pod refs must not change a pod type under them: refuse before syncing.
        const contentId = result.ok ? result.fields.content_id : result.partial.content_id;
        if (contentId && podType !== 'unknown') {
          const forms = (await store().queryPartition<StoredItem & Form>(PARTITIONS.forms)).filter(
            (f) => f.content_id === contentId,
          );
          for (const f of forms) checkPodRef(f.pod_ref, { pod_type: podType, definition_id: id });
        }
        const existing = await new DynamoPodDefinitions(store()).get(id);
        const fn = process.env.LCM_CONTENT_SYNC_FUNCTION ?? functionName(env('stage'), 'content-sync');
        await lambdaClient().send(
          new InvokeCommand({
            FunctionName: fn,
            InvocationType: 'Event',
            Payload: Buffer.from(JSON.stringify(req.body)),
          }),
        );
        return {
          status: 202,
          body: { pod_definition_id: id, status: existing?.status ?? 'defined', valid: result.ok },
          headers: { location: `/v1/pod-definitions/${id}` },
        };
      },
    ),
    route<unknown, { name: string; limit?: number }, unknown>(contentContracts.list, async (req) => {
      const items = (await new DynamoPodDefinitions(store()).listByName(req.query.name)).slice(
        0,
        req.query.limit ?? 25,
      );
      return { status: 200, body: { items: items.map(view) } };
    }),
    route<{ id: string }, unknown, unknown>(contentContracts.get, async (req) => {
      const r = await new DynamoPodDefinitions(store()).get(req.params.id);
      if (!r) throw new Problem('not-found', `no pod definition ${req.params.id}`);
      const document = r.document_ref
        ? await new S3Documents(s3Client(), env('contentBucket')).get(r.document_ref)
        : {};
      const { lifecycle, jobs, ...doc } = document as { lifecycle?: unknown; jobs?: unknown };
      return {
        status: 200,
        body: {
          ...doc,
          ...view(r),
          ...(lifecycle ? { lifecycle } : {}),
          ...(jobs ? { job_definitions: jobs } : {}),
        },
      };
    }),
  ],
  { maxBodyBytes: bodyLimits(system) },
);
