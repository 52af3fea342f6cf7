/** POST /v1/content/sync, GET /v1/pod-definitions[/{id}]. */
import { httpHandler, route } from '../shared/api/http.ts';
import { contentContracts as c } from '../shared/api/contracts/content.ts';
import {
  getPodDefinition,
  listPodDefinitions,
  requestSync,
  type SyncRequest,
} from '../shared/content/api.ts';

export const handler = httpHandler([
  route<unknown, unknown, SyncRequest>(c.sync, async (req) => {
    const out = await requestSync(req.body);
    return { status: 202, body: out, headers: { location: `/v1/pod-definitions/${out.pod_definition_id}` } };
  }),
  route<unknown, { name: string; limit?: number }, unknown>(c.list, async (req) => ({
    status: 200,
    body: { items: await listPodDefinitions(req.query.name, req.query.limit) },
  })),
  route<{ id: string }, unknown, unknown>(c.get, async (req) => ({
    status: 200,
    body: await getPodDefinition(req.params.id),
  })),
]);
