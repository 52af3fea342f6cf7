/** The sessions API: schedule, read, list, cancel, extend; end, pause, resume a part; review a part; list awaiting reviews. */
import { decodeCursor, encodeCursor, httpHandler, route } from '../shared/api/http.ts';
import { sessionsContracts as c } from '../shared/api/contracts/sessions.ts';
import type { CreateSessionRequest } from '../shared/catalog/plan.ts';
import {
  admitSession,
  cancelSession,
  endPart,
  extendSession,
  getTree,
  listAwaitingReviews,
  listTrees,
  pausePart,
  resumePart,
  reviewPart,
  scheduleSession,
  scheduleSessionOnce,
  type ListQuery,
  type ReviewQuery,
  type SessionsDeps,
} from '../shared/sessions/service.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { ViewStore } from '../shared/store/views.ts';
import { documentClient } from '../shared/runtime/aws-dynamodb.ts';
import { env } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';

const deps = (): SessionsDeps => ({
  state: new StateStore(documentClient(), env('stateTable')),
  views: new ViewStore(documentClient(), env('viewsTable')),
  clock: runtimeClock(),
});

type Part = { id: string; n: string };
type Review = { decision: 'accept' | 'reject'; points_awarded?: number; comment?: string };

export const handler = httpHandler([
  route<unknown, unknown, CreateSessionRequest>(c.create, async (req) => {
    const key = req.headers['idempotency-key'];
    const { tree, replayed } = key
      ? await scheduleSessionOnce(deps(), {
          key,
          body: req.body,
          by: req.principal,
          tenant: req.tenant,
        })
      : { tree: await scheduleSession(deps(), req.body, req.principal, req.tenant), replayed: false };
    return {
      status: 201,
      body: tree,
      headers: {
        location: `/v1/sessions/${tree.session.id}`,
        ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
      },
    };
  }),
  route<unknown, Omit<ListQuery, 'cursor'> & { cursor?: string }, unknown>(c.list, async (req) => {
    const page = await listTrees(
      deps(),
      { ...req.query, cursor: decodeCursor(req.query.cursor) },
      req.tenant,
    );
    const next = encodeCursor(page.cursor);
    return { status: 200, body: { items: page.items, ...(next ? { next_cursor: next } : {}) } };
  }),
  route<{ id: string }, unknown, unknown>(c.get, async (req) => ({
    status: 200,
    body: await getTree(deps(), req.params.id, req.tenant),
  })),
  route<{ id: string }, unknown, { reason?: string }>(c.cancel, async (req) => {
    const s = await cancelSession(deps(), req.params.id, req.tenant, req.body.reason);
    return { status: 202, body: { id: s.id, status: s.status, desired_status: s.desired_status } };
  }),
  route<{ id: string }, unknown, { end: string }>(c.extend, async (req) => {
    const s = await extendSession(deps(), req.params.id, req.tenant, req.body.end);
    return {
      status: 202,
      body: { id: s.id, status: s.status, timeslot: s.timeslot, requested_end: s.requested_end },
    };
  }),
  route<{ id: string }, unknown, unknown>(c.admit, async (req) => {
    const s = await admitSession(deps(), req.params.id, req.principal);
    return { status: 202, body: { id: s.id, status: s.status, admitted: s.admitted } };
  }),
  route<Part, unknown, { reason?: string }>(c.endPart, async (req) => {
    const p = await endPart(deps(), req.params.id, Number(req.params.n), req.principal, req.body.reason);
    return { status: 202, body: { id: p.id, status: p.status, end_requested: p.end_requested } };
  }),
  route<Part, unknown, { reason?: string }>(c.pausePart, async (req) => {
    const p = await pausePart(deps(), req.params.id, Number(req.params.n), req.principal, req.body.reason);
    return {
      status: 202,
      body: { id: p.id, status: p.status, pause_requested: p.pause_requested ?? p.paused },
    };
  }),
  route<Part, unknown, unknown>(c.resumePart, async (req) => {
    const p = await resumePart(deps(), req.params.id, Number(req.params.n), req.principal);
    return { status: 202, body: { id: p.id, status: p.status, resume_requested: p.resume_requested } };
  }),
  route<Part, unknown, Review>(c.reviewPart, async (req) => {
    const p = await reviewPart(deps(), req.params.id, Number(req.params.n), req.body, req.principal);
    return { status: 202, body: { id: p.id, status: p.status, review_decision: p.review_decision } };
  }),
  route<unknown, Omit<ReviewQuery, 'cursor'> & { cursor?: string }, unknown>(c.listReviews, async (req) => {
    const page = await listAwaitingReviews(deps(), { ...req.query, cursor: decodeCursor(req.query.cursor) });
    const next = encodeCursor(page.cursor);
    return { status: 200, body: { items: page.items, ...(next ? { next_cursor: next } : {}) } };
  }),
]);
