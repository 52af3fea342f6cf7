import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { publishCloudEvents } from '../../../shared/events/publisher.ts';
import { makeCloudEvent } from '../../../shared/events/cloudevent.ts';

const eb = mockClient(EventBridgeClient);
beforeEach(() => eb.reset());

const events = Array.from({ length: 12 }, (_, i) =>
  makeCloudEvent({
    id: `evt_${i}`,
    source: 'lcm.sessions',
    type: 'lcm.session.status_changed.v1',
    subject: `sessions/ses_${i}`,
    time: '2026-12-01T09:00:00.000Z',
    data: { i },
  }),
);
const ids = (call: number) =>
  (eb.commandCalls(PutEventsCommand)[call]!.args[0].input.Entries ?? []).map(
    (e) => (JSON.parse(e.Detail!) as { id: string }).id,
  );
const noWait = { sleep: async () => {} };

describe('publishing CloudEvents with PutEvents (issue 16, finding 6: partial failures)', () => {
  it('retries only the entries EventBridge refused, not the whole chunk', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: Array.from({ length: 10 }, (_, j) =>
          j === 3 || j === 7
            ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
            : { EventId: `e${j}` },
        ),
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }, { EventId: 'y' }] });
    await publishCloudEvents(events, 'dev-lcm', noWait);
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(3);
    expect(ids(0)).toEqual(events.slice(0, 10).map((e) => e.id));
    // The retry carries evt_3 and evt_7 only; the eight accepted ones are not published again.
    expect(ids(1)).toEqual(['evt_3', 'evt_7']);
    expect(ids(2)).toEqual(['evt_10', 'evt_11']);
  });

  it('gives up after its retry limit, naming what is still refused (the stream then retries the record and its on-failure queue keeps it)', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    await expect(publishCloudEvents(events.slice(0, 1), 'dev-lcm', noWait)).rejects.toThrow(
      /evt_0: ThrottlingException/,
    );
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(4);
  });

  it('does not retry an entry EventBridge will never accept', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'bad json' }],
    });
    await expect(publishCloudEvents(events.slice(0, 2), 'dev-lcm', noWait)).rejects.toThrow(
      /evt_1: MalformedDetail/,
    );
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
  });
});
