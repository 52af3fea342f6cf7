/**
 * The sessions application service: the commands and queries behind the sessions API. Handlers
 * parse and answer; this loads state, calls the domain, and persists with conditional writes.
 */
import { planSession, type CreateSessionRequest } from '../catalog/plan.ts';
import { loadCatalog } from '../catalog/service.ts';
import type { Form } from '../catalog/types.ts';
import { iso, type Clock } from '../domain/clock.ts';
import { newSessionId } from '../domain/ids.ts';
import { Problem } from '../domain/problem.ts';
import { extensionProblem, type HostState } from '../domain/extend.ts';
import { pauseProblem, resumeProblem } from '../domain/pause.ts';
import {
  PART_SETTLED,
  POD_GONE,
  SESSION_TERMINAL,
  type PodDoc,
  awaitingReview,
  reviewingSince,
  type PartDoc,
  type SessionDoc,
  type SessionTree,
} from '../domain/session.ts';
import { env } from '../runtime/env.ts';
import {
  checkPayload,
  keyRecordWrite,
  onceForKey,
  payloadHash,
  requestKey,
  type RequestKeyRecord,
} from '../store/request-keys.ts';
import { keys, viewKeys } from '../store/keys.ts';
import { itemsToTree, treeResponse, treeToItems } from '../store/session-tree.ts';
import type { StateStore, StoredItem, WriteOp } from '../store/state-store.ts';
import { packTree, TREE_ATTRIBUTE, unpackTree, type ViewStore } from '../store/views.ts';
import { standardPhases } from '../../state-machines/standard-lifecycle.ts';

export interface SessionsDeps {
  state: StateStore;
  views: ViewStore;
  clock: Clock;
}

/** phase → state machine of a form's content: its synced definition's, or the standard lifecycle's. */
const phasesFor = (f: Form) =>
  f.pod_ref?.state_machines ?? standardPhases(env('stage'), f.pod_ref?.pod_type ?? 'none');

/** Plans a session against the catalog and writes its whole tree in one transaction. */
export async function scheduleSession(
  deps: SessionsDeps,
  body: CreateSessionRequest,
  createdBy: string,
  tenant: string = createdBy,
  also: (tree: SessionTree) => WriteOp[] = () => [],
) {
  const now = deps.clock.now();
  const { definitions, forms } = await loadCatalog(deps.state, now);
  const plan = planSession({
    definitions,
    forms,
    request: body,
    now,
    sessionId: newSessionId(deps.clock),
    createdBy,
    phasesFor,
  });
  plan.tree.session.tenant = tenant;
  await writeTree(deps, plan.tree, plan.pinned, also(plan.tree));
  return treeResponse(plan.tree);
}

/**
 * The record of a `POST /v1/sessions` with an Idempotency-Key (D236), written in the tree's own
 * transaction (`shared/store/request-keys.ts`): the session's id and the first answer.
 */
interface BookingRecord extends RequestKeyRecord {
  session_id: string;
  /** The first answer (`{ session, parts, pods }`), compressed as a tree view is. */
  [TREE_ATTRIBUTE]: Uint8Array;
}

type Scheduled = Awaited<ReturnType<typeof scheduleSession>>;

/** The first answer again, or a 422 when the key comes with another body. */
function replay(record: BookingRecord, payload: string): { tree: Scheduled; replayed: true } {
  checkPayload(record, payload);
  const tree = unpackTree(record);
  if (!tree) throw new Error(`booking record ${record.sk} holds no answer`);
  return { tree: treeResponse(tree), replayed: true };
}

/**
 * Schedules at most once per (tenant, Idempotency-Key) for 24 h of the service clock: a replay
 * answers the first request's answer; the same key with another body is refused (422). Two
 * requests with one key at once: the one whose transaction lands books, the other answers its
 * booking.
 */
export async function scheduleSessionOnce(
  deps: SessionsDeps,
  req: { key: string; body: CreateSessionRequest; by: string; tenant: string },
): Promise<{ tree: Scheduled; replayed: boolean }> {
  const key = requestKey('create-session', req.tenant, req.key);
  const payload = payloadHash(req.body);
  return onceForKey<BookingRecord, { tree: Scheduled; replayed: boolean }>({
    store: deps.state,
    key,
    now: () => deps.clock.now(),
    replay: (r) => replay(r, payload),
    create: async (expired) => ({
      tree: await scheduleSession(deps, req.body, req.by, req.tenant, (t) => [
        keyRecordWrite(
          key,
          payload,
          deps.clock.now(),
          { session_id: t.session.id, [TREE_ATTRIBUTE]: packTree(t) },
          expired,
        ),
      ]),
      replayed: false,
    }),
  });
}

/**
 * Writes a planned tree in one transaction, with the exposure counters of the pinned forms and
 * whatever else must land with it (`also`: the booking record of an Idempotency-Key).
 */
export async function writeTree(
  deps: Pick<SessionsDeps, 'state'>,
  tree: SessionTree,
  formKeys: { fqn: string; version: string }[],
  also: WriteOp[] = [],
): Promise<void> {
  const ops: WriteOp[] = treeToItems(tree).map((item) => ({ kind: 'put', item, expectedVersion: null }));
  for (const f of formKeys)
    ops.push({ kind: 'increment', key: keys.form(f.fqn, f.version), counters: { exposure_count: 1 } });
  await deps.state.write([...ops, ...also]);
}

/** The tree from the views table; just after creation, before the projection lands, from state. */
export async function getTree(deps: SessionsDeps, id: string, tenant: string) {
  const view = await deps.views.getSessionTree(id);
  const tree = view ?? itemsToTree(await deps.state.queryPartition<StoredItem>(keys.sessionPartition(id)));
  if (!tree || !ownedBy(tree.session, tenant)) throw new Problem('not-found', `no session ${id}`);
  return treeResponse(tree);
}

/**
 * A session belongs to the tenant that booked it (sessions booked before tenants were recorded:
 * to their creator). Another tenant is told it does not exist, never that it is someone else's.
 */
export const ownedBy = (s: Pick<SessionDoc, 'tenant' | 'created_by'>, tenant: string) =>
  (s.tenant ?? s.created_by) === tenant;

export interface ListQuery {
  status?: string;
  session_type?: string;
  candidate_id?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: Record<string, unknown>;
}

export async function listTrees(deps: SessionsDeps, q: ListQuery, tenant: string) {
  // DynamoDB refuses a BETWEEN whose bounds are reversed: the caller's mistake, answered as such.
  if (q.from && q.to && Date.parse(q.from) > Date.parse(q.to))
    throw new Problem('validation-error', 'from is after to', {
      errors: [{ pointer: '/from', detail: 'must not be after to', rule: 'range' }],
    });
  const [index, partition] = q.candidate_id
    ? (['by_candidate', viewKeys.byCandidate(q.candidate_id)] as const)
    : q.status
      ? (['by_status', viewKeys.byStatus(q.status)] as const)
      : (['by_time', viewKeys.listAll] as const);
  const page = await deps.views.listSessions({
    index,
    partition,
    from: q.from,
    to: q.to,
    limit: q.limit ?? 25,
    cursor: q.cursor,
    filter: { tenant, ...(q.session_type ? { session_type: q.session_type } : {}) },
  });
  let items = page.items;
  // by_candidate cannot also key on status: filter the page (documented: pages may hold fewer items).
  if (q.candidate_id && q.status) items = items.filter((t) => t.session.status === q.status);
  return { items: items.map(treeResponse), cursor: page.cursor };
}

/**
 * Changes one item's intent with a conditional write (StateStore.update re-reads on a lost race).
 * `mutate` answers the fields to change, undefined when the item is already as asked (idempotent),
 * or throws a Problem when the command does not apply.
 */
async function changeIntent<T extends StoredItem>(
  deps: SessionsDeps,
  key: { pk: string; sk: string },
  what: string,
  mutate: (item: T) => Partial<T> | undefined,
): Promise<T> {
  const out = await deps.state.update<T>(key, (item) => {
    const patch = mutate(item);
    return patch && ({ ...item, ...patch, updated_at: iso(deps.clock.now()) } as T);
  });
  if (!out) throw new Problem('not-found', `no ${what}`);
  return out;
}

type SessionItem = StoredItem & SessionDoc;
type PartItem = StoredItem & PartDoc;

export function cancelSession(deps: SessionsDeps, id: string, tenant: string, reason?: string) {
  return changeIntent<SessionItem>(deps, keys.session(id), `session ${id}`, (s) => {
    if (!ownedBy(s, tenant)) throw new Problem('not-found', `no session ${id}`);
    if (s.desired_status === 'cancelled') return undefined;
    if (SESSION_TERMINAL.has(s.status))
      throw new Problem('state-conflict', `session ${id} has already ended (${s.status})`);
    return { desired_status: 'cancelled', cancel_reason: reason || 'cancelled by the scheduler' };
  });
}

/** The workers holding a session's live pods (the capacity an extension needs). */
async function hostsOf(deps: SessionsDeps, id: string): Promise<HostState[]> {
  const pods = await deps.state.queryPartition<StoredItem & PodDoc>(keys.sessionPartition(id), {
    skPrefix: 'POD#',
  });
  const hostIds = [
    ...new Set(pods.filter((p) => p.host_id && !POD_GONE.has(p.status)).map((p) => p.host_id!)),
  ];
  const workers = await Promise.all(
    hostIds.map((h) => deps.state.get<StoredItem & HostState>(keys.worker(h))),
  );
  return hostIds.map((h, i) => workers[i] ?? { id: h, status: 'unknown' });
}

export async function extendSession(deps: SessionsDeps, id: string, tenant: string, end: string) {
  const hosts = await hostsOf(deps, id);
  return changeIntent<SessionItem>(deps, keys.session(id), `session ${id}`, (s) => {
    if (!ownedBy(s, tenant)) throw new Problem('not-found', `no session ${id}`);
    if (SESSION_TERMINAL.has(s.status) || s.desired_status === 'cancelled')
      throw new Problem('state-conflict', `session ${id} has ended or is being cancelled`);
    const wanted = Date.parse(end);
    const current = Math.max(Date.parse(s.timeslot.end), s.requested_end ? Date.parse(s.requested_end) : 0);
    if (!(wanted > Date.parse(s.timeslot.end)))
      throw new Problem(
        'invalid-timeslot',
        `the new end ${end} must be after the current end ${s.timeslot.end}`,
        {
          errors: [{ pointer: '/end', detail: 'must be later than the current end', rule: 'extend' }],
        },
      );
    if (wanted === current) return undefined;
    const problem = extensionProblem(s, wanted, hosts);
    if (problem) throw problem;
    return { requested_end: iso(wanted) };
  });
}

/**
 * A proctor admits the candidate: the session-scoped gate of a definition whose lifecycle has
 * `proctor_admit`. Before the timeslot starts it is recorded and the session runs at the start;
 * after, it runs at once. Admitting twice changes nothing.
 */
export function admitSession(deps: SessionsDeps, id: string, by: string) {
  return changeIntent<SessionItem>(deps, keys.session(id), `session ${id}`, (s) => {
    if (!s.admission_gate)
      throw new Problem(
        'state-conflict',
        `session ${id} has no admission gate (its lifecycle has no proctor_admit)`,
      );
    if (s.admitted) return undefined;
    if (SESSION_TERMINAL.has(s.status) || s.desired_status === 'cancelled')
      throw new Problem('state-conflict', `session ${id} has ended or is being cancelled`);
    return { admitted: { at: iso(deps.clock.now()), by } };
  });
}

export function endPart(deps: SessionsDeps, id: string, order: number, by: string, reason?: string) {
  return changeIntent<PartItem>(deps, keys.part(id, order), `part ${order} of session ${id}`, (p) => {
    if (p.end_requested) return undefined;
    if (!['waiting', 'monitoring'].includes(p.status))
      throw new Problem(
        'state-conflict',
        `part ${order} is ${p.status}; only a waiting or monitored part can be ended`,
      );
    return { end_requested: { at: iso(deps.clock.now()), by, ...(reason ? { reason } : {}) } };
  });
}

/**
 * A proctor pauses a running part (intent; the reconciler stops its clock from this instant and
 * tells the LDS). Asking again while it is paused changes nothing.
 */
export function pausePart(deps: SessionsDeps, id: string, order: number, by: string, reason?: string) {
  return changeIntent<PartItem>(deps, keys.part(id, order), `part ${order} of session ${id}`, (p) => {
    if ((p.paused || p.pause_requested) && !p.resume_requested) return undefined;
    if (p.resume_requested)
      throw new Problem('state-conflict', `part ${order} is being resumed; pause it again afterwards`);
    const problem = pauseProblem(p);
    if (problem) throw problem;
    const at = iso(deps.clock.now());
    return { pause_requested: { at, by, origin: 'api' as const, ...(reason ? { reason } : {}) } };
  });
}

/**
 * A proctor resumes a paused part (intent; the reconciler ends the pause at this instant and moves
 * the part's deadline by it). Asking again before it is applied changes nothing.
 */
export function resumePart(deps: SessionsDeps, id: string, order: number, by: string) {
  return changeIntent<PartItem>(deps, keys.part(id, order), `part ${order} of session ${id}`, (p) => {
    if (p.resume_requested) return undefined;
    const problem = resumeProblem(p);
    if (problem) throw problem;
    return { resume_requested: { at: iso(deps.clock.now()), by, origin: 'api' as const } };
  });
}

export function reviewPart(
  deps: SessionsDeps,
  id: string,
  order: number,
  decision: { decision: 'accept' | 'reject'; points_awarded?: number; comment?: string },
  by: string,
) {
  return changeIntent<PartItem>(deps, keys.part(id, order), `part ${order} of session ${id}`, (p) => {
    if (p.status !== 'reviewing' || p.review !== 'manual') {
      if (PART_SETTLED.has(p.status) || p.review_decision)
        throw new Problem('state-conflict', `part ${order} has already been reviewed or has ended`);
      throw new Problem('state-conflict', `part ${order} is ${p.status}, not awaiting a manual review`);
    }
    if (p.review_decision) return undefined;
    const max = p.score_report?.points_max;
    if (decision.points_awarded !== undefined && max !== undefined && decision.points_awarded > max)
      throw new Problem('validation-error', `points_awarded exceeds the part's ${max} points`, {
        errors: [{ pointer: '/points_awarded', detail: `at most ${max}`, rule: 'maximum' }],
      });
    return { review_decision: { ...decision, at: iso(deps.clock.now()), by } };
  });
}

export interface ReviewQuery {
  session_type?: string;
  /** Only reviews waiting at least this long (minutes since the part entered `reviewing`). */
  older_than_minutes?: number;
  limit?: number;
  cursor?: Record<string, unknown>;
}

/**
 * The parts awaiting a manual review, oldest first, from the views table's sparse `by_review`
 * index (a session tree is in it while one of its parts awaits a decision).
 */
export async function listAwaitingReviews(deps: SessionsDeps, q: ReviewQuery) {
  const olderThan =
    q.older_than_minutes !== undefined ? iso(deps.clock.now() - q.older_than_minutes * 60_000) : undefined;
  const page = await deps.views.listSessions({
    index: 'by_review',
    partition: viewKeys.awaitingReview,
    ...(olderThan ? { to: olderThan } : {}),
    limit: q.limit ?? 25,
    cursor: q.cursor,
    filter: { ...(q.session_type ? { session_type: q.session_type } : {}) },
  });
  const items = page.items.flatMap((t) =>
    t.parts.filter(awaitingReview).flatMap((p) => {
      const since = reviewingSince(p);
      if (olderThan && since > olderThan) return [];
      return [
        {
          session_id: t.session.id,
          session_type: t.session.session_type,
          candidate_id: t.session.candidate.candidate_id,
          part_order: p.order,
          part_name: p.name,
          form: p.form,
          reviewing_since: since,
          ...(p.review_due ? { review_due: p.review_due } : {}),
          escalated: !!p.review_escalated,
          ...(p.score_report ? { score_report: p.score_report } : {}),
        },
      ];
    }),
  );
  return { items, cursor: page.cursor };
}
