import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  ScaledClock,
  clockFromSpec,
  clockSpecForChild,
  parseClockSpec,
} from '../../../shared/domain/clock.ts';

describe('clocks', () => {
  it('a manual clock moves only when told, never backwards', () => {
    const c = new ManualClock('2026-12-01T09:00:00Z');
    expect(c.now()).toBe(Date.parse('2026-12-01T09:00:00Z'));
    c.advance(60_000);
    expect(c.now()).toBe(Date.parse('2026-12-01T09:01:00Z'));
    expect(() => c.advance(-1)).toThrow();
    expect(() => c.set('2026-12-01T08:00:00Z')).toThrow();
  });

  it('a manual clock fires its timers in time order when moved past them, and knows the next of each kind', () => {
    const c = new ManualClock(0);
    const fired: string[] = [];
    c.schedule(3_000, () => fired.push('deadline@3'), 'deadline');
    c.schedule(2_000, () => fired.push('wake@2'));
    const cancel = c.schedule(2_500, () => fired.push('cancelled'));
    c.schedule(5_000, () => fired.push('wake@5'));
    expect(c.nextTimer()).toBe(2_000);
    expect(c.nextTimer('deadline')).toBe(3_000);
    cancel();
    c.advance(1_999);
    expect(fired).toEqual([]);
    c.advance(1_001); // to 3 000: both due, earliest first
    expect(fired).toEqual(['wake@2', 'deadline@3']);
    expect(c.nextTimer('wake')).toBe(5_000);
    expect(c.nextTimer('deadline')).toBeUndefined();
    c.set(5_000);
    expect(fired.at(-1)).toBe('wake@5');
    expect(c.pending).toBe(0);
    // A timer already due fires at once.
    c.schedule(4_000, () => fired.push('late'));
    expect(fired.at(-1)).toBe('late');
  });

  it('an accelerated clock runs factor times faster than wall time', () => {
    let real = 1_000;
    const c = new ScaledClock(600, 0, () => real);
    real += 48_000; // 48 real seconds
    expect(c.now()).toBe(8 * 3600 * 1000); // eight virtual hours
    expect(c.realDelay(3600_000)).toBe(6_000);
    c.advance(1000);
    expect(c.now()).toBe(8 * 3600 * 1000 + 1000);
  });

  it.each([
    ['real', { kind: 'real' }],
    [undefined, { kind: 'real' }],
    ['accelerated:600', { kind: 'accelerated', factor: 600 }],
    [
      'accelerated:60@2026-12-01T09:00:00.000Z',
      { kind: 'accelerated', factor: 60, start: Date.parse('2026-12-01T09:00:00Z') },
    ],
    ['manual:2026-12-01T09:00:00Z', { kind: 'manual', start: Date.parse('2026-12-01T09:00:00Z') }],
  ] as const)('parses LCM_CLOCK=%s', (value, spec) => {
    expect(parseClockSpec(value)).toEqual(spec);
  });

  it.each(['fast', 'accelerated:0', 'accelerated:x', 'manual:yesterday'])(
    'rejects LCM_CLOCK=%s with a message',
    (value) => {
      expect(() => parseClockSpec(value)).toThrow(/LCM_CLOCK/);
    },
  );

  it('a child process continues the parent virtual time', () => {
    const spec = parseClockSpec('accelerated:600');
    let real = Date.parse('2026-12-01T09:00:00Z');
    const parent = new ScaledClock(600, Date.parse('2026-12-01T12:00:00Z'), () => real);
    real += 1_000; // one real second: ten virtual minutes
    const childSpec = parseClockSpec(clockSpecForChild(spec, parent));
    expect(childSpec).toEqual({
      kind: 'accelerated',
      factor: 600,
      start: Date.parse('2026-12-01T12:10:00Z'),
    });
    expect(clockFromSpec(childSpec)).toMatchObject({ factor: 600 });
    // The child starts where the parent is and runs at the parent's rate from there.
    const child = new ScaledClock(
      childSpec.kind === 'accelerated' ? childSpec.factor : 0,
      parent.now(),
      () => real,
    );
    real += 500;
    expect(child.now()).toBe(parent.now());
    expect(parseClockSpec(clockSpecForChild({ kind: 'manual' }, parent))).toEqual({
      kind: 'manual',
      start: parent.now(),
    });
  });

  it('a scaled clock changes rate without a jump, and never runs backwards', () => {
    let real = 0;
    const c = new ScaledClock(600, 0, () => real);
    real = 1_000;
    expect(c.now()).toBe(600_000);
    c.setFactor(20);
    expect(c.now()).toBe(600_000); // no jump at the change
    real = 2_000;
    expect(c.now()).toBe(620_000); // a real second is 20 virtual seconds now
    c.setFactor(600);
    real = 2_500;
    expect(c.now()).toBe(920_000);
    expect(c.realDelay(60_000)).toBe(100);
    expect(() => c.setFactor(0)).toThrow(RangeError);
  });
});
