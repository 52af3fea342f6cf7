import { describe, expect, it } from 'vitest';
import { eventsForChange } from '../../../shared/events/outbox.ts';
import { EVENT_TYPES } from '../../../shared/events/types.ts';

const w = {
  pk: 'WORKER#wrk_1',
  sk: 'WORKER',
  entity: 'worker',
  id: 'wrk_1',
  template: 'cml-m5-2xlarge',
  region: 'eu-west-1',
  updated_at: '2026-12-01T06:00:00.000Z',
};
const history = [
  { from: null, to: 'pending', at: '2026-12-01T06:00:00.000Z', by: 'fleet-reconciler', reason: 'x' },
];

describe('worker events from the outbox', () => {
  it('a launched worker announces its status and the scale-up with its reason, once', () => {
    const scaling = { direction: 'up', reason: 'pod p1 provisions at 07:00', at: '2026-12-01T06:00:00.000Z' };
    const change = {
      eventName: 'INSERT' as const,
      newImage: {
        ...w,
        status: 'pending',
        desired_status: 'running',
        state_version: 1,
        state_history: history,
        scaling,
      },
    };
    const events = eventsForChange(change);
    expect(events.map((e) => e.type)).toEqual([EVENT_TYPES.workerStatusChanged, EVENT_TYPES.workerScaledUp]);
    expect(events[1]!.data).toEqual({
      id: 'wrk_1',
      template: 'cml-m5-2xlarge',
      region: 'eu-west-1',
      desired_status: 'running',
      reason: 'pod p1 provisions at 07:00',
    });
    // A later write that keeps the stamp announces no second scale-up.
    const later = eventsForChange({
      eventName: 'MODIFY',
      oldImage: change.newImage,
      newImage: { ...change.newImage, state_version: 2, instance_id: 'i-1' },
    });
    expect(later).toEqual([]);
  });

  it('a drain announces scaled_down with its reason', () => {
    const old = {
      ...w,
      status: 'running',
      desired_status: 'running',
      state_version: 5,
      state_history: history,
    };
    const events = eventsForChange({
      eventName: 'MODIFY',
      oldImage: old,
      newImage: {
        ...old,
        desired_status: 'stopped',
        state_version: 6,
        scaling: { direction: 'down', reason: 'idle since 05:00', at: '2026-12-01T06:00:00.000Z' },
      },
    });
    expect(events.map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([
      [EVENT_TYPES.workerScaledDown, 'idle since 05:00'],
    ]);
  });
});
