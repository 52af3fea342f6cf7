/**
 * The EventBridge matcher's survivors of issue 18's mutation run, one rule each: what the
 * validation rejects (as a Problem naming its rule, never a TypeError or RangeError), the type
 * guards of each operator, `exists` beside other values, null and numbers, nested objects against
 * arrays in the event, wildcard escapes and the CIDR parser's edges.
 */
import { describe, expect, it } from 'vitest';
import { matchesPattern, validatePattern } from '../../../infra/local/event-pattern.ts';
import { rejectionOf } from './pattern-rejection.ts';

/** The first error of the Problem `validatePattern` throws. */
const rejection = (pattern: unknown) => rejectionOf(pattern).errors![0]!;

const leaf = (m: unknown) => ({ f: [m] });
const one = (m: unknown, f: unknown) => matchesPattern({ f: [m] }, { f });

describe('validation rejects with the rule it breaks', () => {
  it.each<[string, unknown, string, string]>([
    ['an $or branch that is not an object', { $or: [{ a: ['x'] }, 'b'] }, '/$or', 'or.shape'],
    ['an $or branch that is empty', { $or: [{ a: ['x'] }, {}] }, '/$or/1', 'or.empty'],
    ['an invalid leaf inside an $or branch', { $or: [{ a: ['x'] }, { b: 'x' }] }, '/$or/1/b', 'leaf.array'],
    ['an empty nested object', { detail: {} }, '/detail', 'object.empty'],
    ['a list inside a leaf list', { f: [['a']] }, '/f/0', 'leaf.value'],
    ['prefix null', leaf({ prefix: null }), '/f/0/prefix', 'prefix.value'],
    ['prefix with a list', leaf({ prefix: ['a'] }), '/f/0/prefix', 'prefix.value'],
    ['prefix with another key', leaf({ prefix: { x: 'a' } }), '/f/0/prefix', 'prefix.value'],
    [
      'suffix with equals-ignore-case and another key',
      leaf({ suffix: { 'equals-ignore-case': 'a', x: 1 } }),
      '/f/0/suffix',
      'suffix.value',
    ],
    [
      'equals-ignore-case a number',
      leaf({ 'equals-ignore-case': 5 }),
      '/f/0/equals-ignore-case',
      'equals-ignore-case.value',
    ],
    ['cidr a number', leaf({ cidr: 10 }), '/f/0/cidr', 'cidr.value'],
    ['wildcard a number', leaf({ wildcard: 5 }), '/f/0/wildcard', 'wildcard.value'],
    ['wildcard starting with **', leaf({ wildcard: '**x' }), '/f/0/wildcard', 'wildcard.consecutive'],
    ['numeric Infinity', leaf({ numeric: ['>', Infinity] }), '/f/0/numeric', 'numeric.shape'],
    ['numeric NaN', leaf({ numeric: ['<', NaN] }), '/f/0/numeric', 'numeric.shape'],
    ['a range of two lower bounds', leaf({ numeric: ['>', 1, '>', 5] }), '/f/0/numeric', 'numeric.shape'],
    ['a range of two upper bounds', leaf({ numeric: ['<', 1, '<', 5] }), '/f/0/numeric', 'numeric.shape'],
    ['anything-but an empty list', leaf({ 'anything-but': [] }), '/f/0/anything-but', 'anything-but.value'],
    ['anything-but null', leaf({ 'anything-but': null }), '/f/0/anything-but', 'anything-but.value'],
    [
      'anything-but with two operators',
      leaf({ 'anything-but': { prefix: 'a', suffix: 'b' } }),
      '/f/0/anything-but',
      'anything-but.value',
    ],
    [
      'anything-but prefix ""',
      leaf({ 'anything-but': { prefix: '' } }),
      '/f/0/anything-but',
      'anything-but.value',
    ],
    [
      'anything-but suffix a number',
      leaf({ 'anything-but': { suffix: 5 } }),
      '/f/0/anything-but',
      'anything-but.value',
    ],
    [
      'anything-but an unknown operator',
      leaf({ 'anything-but': { foo: 'x' } }),
      '/f/0/anything-but',
      'anything-but.operator',
    ],
    [
      'anything-but equals-ignore-case a number',
      leaf({ 'anything-but': { 'equals-ignore-case': 5 } }),
      '/f/0/anything-but',
      'anything-but.value',
    ],
    [
      'anything-but equals-ignore-case an empty list',
      leaf({ 'anything-but': { 'equals-ignore-case': [] } }),
      '/f/0/anything-but',
      'anything-but.value',
    ],
    [
      'anything-but equals-ignore-case a list with a number',
      leaf({ 'anything-but': { 'equals-ignore-case': ['a', 5] } }),
      '/f/0/anything-but',
      'anything-but.value',
    ],
    [
      'anything-but equals-ignore-case a list of numbers',
      leaf({ 'anything-but': { 'equals-ignore-case': [5] } }),
      '/f/0/anything-but',
      'anything-but.value',
    ],
    [
      'anything-but wildcard with consecutive stars',
      leaf({ 'anything-but': { wildcard: 'a**' } }),
      '/f/0/anything-but/wildcard',
      'wildcard.consecutive',
    ],
    [
      'anything-but wildcard an empty list',
      leaf({ 'anything-but': { wildcard: [] } }),
      '/f/0/anything-but',
      'anything-but.value',
    ],
    [
      'anything-but wildcard list with consecutive stars',
      leaf({ 'anything-but': { wildcard: ['*/lib/*', 'b**'] } }),
      '/f/0/anything-but/wildcard/1',
      'wildcard.consecutive',
    ],
  ])('%s', (_why, pattern, pointer, rule) => {
    expect(rejection(pattern)).toMatchObject({ pointer, rule });
  });

  it('a numeric value that is not a number is named in the reason', () => {
    expect(rejection(leaf({ numeric: ['>', 1, '<', 'ten'] })).detail).toContain('"ten"');
  });

  it('a leaf that is not a list names the type it got', () => {
    expect([null, 'x', 5, true].map((v) => rejection({ f: v }).detail)).toEqual([
      'match value must be an array or an object, got null',
      'match value must be an array or an object, got string',
      'match value must be an array or an object, got number',
      'match value must be an array or an object, got boolean',
    ]);
  });

  it('null is a valid match value', () => {
    expect(() => validatePattern({ f: [null] })).not.toThrow();
  });

  it.each([
    '10.0.0.0/x8',
    '10.0.0.0/8x',
    'foo/8',
    '1:2:3:4:5:6:7:8::9/128',
    '1::2::3/128',
    '1:2:3:4:5:6:7:8::1::2/128',
    '10.0.0.0/8/1',
  ])('the invalid CIDR block %s is a Problem', (cidr) => {
    expect(rejection(leaf({ cidr }))).toMatchObject({ pointer: '/f/0/cidr', rule: 'cidr.value' });
  });
});

describe('each operator answers by the value type it applies to', () => {
  it('null matches only null', () => {
    expect([null, 'x', 0, false].map((v) => one(null, v))).toEqual([true, false, false, false]);
  });

  it('a number matches only that number', () => {
    expect([5, 6, '5'].map((v) => one(5, v))).toEqual([true, false, false]);
  });

  it('equals-ignore-case, wildcard and an ignore-case prefix or suffix never match a number', () => {
    expect(one({ 'equals-ignore-case': '5' }, 5)).toBe(false);
    expect(one({ wildcard: '*' }, 5)).toBe(false);
    expect(one({ prefix: { 'equals-ignore-case': '5' } }, 5)).toBe(false);
    expect(one({ suffix: { 'equals-ignore-case': '5' } }, 5)).toBe(false);
  });

  it('anything-but prefix, suffix, equals-ignore-case and wildcard hold for a number (it is none of those strings)', () => {
    expect(one({ 'anything-but': { prefix: '5' } }, 5)).toBe(true);
    expect(one({ 'anything-but': { suffix: '5' } }, 5)).toBe(true);
    expect(one({ 'anything-but': { 'equals-ignore-case': '5' } }, 5)).toBe(true);
    expect(one({ 'anything-but': { wildcard: '5*' } }, 5)).toBe(true);
  });

  it('an object or a list inside an event list is not a leaf: anything-but does not match it', () => {
    expect(one({ 'anything-but': 'x' }, [{ a: 1 }])).toBe(false);
    expect(one({ 'anything-but': 'x' }, [['y']])).toBe(false);
    expect(one({ 'anything-but': 'x' }, [{ a: 1 }, 'y'])).toBe(true);
  });
});

describe('exists beside other values in one list', () => {
  it('[{exists: false}, "x"] matches an absent field and "x"', () => {
    const p = { f: [{ exists: false }, 'x'] };
    expect([matchesPattern(p, {}), matchesPattern(p, { f: 'x' }), matchesPattern(p, { f: 'y' })]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('[{exists: true}, "x"] matches any present value', () => {
    const p = { f: [{ exists: true }, 'x'] };
    expect([matchesPattern(p, {}), matchesPattern(p, { f: 'y' })]).toEqual([false, true]);
  });
});

describe('a nested pattern against a list in the event', () => {
  const absent = { a: { b: [{ exists: false }] } };
  it('an empty list holds no field: exists false matches, a value does not', () => {
    expect(matchesPattern(absent, { a: [] })).toBe(true);
    expect(matchesPattern({ a: { b: ['x'] } }, { a: [] })).toBe(false);
  });
  it('a list whose every element has the field: exists false does not match', () => {
    expect(matchesPattern(absent, { a: [{ b: 1 }] })).toBe(false);
    expect(matchesPattern(absent, { a: [{ b: 1 }, { c: 1 }] })).toBe(true);
  });
});

describe('wildcard escapes', () => {
  it('a backslash before another character is a literal backslash', () => {
    expect(one({ wildcard: 'a\\b*' }, 'a\\bcd')).toBe(true);
    expect(one({ wildcard: 'a\\b*' }, 'abcd')).toBe(false);
  });
  it('an escaped backslash before a star leaves the star a wildcard', () => {
    expect(one({ wildcard: 'a\\\\*' }, 'a\\xyz')).toBe(true);
    expect(one({ wildcard: 'a\\\\*' }, 'a\\\\*')).toBe(true);
    expect(one({ wildcard: 'a\\\\*' }, 'axyz')).toBe(false);
  });
});

describe('CIDR edges', () => {
  it('a /8 block holds only its own first octet', () => {
    expect(
      ['10.0.0.1', '12.0.0.1', '14.255.0.0', '11.0.0.0'].map((ip) => one({ cidr: '10.0.0.0/8' }, ip)),
    ).toEqual([true, false, false, false]);
  });
  it('an event address with two :: or too many groups is in no block', () => {
    expect(one({ cidr: '::/0' }, '1::2::3')).toBe(false);
    expect(one({ cidr: '::/0' }, '1:2:3:4:5:6:7:8::1::2')).toBe(false);
    expect(one({ cidr: '::/0' }, '1:2:3:4:5:6:7:8::9')).toBe(false);
  });
});
