import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from '../runtime/aws.ts';
import { type CloudEvent, toPutEventsEntry } from './cloudevent.ts';

const MAX_ENTRIES = 10;
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
export function putEventsBatches(entries: PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let cur: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const n = entryBytes(e);
    if (cur.length && (cur.length === MAX_ENTRIES || bytes + n > MAX_REQUEST_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * PutEvents in requests of at most ten entries and 256 KB; any entry EventBridge refuses fails the
 * call, so the caller retries.
 */
export async function publishCloudEvents(events: CloudEvent[], busName: string): Promise<void> {
  const entries = events.map((e) => toPutEventsEntry(e, busName));
  let i = 0;
  for (const batch of putEventsBatches(entries)) {
    const chunk = events.slice(i, i + batch.length);
    i += batch.length;
    const out = await eventBridgeClient().send(new PutEventsCommand({ Entries: batch }));
    if (out.FailedEntryCount) {
      const failed = (out.Entries ?? [])
        .map((e, j) =>
          e.ErrorCode ? `${chunk[j]?.type} ${chunk[j]?.id}: ${e.ErrorCode} ${e.ErrorMessage ?? ''}` : '',
        )
        .filter(Boolean);
      throw new Error(`EventBridge refused ${out.FailedEntryCount} event(s): ${failed.join('; ')}`);
    }
  }
}
