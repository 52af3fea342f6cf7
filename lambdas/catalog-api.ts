/** GET /v1/session-definitions[/{type}] and GET /v1/forms (the resolution preview). */
import { httpHandler, route } from '../shared/api/http.ts';
import { catalogContracts as c } from '../shared/api/contracts/catalog.ts';
import {
  getDefinition,
  listDefinitions,
  previewForms,
  type PreviewQuery,
} from '../shared/catalog/service.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { documentClient } from '../shared/runtime/aws-dynamodb.ts';
import { env } from '../shared/runtime/env.ts';

const store = () => new StateStore(documentClient(), env('stateTable'));

export const handler = httpHandler([
  route<unknown, { profile?: string }, unknown>(c.listDefinitions, async (req) => ({
    status: 200,
    body: { items: await listDefinitions(store(), req.query.profile) },
  })),
  route<{ type: string }, unknown, unknown>(c.getDefinition, async (req) => ({
    status: 200,
    body: await getDefinition(store(), req.params.type),
  })),
  route<unknown, PreviewQuery, unknown>(c.previewForms, async (req) => ({
    status: 200,
    body: await previewForms(store(), req.query),
  })),
]);
