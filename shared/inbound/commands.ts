/**
 * External CloudEvents → commands on a session tree: the candidate starting or ending a part (the
 * lab delivery system). Allow-listed by source, applied at most once per (source, id), turned
 * into a conditional write on the part. Anything else is acknowledged and ignored.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import { readSecret } from '../adapters/secrets.ts';
import type { Context } from 'aws-lambda';
import { iso } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
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

export function targetOf(ce: CloudEvent): { session_id: string; part_order: number } {
  const data = (ce.data ?? {}) as { session_id?: string; part_order?: number };
  const m = /^sessions\/(ses_[0-9a-z]+)\/parts\/(\d+)$/.exec(ce.subject ?? '');
  const session_id = data.session_id ?? m?.[1];
  const part_order = data.part_order ?? (m ? Number(m[2]) : undefined);
  if (!session_id || !part_order)
    throw new Problem('validation-error', 'the event names no session part', {
      errors: [
        {
          pointer: '/subject',
          detail: 'give subject sessions/<id>/parts/<n> or data.session_id and data.part_order',
          rule: 'target',
        },
      ],
    });
  return { session_id, part_order };
}

export async function applyInbound(ce: CloudEvent, store: StateStore, now: number): Promise<InboundOutcome> {
  assertAllowedSource(ce.source);
  const patch = patchFor(ce, now);
  if (!patch) return { outcome: 'ignored', detail: `type ${ce.type} is not acted on` };
  const { session_id, part_order } = targetOf(ce);
  let verdict: true | string = true;
  const part = await store.update<StoredItem & { status: string }>(keys.part(session_id, part_order), (p) => {
    verdict = patch.applies(p);
    return verdict === true ? { ...p, ...patch.fields, updated_at: iso(now) } : undefined;
  });
  if (!part) throw new Problem('not-found', `no part ${part_order} in session ${session_id}`);
  return verdict === true
    ? { outcome: 'applied', detail: patch.describe }
    : { outcome: 'ignored', detail: verdict };
}

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
  fields: Record<string, unknown>;
  describe: string;
  applies(part: StoredItem & { status: string }): true | string;
}

function patchFor(ce: CloudEvent, now: number): Patch | undefined {
  const reason = (ce.data as { reason?: string } | undefined)?.reason;
  switch (ce.type) {
    case INBOUND_EVENT_TYPES.ldsSessionRunning:
      return {
        fields: { candidate_started_at: iso(now) },
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
        fields: { end_requested: { at: iso(now), by: ce.source, ...(reason ? { reason } : {}) } },
        describe: 'candidate ended the part',
        applies: (p) =>
          p.end_requested
            ? 'already ended'
            : ['waiting', 'monitoring'].includes(p.status)
              ? true
              : `part is ${p.status}`,
      };
    default:
      return undefined;
  }
}
