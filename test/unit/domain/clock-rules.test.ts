/**
 * The clock rules of shared/domain/clock.ts, each bound from both sides (issue 18): a clock never
 * runs backwards (standing still is allowed), a timer fires when the clock reaches its instant (not
 * a millisecond before), timers fire in time order whatever order they were set in, `LCM_CLOCK`'s
 * forms and refusals, and what a child process is handed. No test reads the wall clock's speed:
 * scaled clocks get a real-time function the test moves, or a rate so small time cannot move.
 */
import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  ScaledClock,
  clockFromSpec,
  clockSpecForChild,
  iso,
  parseClockSpec,
  systemClock,
  toMillis,
} from '../../../shared/domain/clock.ts';

const T = Date.parse('2026-12-01T09:00:00.000Z');
/** A rate at which a test's run cannot move the clock by a millisecond (1 ms per ~31 years). */
const STILL = 1e-12;

describe('the system clock', () => {
  it('reads the wall clock', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});

describe('a manual clock', () => {
  it('starts at the given instant (a number, an ISO string or a Date), or now', () => {
    expect(new ManualClock(T).now()).toBe(T);
    expect(new ManualClock(iso(T)).now()).toBe(T);
    expect(new ManualClock(new Date(T + 7)).now()).toBe(T + 7);
    const before = Date.now();
    const now = new ManualClock().now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('may be set to where it stands or later, not a millisecond earlier', () => {
    const c = new ManualClock(T);
    c.set(T);
    expect(c.now()).toBe(T);
    c.set(iso(T + 1));
    expect(c.now()).toBe(T + 1);
    expect(() => c.set(T)).toThrow(RangeError);
    expect(c.now()).toBe(T + 1);
  });

  it('may advance by nothing, not by less', () => {
    const c = new ManualClock(T);
    c.advance(0);
    expect(c.now()).toBe(T);
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(c.now()).toBe(T);
  });

  it('a timer fires when the clock reaches its instant, not a millisecond before (advance and set alike)', () => {
    const c = new ManualClock(0);
    const fired: number[] = [];
    c.schedule(1_000, () => fired.push(1));
    c.schedule(2_000, () => fired.push(2));
    c.advance(999);
    expect(fired).toEqual([]);
    c.advance(1);
    expect(fired).toEqual([1]);
    c.set(1_999);
    expect(fired).toEqual([1]);
    c.set(2_000);
    expect(fired).toEqual([1, 2]);
    expect(c.pending).toBe(0);
  });

  it('a timer at the current instant fires at once, and its cancellation does nothing', () => {
    const c = new ManualClock(5_000);
    let n = 0;
    const cancel = c.schedule(5_000, () => n++);
    expect(n).toBe(1);
    expect(c.pending).toBe(0);
    expect(cancel()).toBeUndefined();
    c.advance(10_000);
    expect(n).toBe(1);
  });

  it('a timer one millisecond ahead waits', () => {
    const c = new ManualClock(5_000);
    let n = 0;
    c.schedule(5_001, () => n++);
    expect(n).toBe(0);
    expect(c.pending).toBe(1);
  });

  it('timers due together fire once each, in time order whatever order they were set in', () => {
    const c = new ManualClock(0);
    const fired: number[] = [];
    for (const at of [3_000, 1_000, 5_000, 2_000, 4_000]) c.schedule(at, () => fired.push(at));
    c.advance(10_000);
    expect(fired).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    c.advance(10_000);
    expect(fired).toHaveLength(5);
    expect(c.pending).toBe(0);
  });

  it('a cancelled timer never fires and is no longer pending; the others still do', () => {
    const c = new ManualClock(0);
    const fired: string[] = [];
    c.schedule(1_000, () => fired.push('a'));
    const cancel = c.schedule(1_000, () => fired.push('b'));
    expect(c.pending).toBe(2);
    cancel();
    expect(c.pending).toBe(1);
    c.advance(1_000);
    expect(fired).toEqual(['a']);
  });

  it('a timer is a wake unless told otherwise; the next timer of a kind ignores the other kind', () => {
    const c = new ManualClock(0);
    c.schedule(2_000, () => undefined, 'deadline');
    c.schedule(3_000, () => undefined);
    c.schedule(4_000, () => undefined, 'wake');
    c.schedule(1_000, () => undefined, 'deadline');
    expect(c.nextTimer()).toBe(1_000);
    expect(c.nextTimer('deadline')).toBe(1_000);
    expect(c.nextTimer('wake')).toBe(3_000);
    c.advance(1_500);
    expect(c.nextTimer()).toBe(2_000);
    expect(c.nextTimer('deadline')).toBe(2_000);
    c.advance(500);
    expect(c.nextTimer('deadline')).toBeUndefined();
    expect(c.nextTimer()).toBe(3_000);
    expect(new ManualClock(0).nextTimer()).toBeUndefined();
  });

  it('the earliest of several timers is the next, whichever was set first', () => {
    const c = new ManualClock(0);
    c.schedule(1_000, () => undefined);
    c.schedule(3_000, () => undefined);
    c.schedule(2_000, () => undefined);
    expect(c.nextTimer()).toBe(1_000);
    const d = new ManualClock(0);
    d.schedule(3_000, () => undefined);
    d.schedule(1_000, () => undefined);
    d.schedule(2_000, () => undefined);
    expect(d.nextTimer('wake')).toBe(1_000);
  });
});

describe('a scaled clock', () => {
  it.each([0, -1, Number.NaN])('refuses the factor %s, at creation and on a change', (factor) => {
    expect(() => new ScaledClock(factor, T, () => 0)).toThrow(RangeError);
    const c = new ScaledClock(2, T, () => 0);
    expect(() => c.setFactor(factor)).toThrow(RangeError);
    expect(c.factor).toBe(2);
  });

  it('takes a factor just above zero', () => {
    expect(new ScaledClock(STILL, T, () => 0).factor).toBe(STILL);
  });

  it('starts at the given instant, or now, and counts whole milliseconds', () => {
    let real = 100;
    const c = new ScaledClock(1.5, T, () => real);
    expect(c.now()).toBe(T);
    real = 101; // 1.5 virtual ms
    expect(c.now()).toBe(T + 1);
    real = 102;
    expect(c.now()).toBe(T + 3);
    const before = Date.now();
    const d = new ScaledClock(STILL);
    expect(d.now()).toBeGreaterThanOrEqual(before);
    expect(d.now()).toBeLessThanOrEqual(Date.now());
  });

  it('may jump forward by nothing, not by less', () => {
    const c = new ScaledClock(10, T, () => 0);
    c.advance(0);
    expect(c.now()).toBe(T);
    expect(() => c.advance(-1)).toThrow(RangeError);
    c.advance(5);
    expect(c.now()).toBe(T + 5);
  });

  it('a change of rate to the same rate changes nothing', () => {
    let real = 0;
    const c = new ScaledClock(10, T, () => real);
    real = 100;
    c.setFactor(10);
    expect(c.now()).toBe(T + 1_000);
    real = 200;
    expect(c.now()).toBe(T + 2_000);
  });

  it('the real delay of a virtual wait is its length divided by the rate, never negative', () => {
    const c = new ScaledClock(4, T, () => 0);
    expect(c.realDelay(1_000)).toBe(250);
    expect(c.realDelay(0)).toBe(0);
    expect(c.realDelay(-1_000)).toBe(0);
  });
});

describe('LCM_CLOCK', () => {
  it.each([
    ['', { kind: 'real' }],
    ['manual', { kind: 'manual' }],
    ['manual:', { kind: 'manual' }],
    ['accelerated:0.5', { kind: 'accelerated', factor: 0.5 }],
    ['accelerated:1e-3', { kind: 'accelerated', factor: 0.001 }],
    ['accelerated:60@2026-12-01T09:00:00Z', { kind: 'accelerated', factor: 60, start: T }],
  ] as const)('parses %j', (value, spec) => {
    expect(parseClockSpec(value)).toEqual(spec);
  });

  it.each([
    ['accelerated', /positive factor/],
    ['accelerated:', /positive factor/],
    ['accelerated:@2026-12-01T09:00:00Z', /positive factor/],
    ['accelerated:-1', /positive factor/],
    ['accelerated:Infinity', /positive factor/],
    ['accelerated:60@', /bad time/],
    ['accelerated:60@soon', /bad time/],
    ['manual:soon', /bad time/],
    ['Real', /must be real, accelerated/],
    [':real', /must be real, accelerated/],
    ['manual2026', /must be real, accelerated/],
  ])('refuses %j, saying why', (value, why) => {
    expect(() => parseClockSpec(value)).toThrow(RangeError);
    expect(() => parseClockSpec(value)).toThrow(why);
  });

  it('makes the clock it names: the system clock, a scaled clock from its start, a manual clock from its start', () => {
    expect(clockFromSpec({ kind: 'real' })).toBe(systemClock);
    const scaled = clockFromSpec({ kind: 'accelerated', factor: STILL, start: T });
    expect(scaled).toBeInstanceOf(ScaledClock);
    expect(scaled.now()).toBe(T);
    const manual = clockFromSpec({ kind: 'manual', start: T });
    expect(manual).toBeInstanceOf(ManualClock);
    expect(manual.now()).toBe(T);
  });

  it('without a start, a made clock starts now', () => {
    const before = Date.now();
    const scaled = clockFromSpec({ kind: 'accelerated', factor: STILL });
    const manual = clockFromSpec({ kind: 'manual' });
    const after = Date.now();
    for (const c of [scaled, manual]) {
      expect(c.now()).toBeGreaterThanOrEqual(before);
      expect(c.now()).toBeLessThanOrEqual(after);
    }
  });
});

describe('what a child process is handed', () => {
  it('real stays real; a manual clock hands its instant', () => {
    expect(clockSpecForChild({ kind: 'real' }, new ManualClock(T))).toBe('real');
    expect(clockSpecForChild({ kind: 'manual' }, new ManualClock(T))).toBe('manual:2026-12-01T09:00:00.000Z');
  });

  it('a scaled clock hands its rate of the moment and its instant', () => {
    let real = 0;
    const c = new ScaledClock(600, T, () => real);
    c.setFactor(20);
    real = 1_000;
    expect(clockSpecForChild({ kind: 'accelerated', factor: 600 }, c)).toBe(
      'accelerated:20@2026-12-01T09:00:20.000Z',
    );
  });

  it('another clock under an accelerated spec hands the spec’s rate', () => {
    expect(clockSpecForChild({ kind: 'accelerated', factor: 60 }, new ManualClock(T))).toBe(
      'accelerated:60@2026-12-01T09:00:00.000Z',
    );
  });
});

describe('instants', () => {
  it('a number, an ISO string or a Date is an instant in epoch milliseconds', () => {
    expect(toMillis(T)).toBe(T);
    expect(toMillis('2026-12-01T09:00:00Z')).toBe(T);
    expect(toMillis(new Date(T))).toBe(T);
    expect(toMillis(new Date(T + 123))).toBe(T + 123); // a Date keeps its milliseconds
    expect(toMillis(0)).toBe(0);
    expect(iso(T)).toBe('2026-12-01T09:00:00.000Z');
  });

  it.each([Number.NaN, 'yesterday', new Date('nope')])('%s is not a time', (t) => {
    expect(() => toMillis(t)).toThrow(RangeError);
    expect(() => toMillis(t)).toThrow(/not a time/);
  });
});
