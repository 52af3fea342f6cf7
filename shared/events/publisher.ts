import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from '../runtime/aws-eventbridge.ts';
import { type CloudEvent, toPutEventsEntry } from './cloudevent.ts';

const MAX_ENTRIES = 10;
/** PutEvents calls per batch: the first and three retries of what is still refused. */
export const PUT_EVENTS_ATTEMPTS = 4;
const BACKOFF_MS = 100;
/** Error codes EventBridge answers for an entry that no retry will make acceptable. */
const PERMANENT = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
]);
/** PutEvents refuses a request whose entries add up to more than 256 KB. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** An entry's size as EventBridge counts it against the request limit (Time counts 14 bytes). */
export function entryBytes(e: PutEventsRequestEntry): number {
  return (
    14 +
    Buffer.byteLength(e.Source ?? '') +
    Buffer.byteLength(e.DetailType ?? '') +
    Buffer.byteLength(e.Detail ?? '') +
    (e.Resources ?? []).reduce((n, r) => n + Buffer.byteLength(r), 0)
  );
}

/** Consecutive entries in requests of at most ten and at most 256 KB each. */
export function putEventsBatches<T = PutEventsRequestEntry>(
  items: T[],
  entry: (t: T) => PutEventsRequestEntry = (t) => t as PutEventsRequestEntry,
): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = entryBytes(entry(item));
    if (cur.length && (cur.length === MAX_ENTRIES || bytes + n > MAX_REQUEST_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

export interface PublishOptions {
  /** Waits between retries (real time: the backoff is for EventBridge's own limits). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * PutEvents in requests of at most ten entries and 256 KB. A partial failure is retried for the
 * refused entries only (the accepted ones are not published again), with backoff, up to
 * PUT_EVENTS_ATTEMPTS calls; an entry refused for good (a malformed one) is not retried. What is
 * still refused then fails the call, so the caller's retry and its dead-letter queue take over (the
 * stream record: its retries, then the on-failure queue, `lcm ops redrive`).
 */
export async function publishCloudEvents(
  events: CloudEvent[],
  busName: string,
  opts: PublishOptions = {},
): Promise<void> {
  const sleep = opts.sleep ?? realSleep;
  const all = events.map((ce) => ({ ce, entry: toPutEventsEntry(ce, busName) }));
  for (const batch of putEventsBatches(all, (p) => p.entry)) {
    let pending = batch;
    for (let attempt = 1; pending.length; attempt++) {
      const out = await eventBridgeClient().send(
        new PutEventsCommand({ Entries: pending.map((p) => p.entry) }),
      );
      if (!out.FailedEntryCount) break;
      const refused = pending
        .map((p, j) => ({ ...p, result: out.Entries?.[j] }))
        .filter((p) => p.result?.ErrorCode);
      const permanent = refused.some((p) => PERMANENT.has(p.result!.ErrorCode!));
      if (permanent || attempt >= PUT_EVENTS_ATTEMPTS)
        throw new Error(
          `EventBridge refused ${refused.length} event(s) after ${attempt} call(s): ${refused
            .map((p) => `${p.ce.type} ${p.ce.id}: ${p.result!.ErrorCode} ${p.result!.ErrorMessage ?? ''}`)
            .join('; ')}`,
        );
      pending = refused.map(({ ce, entry }) => ({ ce, entry }));
      await sleep(BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
    }
  }
}
