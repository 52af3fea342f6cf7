import { iso, toMillis } from './clock.ts';

export const DEFAULT_LEAD_TIME_MINUTES = 15;
export const DEFAULT_TEARDOWN_BUFFER_MINUTES = 10;
const MIN = 60_000;

/** Wire shape (snake_case, RFC 3339 times). */
export interface Timeslot {
  start: string;
  end: string;
  lead_time_minutes: number;
  teardown_buffer_minutes: number;
}

export type TimeslotPhase = 'before' | 'approaching' | 'active' | 'teardown' | 'expired';

export function makeTimeslot(input: {
  start: string | number;
  end: string | number;
  lead_time_minutes?: number;
  teardown_buffer_minutes?: number;
}): Timeslot {
  const start = toMillis(input.start);
  const end = toMillis(input.end);
  if (!(end > start)) throw new RangeError('timeslot end must be after start');
  const lead = input.lead_time_minutes ?? DEFAULT_LEAD_TIME_MINUTES;
  const teardown = input.teardown_buffer_minutes ?? DEFAULT_TEARDOWN_BUFFER_MINUTES;
  if (lead < 0 || teardown < 0) throw new RangeError('lead time and teardown buffer cannot be negative');
  return { start: iso(start), end: iso(end), lead_time_minutes: lead, teardown_buffer_minutes: teardown };
}

export const startMs = (t: Timeslot) => Date.parse(t.start);
export const endMs = (t: Timeslot) => Date.parse(t.end);
export const durationMs = (t: Timeslot) => endMs(t) - startMs(t);
export const provisionAt = (t: Timeslot) => startMs(t) - t.lead_time_minutes * MIN;
export const cleanupDeadline = (t: Timeslot) => endMs(t) + t.teardown_buffer_minutes * MIN;

/**
 * before: earlier than provision_at; approaching: provisioning window; active: inside
 * [start, end); teardown: [end, cleanup_deadline); expired: at or past the cleanup deadline.
 */
export function phase(t: Timeslot, now: number): TimeslotPhase {
  if (now < provisionAt(t)) return 'before';
  if (now < startMs(t)) return 'approaching';
  if (now < endMs(t)) return 'active';
  if (now < cleanupDeadline(t)) return 'teardown';
  return 'expired';
}

export function extend(t: Timeslot, newEnd: string | number): Timeslot {
  const end = toMillis(newEnd);
  if (!(end > endMs(t))) throw new RangeError('an extension must move the end later');
  return { ...t, end: iso(end) };
}

export function contains(outer: Timeslot, inner: Timeslot): boolean {
  return startMs(inner) >= startMs(outer) && endMs(inner) <= endMs(outer);
}

/** Derived values a reader wants without doing the arithmetic. */
export function describeTimeslot(t: Timeslot, now?: number) {
  return {
    ...t,
    duration_minutes: durationMs(t) / MIN,
    provision_at: iso(provisionAt(t)),
    cleanup_deadline: iso(cleanupDeadline(t)),
    ...(now === undefined ? {} : { phase: phase(t, now) }),
  };
}
