/**
 * The sessions application service: the commands and queries behind the sessions API. Handlers
 * parse and answer; this loads state, calls the domain, and persists with conditional writes.
 */
import { iso } from '../domain/clock.ts';
import type { Clock } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import { isConflict } from '../store/errors.ts';
import { keys, viewKeys } from '../store/keys.ts';
import type { StateStore, StoredItem, WriteOp } from '../store/state-store.ts';
import type { ViewStore } from '../store/views.ts';
import { SESSION_TERMINAL, PART_SETTLED, type SessionDoc, type PartDoc } from '../orchestration/model.ts';
import { itemsToTree, treeResponse, treeToItems, type TreeDocs } from './tree.ts';

export interface SessionsDeps {
  state: StateStore;
  views: ViewStore;
  clock: Clock;
}

/** Writes a planned tree in one transaction, with the exposure counters of the pinned forms. */
export async function writeTree(
  deps: SessionsDeps,
  tree: TreeDocs,
  formKeys: { fqn: string; version: string }[],
): Promise<void> {
  const ops: WriteOp[] = treeToItems(tree).map((item) => ({ kind: 'put', item, expectedVersion: null }));
  for (const f of formKeys)
    ops.push({ kind: 'increment', key: keys.form(f.fqn, f.version), counters: { exposure_count: 1 } });
  await deps.state.write(ops);
}

/** The tree from the views table; just after creation, before the projection lands, from state. */
export async function getTree(deps: SessionsDeps, id: string) {
  const view = await deps.views.getSessionTree(id);
  if (view) return { session: view.session, parts: view.parts, pods: view.pods };
  const items = await deps.state.queryPartition<StoredItem>(keys.sessionPartition(id));
  const tree = itemsToTree(items);
  if (!tree) throw new Problem('not-found', `no session ${id}`);
  return treeResponse(tree);
}

export interface ListQuery {
  status?: string;
  session_type?: string;
  candidate_id?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: Record<string, unknown>;
}

export async function listTrees(deps: SessionsDeps, q: ListQuery) {
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
    filter: { ...(q.session_type ? { session_type: q.session_type } : {}) },
  });
  let items = page.items;
  // by_candidate cannot also key on status: filter the page (documented: pages may hold fewer items).
  if (q.candidate_id && q.status) items = items.filter((t) => t.session.status === q.status);
  return {
    items: items.map((t) => ({ session: t.session, parts: t.parts, pods: t.pods })),
    cursor: page.cursor,
  };
}

/** Changes one item's intent with a conditional write, re-reading on a lost race. */
async function changeIntent<T extends StoredItem>(
  deps: SessionsDeps,
  key: { pk: string; sk: string },
  what: string,
  mutate: (item: T) => Partial<T> | undefined,
): Promise<T> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const item = await deps.state.get<T>(key);
    if (!item) throw new Problem('not-found', `no ${what}`);
    const patch = mutate(item);
    if (!patch) return item; // already as asked: idempotent
    const next = {
      ...item,
      ...patch,
      updated_at: iso(deps.clock.now()),
      state_version: item.state_version + 1,
    } as T;
    try {
      await deps.state.put(next, item.state_version);
      return next;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
  throw new Problem('conflict', `${what} kept changing; retry`);
}

type SessionItem = StoredItem & SessionDoc;
type PartItem = StoredItem & PartDoc;

export function cancelSession(deps: SessionsDeps, id: string, reason?: string) {
  return changeIntent<SessionItem>(deps, keys.session(id), `session ${id}`, (s) => {
    if (s.desired_status === 'cancelled') return undefined;
    if (SESSION_TERMINAL.has(s.status))
      throw new Problem('state-conflict', `session ${id} has already ended (${s.status})`);
    return {
      desired_status: 'cancelled',
      ...(reason ? { cancel_reason: reason } : { cancel_reason: 'cancelled by the scheduler' }),
    };
  });
}

export function extendSession(deps: SessionsDeps, id: string, end: string) {
  return changeIntent<SessionItem>(deps, keys.session(id), `session ${id}`, (s) => {
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
    return { requested_end: iso(wanted) };
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

export function reviewPart(
  deps: SessionsDeps,
  id: string,
  order: number,
  decision: { decision: 'accept' | 'reject'; points_awarded?: number; comment?: string },
) {
  return changeIntent<PartItem>(deps, keys.part(id, order), `part ${order} of session ${id}`, (p) => {
    if (p.status !== 'reviewing' || p.review !== 'manual') {
      if (PART_SETTLED.has(p.status) || p.review_decision)
        throw new Problem('state-conflict', `part ${order} has already been reviewed or has ended`);
      throw new Problem('state-conflict', `part ${order} is ${p.status}, not awaiting a manual review`);
    }
    if (p.review_decision) return undefined;
    const max = (p.score_report as { points_max?: number } | undefined)?.points_max;
    if (decision.points_awarded !== undefined && max !== undefined && decision.points_awarded > max)
      throw new Problem('validation-error', `points_awarded exceeds the part's ${max} points`, {
        errors: [{ pointer: '/points_awarded', detail: `at most ${max}`, rule: 'maximum' }],
      });
    return { review_decision: { ...decision, at: iso(deps.clock.now()) } };
  });
}
