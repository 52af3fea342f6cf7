import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from '../runtime/aws.ts';
import { type CloudEvent, toPutEventsEntry } from './cloudevent.ts';

const MAX_ENTRIES = 10;
/** PutEvents calls per chunk: the first and three retries of what is still refused. */
export const PUT_EVENTS_ATTEMPTS = 4;
const BACKOFF_MS = 100;
/** Error codes EventBridge answers for an entry that no retry will make acceptable. */
const PERMANENT = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
]);

export interface PublishOptions {
  /** Waits between retries (real time: the backoff is for EventBridge's own limits). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * PutEvents in chunks of ten. A partial failure is retried for the refused entries only (the
 * accepted ones are not published again), with backoff, up to PUT_EVENTS_ATTEMPTS calls; an entry
 * refused for good (a malformed one) is not retried. What is still refused then fails the call,
 * so the caller's retry and its dead-letter queue take over (the stream record: its retries,
 * then the on-failure queue, `lcm ops redrive`).
 */
export async function publishCloudEvents(
  events: CloudEvent[],
  busName: string,
  opts: PublishOptions = {},
): Promise<void> {
  const sleep = opts.sleep ?? realSleep;
  for (let i = 0; i < events.length; i += MAX_ENTRIES) {
    let pending: { ce: CloudEvent; entry: PutEventsRequestEntry }[] = events
      .slice(i, i + MAX_ENTRIES)
      .map((ce) => ({ ce, entry: toPutEventsEntry(ce, busName) }));
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
