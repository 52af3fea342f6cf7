import { describe, expect, it } from 'vitest';
import { fromEventBridgeEvent, makeCloudEvent, toPutEventsEntry } from '../../../shared/events/cloudevent.ts';
import { Problem } from '../../../shared/domain/problem.ts';

const ce = makeCloudEvent({
  id: 'evt_1',
  source: 'lcm.sessions',
  type: 'lcm.session.status_changed.v1',
  subject: 'sessions/ses_1',
  time: '2026-12-01T09:00:00.000Z',
  data: { from: 'pending', to: 'admitting' },
});

describe('CloudEvent ↔ EventBridge', () => {
  it('maps source, type and the whole event in structured mode', () => {
    const entry = toPutEventsEntry(ce, 'local-lcm');
    expect(entry).toMatchObject({
      EventBusName: 'local-lcm',
      Source: 'lcm.sessions',
      DetailType: 'lcm.session.status_changed.v1',
    });
    expect(JSON.parse(entry.Detail!)).toEqual(ce);
    expect(ce.specversion).toBe('1.0');
    expect(ce.datacontenttype).toBe('application/json');
  });

  it('round-trips through what an EventBridge target receives', () => {
    const entry = toPutEventsEntry(ce, 'b');
    const received = {
      source: entry.Source!,
      'detail-type': entry.DetailType!,
      detail: JSON.parse(entry.Detail!),
    };
    expect(fromEventBridgeEvent(received)).toEqual(ce);
  });

  it('rejects a detail that is not a CloudEvent, naming the fields', () => {
    try {
      fromEventBridgeEvent({ source: 'x', 'detail-type': 'y', detail: { specversion: '0.3', source: 'z' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(Problem);
      const pointers = (e as Problem).errors!.map((x) => x.pointer);
      expect(pointers).toEqual(
        expect.arrayContaining(['/detail/specversion', '/detail/id', '/detail/type', '/source']),
      );
    }
  });

  it('refuses unversioned types and bad extension names', () => {
    expect(() =>
      makeCloudEvent({ id: '1', source: 's', type: 'lcm.session.changed', time: 't', data: {} }),
    ).toThrow(/versioned/);
    expect(() =>
      makeCloudEvent({
        id: '1',
        source: 's',
        type: 'a.b.v1',
        time: 't',
        data: {},
        extensions: { 'Bad-Name': 'x' },
      }),
    ).toThrow(/extension/);
  });
});
