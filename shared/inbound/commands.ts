/**
 * External CloudEvents → commands on a session tree: the candidate starting, pausing, resuming or
 * ending a part (the lab delivery system, D110; correlated by its LDS session, D160), an external
 * grader's result on a part (D78). Allow-listed by source,
 * applied at most once per (source, id), turned into a conditional write on the part (and, for a
 * grader's result, on the session's combined report). Anything else is acknowledged and ignored.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import { readSecret } from '../adapters/secrets.ts';
import type { Context } from 'aws-lambda';
import { iso } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import { pauseProblem, resumeProblem } from '../domain/pause.ts';
import { combinePartReports, type ExternalGrading } from '../domain/score-report.ts';
import { PART_SETTLED, type PartDoc, type SessionDoc } from '../domain/session.ts';
import type { CloudEvent } from '../events/cloudevent.ts';
import { EVENT_ARCHIVE_RETENTION_DAYS, INBOUND_EVENT_TYPES } from '../events/types.ts';
import { idempotent } from '../runtime/idempotency.ts';
import { keys } from '../store/keys.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';
import { assertClientSource, verifyWebhook, type WebhookClients } from './webhooks.ts';

const webhookClients = (now: number) => readSecret<WebhookClients>('webhooks', now);

export const ALLOWED_SOURCE_PREFIXES = ['lds.', 'grader.'];

export type InboundOutcome = { outcome: 'applied' | 'ignored'; detail: string };

export function assertAllowedSource(source: string): void {
  if (!ALLOWED_SOURCE_PREFIXES.some((p) => source.startsWith(p)))
    throw new Problem(
      'forbidden',
      `source "${source}" is not allow-listed (${ALLOWED_SOURCE_PREFIXES.join(', ')}*)`,
    );
}

/**
 * The part an event is about, in this order (D160): its subject (`sessions/<id>/parts/<n>`) or
 * `data.session_id`; the LDS session it names (`data.lds_session_id`, through the `LDS#<id>`
 * pointer written when a part registered); the LDS session's external reference
 * (`data.external_ref`: the session id, or the older per-pod `<session>.p<order>.<pod>`). The part
 * is `data.part_order` (or the subject's); an LDS event that names no part means the session's
 * one open part (activated, not settled), and is refused when there is not exactly one.
 */
export async function targetOf(
  ce: CloudEvent,
  store: StateStore,
): Promise<{ session_id: string; part_order: number }> {
  const data = (ce.data ?? {}) as {
    session_id?: unknown;
    part_order?: unknown;
    external_ref?: unknown;
    lds_session_id?: unknown;
  };
  const m = /^sessions\/(ses_[0-9a-z]+)\/parts\/(\d+)$/.exec(ce.subject ?? '');
  const ref =
    typeof data.external_ref === 'string'
      ? /^(ses_[0-9a-z]+)(?:\.p(\d+)\.\d+)?$/.exec(data.external_ref)
      : null;
  const pointed =
    typeof data.lds_session_id === 'string' && data.lds_session_id.length <= 200
      ? (await store.get<StoredItem & { session_id: string }>(keys.ldsSession(data.lds_session_id)))
          ?.session_id
      : undefined;
  const named = typeof data.session_id === 'string' ? data.session_id : undefined;
  const session_id = named ?? m?.[1] ?? pointed ?? ref?.[1];
  const order =
    typeof data.part_order === 'number' && Number.isInteger(data.part_order) && data.part_order > 0
      ? data.part_order
      : m
        ? Number(m[2])
        : ref?.[2]
          ? Number(ref[2])
          : undefined;
  if (!session_id)
    throw new Problem('validation-error', 'the event names no session part', {
      errors: [
        {
          pointer: '/subject',
          detail:
            'give subject sessions/<id>/parts/<n>, data.session_id and data.part_order, a known data.lds_session_id, or the LDS data.external_ref',
          rule: 'target',
        },
      ],
    });
  if (order) return { session_id, part_order: order };
  const parts = (
    await store.queryPartition<StoredItem & PartDoc>(keys.sessionPartition(session_id), { skPrefix: 'PART#' })
  ).filter((p) => p.sk.startsWith('PART#'));
  const open = parts.filter((p) => p.activated_at && !PART_SETTLED.has(p.status));
  if (open.length !== 1)
    throw new Problem('validation-error', 'the event names no part, and the session has no one open part', {
      errors: [
        {
          pointer: '/data/part_order',
          detail: `give data.part_order: session ${session_id} has ${open.length} open parts`,
          rule: 'target',
        },
      ],
    });
  return { session_id, part_order: open[0]!.order };
}

export async function applyInbound(ce: CloudEvent, store: StateStore, now: number): Promise<InboundOutcome> {
  assertAllowedSource(ce.source);
  const { session_id, part_order } = isKnown(ce.type)
    ? await targetOf(ce, store)
    : { session_id: '', part_order: 0 };
  const session = isGrading(ce.type)
    ? await store.get<StoredItem & SessionDoc>(keys.session(session_id))
    : undefined;
  const patch = patchFor(ce, now, session?.cut_score ?? 0);
  if (!patch) return { outcome: 'ignored', detail: `type ${ce.type} is not acted on` };
  let verdict: true | string = true;
  const part = await store.update<StoredItem & { status: string }>(keys.part(session_id, part_order), (p) => {
    verdict = patch.applies(p);
    return verdict === true ? { ...p, ...patch.fields(p), updated_at: iso(now) } : undefined;
  });
  if (!part) throw new Problem('not-found', `no part ${part_order} in session ${session_id}`);
  if (verdict !== true) return { outcome: 'ignored', detail: verdict };
  if (patch.reportChanged) await recombine(store, session_id, now);
  return { outcome: 'applied', detail: patch.describe };
}

/**
 * A session that already has its combined report gets it recomputed from every part's report.
 * Its reference goes: the reconciler writes the revised document and sets it again, and that
 * commit publishes score_report.published anew (D76, D78).
 */
async function recombine(store: StateStore, session_id: string, now: number): Promise<void> {
  const items = await store.queryPartition<StoredItem>(keys.sessionPartition(session_id));
  const parts = items.filter((i) => i.sk.startsWith('PART#')) as unknown as PartDoc[];
  await store.update<StoredItem & SessionDoc>(keys.session(session_id), (s) => {
    if (!s.score_report) return undefined;
    const { score_report_ref: _gone, ...rest } = s;
    return {
      ...rest,
      score_report: combinePartReports(parts, s.cut_score ?? 0),
      updated_at: iso(now),
    } as StoredItem & SessionDoc;
  });
}

const isGrading = (type: string) =>
  type === INBOUND_EVENT_TYPES.gradingCompleted || type === INBOUND_EVENT_TYPES.gradingFailed;
const isKnown = (type: string) =>
  isGrading(type) ||
  type === INBOUND_EVENT_TYPES.ldsSessionRunning ||
  type === INBOUND_EVENT_TYPES.ldsSessionPaused ||
  type === INBOUND_EVENT_TYPES.ldsSessionResumed ||
  type === INBOUND_EVENT_TYPES.ldsSessionEnded;

/**
 * A CloudEvent from the bus is applied once per (source, id), for as long as the archive keeps
 * events (a replay from the archive is then still a duplicate).
 */
const applyOnce = idempotent(
  async (ce: CloudEvent, requestId: string, store: StateStore, now: number) => ({
    ...(await applyInbound(ce, store, now)),
    request_id: requestId,
  }),
  {
    table: 'stateTable',
    partition: keys.idempotencyPartition('inbound-events'),
    keyPath: '[source, id]',
    expiresAfterSeconds: EVENT_ARCHIVE_RETENTION_DAYS * 24 * 3600,
  },
);

/**
 * A webhook is applied once per (client, webhook-id) for as long as the archive keeps events; the
 * event is part of the record, so the same id with another body is refused, not applied.
 */
const applyWebhookOnce = idempotent(
  async (input: { key: string; event: CloudEvent }, requestId: string, store: StateStore, now: number) => ({
    ...(await applyInbound(input.event, store, now)),
    request_id: requestId,
  }),
  {
    table: 'stateTable',
    partition: keys.idempotencyPartition('inbound-webhooks'),
    keyPath: 'key',
    payloadPath: 'event',
    expiresAfterSeconds: EVENT_ARCHIVE_RETENTION_DAYS * 24 * 3600,
  },
);

/**
 * POST /v1/events: a Standard Webhooks delivery. Verified against the calling client's secret and
 * the clock (401), its source must be one the client may send (403), and it is applied once per
 * webhook id (a replay is `duplicate`; the same id with another body is a 422).
 */
export async function acceptWebhook(
  ce: CloudEvent,
  req: { client: string; headers: Record<string, string>; rawBody: string },
  deps: { store: StateStore; now: number },
  context: Context,
): Promise<InboundOutcome | { outcome: 'duplicate'; detail: string }> {
  const clients = await webhookClients(deps.now);
  const client = Object.hasOwn(clients, req.client) ? clients[req.client] : undefined;
  const { id } = verifyWebhook(req.headers, req.rawBody, client, deps.now);
  assertClientSource(client!, req.client, ce.source);
  assertAllowedSource(ce.source);
  try {
    const r = await whileInProgress(() =>
      applyWebhookOnce.call(
        context,
        { key: `${req.client}:${id}`, event: ce },
        context.awsRequestId,
        deps.store,
        deps.now,
      ),
    );
    return r.request_id === context.awsRequestId
      ? { outcome: r.outcome, detail: r.detail }
      : { outcome: 'duplicate', detail: r.detail };
  } catch (e) {
    if (e instanceof IdempotencyValidationError)
      throw new Problem('idempotency-key-reused', `webhook-id ${id} was delivered before with another body`, {
        errors: [{ pointer: '/headers/webhook-id', detail: 'reused with another body', rule: 'idempotency' }],
      });
    throw e;
  }
}

/** Applies an inbound event, or answers `duplicate` when the same (source, id) was applied before. */
export async function acceptInbound(
  ce: CloudEvent,
  deps: { store: StateStore; now: number },
  context: Context,
): Promise<InboundOutcome | { outcome: 'duplicate'; detail: string }> {
  assertAllowedSource(ce.source);
  const r = await whileInProgress(() =>
    applyOnce.call(context, ce, context.awsRequestId, deps.store, deps.now),
  );
  // Powertools hands back the first delivery's stored result on a replay: that is a duplicate.
  return r.request_id === context.awsRequestId
    ? { outcome: r.outcome, detail: r.detail }
    : { outcome: 'duplicate', detail: r.detail };
}

/**
 * A concurrent delivery of the same event holds the idempotency record while it applies it: wait
 * for its outcome (a short, bounded wait), then answer that as a duplicate. If it is still in
 * progress after that, a 409 tells the sender to retry (never a 5xx).
 */
async function whileInProgress<R>(call: () => Promise<R>, attempts = 8, delayMs = 50): Promise<R> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof IdempotencyAlreadyInProgressError)) throw e;
      if (i >= attempts)
        throw new Problem(
          'idempotency-in-progress',
          'the same event is being applied by another delivery; retry',
        );
      await new Promise((r) => setTimeout(r, delayMs * i));
    }
  }
}

interface Patch {
  fields(part: StoredItem & { status: string }): Record<string, unknown>;
  describe: string;
  applies(part: StoredItem & { status: string }): true | string;
  /** The part's report changed: the session's combined report follows. */
  reportChanged?: boolean;
}

/** A part takes a grader's result once its run has ended (grading onwards), archived included. */
const GRADABLE = ['grading', 'reviewing', 'submitting', 'archiving', 'archived'];

function patchFor(ce: CloudEvent, now: number, cutScore: number): Patch | undefined {
  const reason = (ce.data as { reason?: string } | undefined)?.reason;
  switch (ce.type) {
    case INBOUND_EVENT_TYPES.ldsSessionRunning:
      return {
        fields: () => ({ candidate_started_at: iso(now) }),
        describe: 'candidate started',
        applies: (p) =>
          p.candidate_started_at
            ? 'already started'
            : ['waiting', 'instantiating', 'pending'].includes(p.status)
              ? true
              : `part is ${p.status}`,
      };
    case INBOUND_EVENT_TYPES.ldsSessionEnded:
      return {
        fields: () => ({ end_requested: { at: iso(now), by: ce.source, ...(reason ? { reason } : {}) } }),
        describe: 'candidate ended the part',
        applies: (p) =>
          p.end_requested
            ? 'already ended'
            : ['waiting', 'monitoring'].includes(p.status)
              ? true
              : `part is ${p.status}`,
      };
    // Pause and resume are intents the reconciler applies from this instant (D110); the LDS is
    // not told back what it did itself.
    case INBOUND_EVENT_TYPES.ldsSessionPaused:
      return {
        fields: () => ({
          pause_requested: {
            at: iso(now),
            by: ce.source,
            origin: 'lds',
            ...(reason ? { reason: String(reason).slice(0, 500) } : {}),
          },
        }),
        describe: 'paused by the lab delivery system',
        applies: (p) => {
          const part = p as StoredItem & PartDoc;
          if (part.paused || part.pause_requested) return 'already paused';
          return pauseProblem(part)?.message ?? true;
        },
      };
    case INBOUND_EVENT_TYPES.ldsSessionResumed:
      return {
        fields: () => ({ resume_requested: { at: iso(now), by: ce.source, origin: 'lds' } }),
        describe: 'resumed by the lab delivery system',
        applies: (p) => {
          const part = p as StoredItem & PartDoc;
          if (part.resume_requested) return 'already resuming';
          return resumeProblem(part)?.message ?? true;
        },
      };
    case INBOUND_EVENT_TYPES.gradingCompleted:
    case INBOUND_EVENT_TYPES.gradingFailed: {
      const completed = ce.type === INBOUND_EVENT_TYPES.gradingCompleted;
      const result = completed ? gradedReport(ce.data, cutScore) : {};
      const data = (ce.data ?? {}) as { report_ref?: unknown };
      const external: ExternalGrading = {
        status: completed ? 'completed' : 'failed',
        source: ce.source,
        event_id: ce.id,
        at: iso(now),
        ...(!completed && reason ? { reason: String(reason).slice(0, 500) } : {}),
        ...(typeof data.report_ref === 'string' ? { report_ref: data.report_ref.slice(0, 1024) } : {}),
      };
      return {
        fields: (p) => ({
          score_report: { ...((p as Partial<PartDoc>).score_report ?? {}), ...result, external },
        }),
        describe: `external grading ${external.status}`,
        reportChanged: true,
        applies: (p) =>
          (p as { score_report?: { external?: ExternalGrading } }).score_report?.external?.event_id === ce.id
            ? 'already applied'
            : GRADABLE.includes(p.status)
              ? true
              : `part is ${p.status}`,
      };
    }
    default:
      return undefined;
  }
}

/** A grader's report, checked before anything is written: points within 0..max, max above 0. */
function gradedReport(data: unknown, cutScore: number): Record<string, unknown> {
  const d = (data ?? {}) as {
    points_awarded?: unknown;
    points_max?: unknown;
    passed?: unknown;
    per_item?: unknown;
  };
  const errors: { pointer: string; detail: string; rule: string }[] = [];
  const max = d.points_max;
  const got = d.points_awarded;
  if (typeof max !== 'number' || !Number.isFinite(max) || max <= 0)
    errors.push({ pointer: '/data/points_max', detail: 'a number above 0', rule: 'points' });
  if (typeof got !== 'number' || !Number.isFinite(got) || got < 0 || (typeof max === 'number' && got > max))
    errors.push({ pointer: '/data/points_awarded', detail: 'a number from 0 to points_max', rule: 'points' });
  if (d.per_item !== undefined && (!Array.isArray(d.per_item) || d.per_item.length > 500))
    errors.push({ pointer: '/data/per_item', detail: 'an array of at most 500 items', rule: 'per_item' });
  if (errors.length) throw new Problem('validation-error', 'the grader report is not usable', { errors });
  const percentage = Math.round(((got as number) / (max as number)) * 10000) / 100;
  return {
    points_awarded: got,
    points_max: max,
    percentage,
    passed: typeof d.passed === 'boolean' ? d.passed : percentage >= cutScore,
    ...(d.per_item ? { per_item: d.per_item } : {}),
  };
}
