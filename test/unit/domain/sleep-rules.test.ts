/**
 * Waiting in clock time (shared/domain/sleep.ts), rule by rule (issue 18). Real time is vitest's
 * fake timers throughout (and a scaled clock's real time is the faked `Date.now`), so nothing here
 * depends on how fast the machine is: a wait on the system clock ends after its milliseconds and
 * not one before; a scaled clock's wait wakes to re-check at most every `recheckMs` (sooner only
 * when its end comes sooner) and ends at once when nothing is left; a deadline waits at least
 * `min(ms, realFloorMs)` of real time; an aborted wait rejects with the reason and leaves no
 * timer and no listener behind, and a finished one leaves no listener on the signal.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, ScaledClock, systemClock } from '../../../shared/domain/clock.ts';
import { deadlineFor, sleeperFor } from '../../../shared/domain/sleep.ts';

/** Whether the promise has settled, after the microtasks queued so far have run. */
async function settled(p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await vi.advanceTimersByTimeAsync(0);
  return state;
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-12-01T09:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a wait on the system clock', () => {
  it('ends after its milliseconds of real time, not one before', async () => {
    const wait = sleeperFor(systemClock)(1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(wait)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(wait)).toBe('resolved');
  });

  it('aborted, it rejects with the reason and its timer is gone', async () => {
    const ac = new AbortController();
    const wait = sleeperFor(systemClock)(1_000, ac.signal);
    expect(vi.getTimerCount()).toBe(1);
    ac.abort(new Error('stop'));
    expect(await settled(wait)).toBe('rejected');
    await expect(wait).rejects.toThrow('stop');
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('a wait that ended leaves no listener on its signal; one aborted before it starts never starts', async () => {
    const ac = new AbortController();
    const wait = sleeperFor(systemClock)(10, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    await wait;
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);

    const gone = new AbortController();
    gone.abort(new Error('already'));
    const never = sleeperFor(systemClock)(10, gone.signal);
    expect(await settled(never)).toBe('rejected');
    await expect(never).rejects.toThrow('already');
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(gone.signal, 'abort')).toHaveLength(0);
  });
});

describe('a wait on a manual clock', () => {
  it('is a timer of the kind asked for, at now + ms; aborted before it starts, no timer at all', async () => {
    const clock = new ManualClock(1_000);
    void sleeperFor(clock, 100, 'deadline')(500);
    expect(clock.nextTimer('deadline')).toBe(1_500);
    expect(clock.nextTimer('wake')).toBeUndefined();

    const ac = new AbortController();
    ac.abort(new Error('already'));
    const other = new ManualClock(0);
    const never = sleeperFor(other)(500, ac.signal);
    expect(await settled(never)).toBe('rejected');
    await expect(never).rejects.toThrow('already');
    expect(other.pending).toBe(0);
  });

  it('aborted while pending, it rejects with the reason; its timer is cancelled and its listener gone', async () => {
    const clock = new ManualClock(0);
    const ac = new AbortController();
    const wait = sleeperFor(clock)(500, ac.signal);
    ac.abort(new Error('stop'));
    expect(await settled(wait)).toBe('rejected');
    await expect(wait).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});

describe('a wait on a scaled clock', () => {
  const scaled = (factor: number) => new ScaledClock(factor, 0, () => Date.now());

  it('wakes to re-check after recheckMs of real time, or sooner when its end is sooner', async () => {
    const clock = scaled(1);
    const t0 = Date.now();
    void sleeperFor(clock, 100)(1_000);
    vi.advanceTimersToNextTimer();
    expect(Date.now() - t0).toBe(100);

    const t1 = Date.now();
    void sleeperFor(scaled(1), 100)(40);
    vi.advanceTimersToNextTimer();
    expect(Date.now() - t1).toBe(40);
  });

  it('at ×10, a wait of 600 clock ms wakes after 60 real ms and ends then, not before', async () => {
    const wait = sleeperFor(scaled(10), 100)(600);
    await vi.advanceTimersByTimeAsync(59);
    expect(await settled(wait)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(wait)).toBe('resolved');
  });

  it('a wait of nothing ends at once, without a timer', async () => {
    const wait = sleeperFor(scaled(1), 100)(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(await settled(wait)).toBe('resolved');
  });

  it('a wait whose end is less than a real millisecond away still waits a millisecond, never 0', async () => {
    const clock = scaled(1_000);
    const t0 = Date.now();
    const wait = sleeperFor(clock, 100)(500); // half a real millisecond
    vi.advanceTimersToNextTimer();
    expect(Date.now() - t0).toBe(1);
    expect(await settled(wait)).toBe('resolved');
  });

  it('aborted while waiting, its timer is cleared', async () => {
    const ac = new AbortController();
    const wait = sleeperFor(scaled(1), 100)(1_000, ac.signal);
    expect(vi.getTimerCount()).toBe(1);
    ac.abort(new Error('stop'));
    expect(await settled(wait)).toBe('rejected');
    await expect(wait).rejects.toThrow('stop');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('a deadline', () => {
  it('on a manual clock, ends when the clock has passed it and the real floor has passed, whichever is later', async () => {
    const clock = new ManualClock(0);
    const dl = deadlineFor(clock, 50)(30_000);
    clock.advance(30_000);
    await vi.advanceTimersByTimeAsync(49);
    expect(await settled(dl)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(dl)).toBe('resolved');
  });

  it('the real floor is the deadline’s own length when that is shorter', async () => {
    const clock = new ManualClock(0);
    const dl = deadlineFor(clock, 50)(10);
    clock.advance(10);
    await vi.advanceTimersByTimeAsync(9);
    expect(await settled(dl)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(dl)).toBe('resolved');
  });

  it('the floor alone does not end it: the clock must pass it too', async () => {
    const clock = new ManualClock(0);
    const dl = deadlineFor(clock, 50)(30_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await settled(dl)).toBe('pending');
    expect(clock.nextTimer('deadline')).toBe(30_000);
    clock.advance(30_000);
    expect(await settled(dl)).toBe('resolved');
  });

  it('aborted during the floor, it rejects with the reason and leaves no timer', async () => {
    const clock = new ManualClock(0);
    const ac = new AbortController();
    const dl = deadlineFor(clock, 50)(30_000, ac.signal);
    clock.advance(30_000);
    expect(vi.getTimerCount()).toBe(1);
    ac.abort(new Error('answered'));
    expect(await settled(dl)).toBe('rejected');
    await expect(dl).rejects.toThrow('answered');
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('aborted before it starts, it rejects with the reason and sets no timer', async () => {
    const ac = new AbortController();
    ac.abort(new Error('already'));
    const clock = new ManualClock(0);
    const dl = deadlineFor(clock, 50)(30_000, ac.signal);
    expect(await settled(dl)).toBe('rejected');
    await expect(dl).rejects.toThrow('already');
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(clock.pending).toBe(0);
  });

  it('on a scaled clock, re-checks at least every 100 real ms', async () => {
    const t0 = Date.now();
    void deadlineFor(new ScaledClock(1, 0, () => Date.now()), 0)(10_000).catch(() => undefined);
    const before = vi.getTimerCount();
    expect(before).toBe(2); // the clock's re-check and the (zero) floor
    vi.advanceTimersToNextTimer(); // the floor, at once
    vi.advanceTimersToNextTimer();
    expect(Date.now() - t0).toBe(100);
  });
});
