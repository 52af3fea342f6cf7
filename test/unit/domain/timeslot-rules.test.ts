/**
 * Timeslot rules at their boundaries, from both sides (issue 18).
 */
import { describe, expect, it } from 'vitest';
import {
  contains,
  describeTimeslot,
  durationMs,
  extend,
  makeTimeslot,
  phase,
} from '../../../shared/domain/timeslot.ts';

const T = (start: string, end: string, lead = 30, teardown = 10) =>
  makeTimeslot({
    start: `2026-12-01T${start}:00Z`,
    end: `2026-12-01T${end}:00Z`,
    lead_time_minutes: lead,
    teardown_buffer_minutes: teardown,
  });
const at = (hhmm: string) => Date.parse(`2026-12-01T${hhmm}:00Z`);

describe('timeslot boundaries', () => {
  it('containment includes equal edges and excludes a minute beyond either edge', () => {
    const outer = T('09:00', '17:00');
    expect(contains(outer, T('09:00', '17:00'))).toBe(true);
    expect(contains(outer, T('08:59', '12:00'))).toBe(false);
    expect(contains(outer, T('12:00', '17:01'))).toBe(false);
  });

  it('zero lead time and zero teardown are allowed; negative teardown is not', () => {
    const t = T('09:00', '10:00', 0, 0);
    expect(phase(t, at('08:59'))).toBe('before');
    expect(phase(t, at('09:00'))).toBe('active');
    expect(phase(t, at('10:00'))).toBe('expired');
    expect(() => T('09:00', '10:00', 0, -1)).toThrow(RangeError);
    expect(() => T('09:00', '10:00', -1, 0)).toThrow(RangeError);
  });

  it('the teardown phase lasts until the last millisecond before the cleanup deadline', () => {
    const t = T('09:00', '10:00', 30, 10);
    expect(phase(t, at('10:10') - 1)).toBe('teardown');
    expect(phase(t, at('10:10'))).toBe('expired');
    expect(phase(t, at('09:00') - 1)).toBe('approaching');
  });

  it('an extension must move the end later: the same end is refused', () => {
    const t = T('09:00', '10:00');
    expect(() => extend(t, '2026-12-01T10:00:00Z')).toThrow(RangeError);
    expect(extend(t, at('10:01')).end).toBe('2026-12-01T10:01:00.000Z');
    expect(extend(t, at('10:01')).start).toBe(t.start);
  });

  it('describes itself with derived figures and, given a time, its phase', () => {
    const t = T('09:00', '10:30', 30, 10);
    expect(durationMs(t)).toBe(90 * 60_000);
    expect(describeTimeslot(t, at('08:45'))).toEqual({
      ...t,
      duration_minutes: 90,
      provision_at: '2026-12-01T08:30:00.000Z',
      cleanup_deadline: '2026-12-01T10:40:00.000Z',
      phase: 'approaching',
    });
    expect(describeTimeslot(t)).not.toHaveProperty('phase');
  });
});
