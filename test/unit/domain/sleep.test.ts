import { describe, expect, it } from 'vitest';
import { ManualClock, ScaledClock } from '../../../shared/domain/clock.ts';
import { deadlineFor, sleeperFor } from '../../../shared/domain/sleep.ts';

describe('waiting in clock time', () => {
  it('a wait on a scaled clock ends when its clock time has passed, whatever the rate did meanwhile', async () => {
    // Real time that moves only when the test says so: the wait is checked on every timer.
    let real = 0;
    const clock = new ScaledClock(1000, 0, () => real);
    const sleep = sleeperFor(clock, 1);
    let ended = false;
    const wait = sleep(60_000).then(() => (ended = true)); // 60 clock seconds: 60 ms at ×1000
    real = 50; // 50 clock seconds
    clock.setFactor(10); // work in flight: time slows down
    await new Promise((r) => setTimeout(r, 20));
    expect(ended).toBe(false); // only 50 of 60 clock seconds have passed
    real = 1_050; // 10 more clock seconds at ×10
    await wait;
    expect(clock.now()).toBeGreaterThanOrEqual(60_000);
  });

  it('an aborted wait rejects with the reason and never resolves', async () => {
    const clock = new ScaledClock(1, 0, () => 0); // real time that never moves: only the abort ends it
    const ac = new AbortController();
    const wait = sleeperFor(clock, 1)(1_000, ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(wait).rejects.toThrow('cancelled');
  });

  it('a wait on a manual clock is a pending timer that ends when the clock is moved past it, not before', async () => {
    const clock = new ManualClock(0);
    let ended = false;
    const wait = sleeperFor(clock)(5_000).then(() => (ended = true));
    expect(clock.pending).toBe(1);
    expect(clock.nextTimer('wake')).toBe(5_000);
    expect(clock.nextTimer('deadline')).toBeUndefined();
    clock.advance(4_999);
    await new Promise((r) => setTimeout(r, 5));
    expect(ended).toBe(false);
    clock.advance(1);
    await wait;
    expect(ended).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('a deadline is a timer of its own kind, and an aborted wait leaves no timer behind', async () => {
    const clock = new ManualClock(0);
    const ac = new AbortController();
    const dl = deadlineFor(clock, 0)(30_000, ac.signal);
    expect(clock.nextTimer('deadline')).toBe(30_000);
    expect(clock.nextTimer('wake')).toBeUndefined();
    ac.abort(new Error('answered'));
    await expect(dl).rejects.toThrow('answered');
    expect(clock.pending).toBe(0);
  });
});
