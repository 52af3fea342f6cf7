/**
 * The local bus's event `time` (found by the fleet e2e test, D206): EventBridge's JSON protocol
 * sends PutEvents' `Time` as epoch seconds, so an entry that came over the local AWS endpoint
 * carries a number of seconds, not milliseconds; an in-process caller passes a Date; without one
 * the bus stamps its clock's now.
 */
import { describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../../infra/local/event-bus.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';

const NOW = Date.parse('2026-12-03T09:18:00Z');
function bus() {
  return new LocalEventBus({ functions: [] } as never, {} as never, {
    busName: 'lcm-local',
    stage: 'local',
    region: 'us-east-1',
    accountId: '000000000000',
    clock: new ManualClock(NOW),
  });
}
const entry = (Time?: unknown) => ({
  Source: 'lcm.workers',
  DetailType: 'lcm.worker.scaled_up.v1',
  Detail: '{"a":1}',
  ...(Time === undefined ? {} : { Time: Time as Date }),
});

describe('the local bus stamps each event with its time', () => {
  it('epoch seconds from the wire (fractional too), a Date in process, the clock without one', () => {
    const b = bus();
    b.putEvents([entry(NOW / 1000 - 60), entry((NOW + 500) / 1000), entry(new Date(NOW - 1000)), entry()]);
    expect(b.log.map((e) => e.time)).toEqual([
      '2026-12-03T09:17:00Z',
      '2026-12-03T09:18:00Z',
      '2026-12-03T09:17:59Z',
      '2026-12-03T09:18:00Z',
    ]);
  });
});
