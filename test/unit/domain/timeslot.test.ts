import { describe, expect, it } from 'vitest';
import {
  cleanupDeadline,
  contains,
  describeTimeslot,
  extend,
  makeTimeslot,
  phase,
  provisionAt,
} from '../../../shared/domain/timeslot.ts';

const slot = makeTimeslot({
  start: '2026-12-01T09:00:00Z',
  end: '2026-12-01T17:00:00Z',
  lead_time_minutes: 30,
  teardown_buffer_minutes: 10,
});
const at = (s: string) => Date.parse(s);

describe('Timeslot', () => {
  it('derives provision_at and cleanup_deadline', () => {
    expect(new Date(provisionAt(slot)).toISOString()).toBe('2026-12-01T08:30:00.000Z');
    expect(new Date(cleanupDeadline(slot)).toISOString()).toBe('2026-12-01T17:10:00.000Z');
    expect(describeTimeslot(slot).duration_minutes).toBe(480);
  });

  it.each([
    ['2026-12-01T08:29:59Z', 'before'],
    ['2026-12-01T08:30:00Z', 'approaching'],
    ['2026-12-01T09:00:00Z', 'active'],
    ['2026-12-01T16:59:59Z', 'active'],
    ['2026-12-01T17:00:00Z', 'teardown'],
    ['2026-12-01T17:10:00Z', 'expired'],
  ] as const)('phase at %s is %s', (now, expected) => {
    expect(phase(slot, at(now))).toBe(expected);
  });

  it('defaults lead time to 15 min and teardown to 10 min', () => {
    const t = makeTimeslot({ start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z' });
    expect(t.lead_time_minutes).toBe(15);
    expect(t.teardown_buffer_minutes).toBe(10);
  });

  it('rejects an end that is not after the start, and negative buffers', () => {
    expect(() => makeTimeslot({ start: '2026-12-01T09:00:00Z', end: '2026-12-01T09:00:00Z' })).toThrow(
      /after start/,
    );
    expect(() =>
      makeTimeslot({ start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z', lead_time_minutes: -1 }),
    ).toThrow();
  });

  it('extends only forwards', () => {
    expect(extend(slot, '2026-12-01T18:00:00Z').end).toBe('2026-12-01T18:00:00.000Z');
    expect(() => extend(slot, '2026-12-01T16:00:00Z')).toThrow(/later/);
  });

  it('containment', () => {
    const inner = makeTimeslot({ start: '2026-12-01T10:00:00Z', end: '2026-12-01T12:00:00Z' });
    const outside = makeTimeslot({ start: '2026-12-01T16:00:00Z', end: '2026-12-01T18:00:00Z' });
    expect(contains(slot, inner)).toBe(true);
    expect(contains(slot, outside)).toBe(false);
  });
});
