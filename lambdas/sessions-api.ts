/** The sessions API: schedule, read, list, cancel, extend; end a part; review a part. */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { decodeCursor, encodeCursor, httpHandler, route } from '../shared/api/http.ts';
import { sessionsContracts } from '../shared/api/contracts/sessions.ts';
import { planSession, type CreateSessionRequest } from '../shared/catalog/plan.ts';
import { loadCatalog } from '../shared/catalog/service.ts';
import type { Form } from '../shared/catalog/types.ts';
import { standardPhases } from '../shared/content/standard.ts';
import { newSessionId } from '../shared/domain/ids.ts';
import { Problem } from '../shared/domain/problem.ts';
import {
  cancelSession,
  endPart,
  extendSession,
  getTree,
  listTrees,
  reviewPart,
  writeTree,
  type SessionsDeps,
} from '../shared/sessions/service.ts';
import { treeResponse, type TreeDocs } from '../shared/sessions/tree.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { ViewStore } from '../shared/store/views.ts';
import { documentClient, dynamoClient, perClients } from '../shared/runtime/aws.ts';
import { env } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { bodyLimits } from '../infra/topology.ts';
import { system } from '../infra/system.ts';

const deps = (): SessionsDeps => ({
  state: new StateStore(documentClient(), env('stateTable')),
  views: new ViewStore(documentClient(), env('viewsTable')),
  clock: runtimeClock(),
});

const phasesFor = (f: Form) => f.pod_ref?.state_machines ?? standardPhases(f.pod_ref?.pod_type ?? 'none');

async function create(body: CreateSessionRequest, createdBy: string) {
  const d = deps();
  const now = d.clock.now();
  const { definitions, forms } = await loadCatalog(d.state, now);
  const plan = planSession({
    definitions,
    forms,
    request: body,
    now,
    sessionId: newSessionId(d.clock),
    createdBy,
    phasesFor,
  });
  await writeTree(d, plan.tree as unknown as TreeDocs, plan.pinned);
  return treeResponse(plan.tree as unknown as TreeDocs);
}

const idempotency = new IdempotencyConfig({
  eventKeyJmesPath: 'key',
  payloadValidationJmesPath: 'body',
  expiresAfterSeconds: 24 * 3600,
});
type Created = Awaited<ReturnType<typeof create>> & { request_id: string };
const idempotentCreate = perClients(() =>
  makeIdempotent(
    async (input: {
      key: string;
      body: CreateSessionRequest;
      by: string;
      request_id: string;
    }): Promise<Created> => ({ ...(await create(input.body, input.by)), request_id: input.request_id }),
    {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: env('stateTable'),
        keyAttr: 'pk',
        sortKeyAttr: 'sk',
        staticPkValue: 'IDEMPOTENCY#create-session',
        expiryAttr: 'expires_at',
        awsSdkV3Client: dynamoClient(),
      }),
      config: idempotency,
    },
  ),
);

const principal = (claims: Record<string, unknown>) => String(claims.sub ?? claims.client_id ?? 'anonymous');

export const handler = httpHandler(
  [
    route<unknown, unknown, CreateSessionRequest>(sessionsContracts.create, async (req) => {
      const key = req.headers['idempotency-key'];
      if (key !== undefined && (key.length < 1 || key.length > 128))
        throw new Problem('validation-error', 'Idempotency-Key must be 1 to 128 characters', {
          errors: [{ pointer: '/headers/idempotency-key', detail: '1 to 128 characters', rule: 'length' }],
        });
      const by = principal(req.claims);
      if (!key) {
        const tree = await create(req.body, by);
        return { status: 201, body: tree, headers: { location: `/v1/sessions/${tree.session.id}` } };
      }
      idempotency.registerLambdaContext(req.context as Context);
      try {
        const { request_id, ...tree } = await idempotentCreate()({
          key: `${by}:${key}`,
          body: req.body,
          by,
          request_id: req.context.awsRequestId,
        });
        const replayed = request_id !== req.context.awsRequestId;
        return {
          status: 201,
          body: tree,
          headers: {
            location: `/v1/sessions/${tree.session.id}`,
            ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
          },
        };
      } catch (e) {
        if (e instanceof IdempotencyValidationError)
          throw new Problem('idempotency-key-reused', 'this Idempotency-Key was used with a different body', {
            errors: [
              {
                pointer: '/headers/idempotency-key',
                detail: 'reused with another body',
                rule: 'idempotency',
              },
            ],
          });
        if (e instanceof IdempotencyAlreadyInProgressError)
          throw new Problem(
            'idempotency-in-progress',
            'a request with this Idempotency-Key is still in progress; retry shortly',
          );
        throw e;
      }
    }),
    route<
      unknown,
      {
        status?: string;
        session_type?: string;
        candidate_id?: string;
        from?: string;
        to?: string;
        limit?: number;
        cursor?: string;
      },
      unknown
    >(sessionsContracts.list, async (req) => {
      const q = req.query;
      const page = await listTrees(deps(), { ...q, cursor: decodeCursor(q.cursor) });
      return {
        status: 200,
        body: { items: page.items, ...(page.cursor ? { next_cursor: encodeCursor(page.cursor) } : {}) },
      };
    }),
    route<{ id: string }, unknown, unknown>(sessionsContracts.get, async (req) => ({
      status: 200,
      body: await getTree(deps(), req.params.id),
    })),
    route<{ id: string }, unknown, { reason?: string }>(sessionsContracts.cancel, async (req) => {
      const s = await cancelSession(deps(), req.params.id, req.body.reason);
      return { status: 202, body: { id: s.id, status: s.status, desired_status: s.desired_status } };
    }),
    route<{ id: string }, unknown, { end: string }>(sessionsContracts.extend, async (req) => {
      const s = await extendSession(deps(), req.params.id, req.body.end);
      return {
        status: 202,
        body: { id: s.id, status: s.status, timeslot: s.timeslot, requested_end: s.requested_end },
      };
    }),
    route<{ id: string; n: string }, unknown, { reason?: string }>(sessionsContracts.endPart, async (req) => {
      const p = await endPart(
        deps(),
        req.params.id,
        Number(req.params.n),
        principal(req.claims),
        req.body.reason,
      );
      return { status: 202, body: { id: p.id, status: p.status, end_requested: p.end_requested } };
    }),
    route<
      { id: string; n: string },
      unknown,
      { decision: 'accept' | 'reject'; points_awarded?: number; comment?: string }
    >(sessionsContracts.reviewPart, async (req) => {
      const p = await reviewPart(deps(), req.params.id, Number(req.params.n), req.body);
      return { status: 202, body: { id: p.id, status: p.status, review_decision: p.review_decision } };
    }),
  ],
  { maxBodyBytes: bodyLimits(system) },
);
