import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from '../runtime/aws.ts';
import { type CloudEvent, toPutEventsEntry } from './cloudevent.ts';

const MAX_ENTRIES = 10;

/** PutEvents in chunks of ten; any entry EventBridge refuses fails the call, so the caller retries. */
export async function publishCloudEvents(events: CloudEvent[], busName: string): Promise<void> {
  for (let i = 0; i < events.length; i += MAX_ENTRIES) {
    const chunk = events.slice(i, i + MAX_ENTRIES);
    const out = await eventBridgeClient().send(
      new PutEventsCommand({ Entries: chunk.map((e) => toPutEventsEntry(e, busName)) }),
    );
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
