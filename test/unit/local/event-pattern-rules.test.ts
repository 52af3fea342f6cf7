/**
 * The EventBridge matcher's numeric operators and ranges at their bounds, from both sides
 * (issue 18).
 */
import { describe, expect, it } from 'vitest';
import { matchesPattern, validatePattern } from '../../../infra/local/event-pattern.ts';

const num = (n: unknown, ...cmp: unknown[]) =>
  matchesPattern({ detail: { n: [{ numeric: cmp }] } }, { detail: { n } });

describe('numeric comparisons at the bound', () => {
  it.each<[string, number, [boolean, boolean, boolean]]>([
    // op, bound, [value below, at, above]
    ['<', 10, [true, false, false]],
    ['<=', 10, [true, true, false]],
    ['>', 10, [false, false, true]],
    ['>=', 10, [false, true, true]],
    ['=', 10, [false, true, false]],
  ])('%s %d', (op, bound, expected) => {
    expect([num(bound - 0.5, op, bound), num(bound, op, bound), num(bound + 0.5, op, bound)]).toEqual(
      expected,
    );
  });

  it('a range holds both bounds with their own strictness', () => {
    expect([0, 0.5, 5, 5.5].map((n) => num(n, '>', 0, '<=', 5))).toEqual([false, true, true, false]);
    expect([0, 5].map((n) => num(n, '>=', 0, '<', 5))).toEqual([true, false]);
  });

  it('a range must go from a lower to a higher bound', () => {
    expect(() => validatePattern({ detail: { n: [{ numeric: ['>', 5, '<', 5] }] } })).toThrow(
      /less than its top/,
    );
    expect(() => validatePattern({ detail: { n: [{ numeric: ['>', 4, '<', 5] }] } })).not.toThrow();
    expect(() => validatePattern({ detail: { n: [{ numeric: ['<', 4, '>', 5] }] } })).toThrow(/lower bound/);
    expect(() => validatePattern({ detail: { n: [{ numeric: ['>', 1, '<'] }] } })).toThrow(
      /one or two comparisons/,
    );
  });
});
