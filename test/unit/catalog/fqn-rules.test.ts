/**
 * Form-qualified names (shared/catalog/fqn.ts), rule by rule (issue 18): six tokens separated by
 * single spaces, each 1–40 characters starting with a letter or digit, the fourth `v<major>[.<minor>…]`;
 * a pin `@<version>` of 1–32 characters; versions ordered numerically where they are numbers.
 * Every refusal is a `malformed-fqn` problem with its pointer and rule.
 */
import { describe, expect, it } from 'vitest';
import { compareVersions, parseFqn, parsePinned } from '../../../shared/catalog/fqn.ts';

const FQN = 'Exam CCNP AUTO v2.0 LAB LAB-1.1.1';
const with4th = (v: string) => `Exam CCNP AUTO ${v} LAB LAB-1.1.1`;
const withToken = (i: number, t: string) =>
  FQN.split(' ')
    .map((x, j) => (j === i ? t : x))
    .join(' ');

/** The problem a call throws (undefined when it does not throw). */
function problemOf(f: () => unknown): { kind?: string; errors?: unknown[] } | undefined {
  try {
    f();
  } catch (e) {
    return e as { kind?: string; errors?: unknown[] };
  }
  return undefined;
}
const refused = (pointer = '/fqn', rule = 'fqn') => ({ kind: 'malformed-fqn', errors: [{ pointer, rule }] });

describe('parseFqn', () => {
  it('splits the six tokens, the exam version without its v', () => {
    expect(parseFqn(FQN)).toEqual({
      fqn: FQN,
      track_type: 'Exam',
      track_level: 'CCNP',
      track_acronym: 'AUTO',
      exam_version: '2.0',
      module_acronym: 'LAB',
      form: 'LAB-1.1.1',
    });
  });

  it('five or seven tokens, or two spaces between two, are refused at the given pointer, with the count', () => {
    for (const v of ['Exam CCNP AUTO v2.0 LAB', `${FQN} X`, FQN.replace(' LAB ', '  LAB '), `${FQN} `, ''])
      expect(
        problemOf(() => parseFqn(v)),
        JSON.stringify(v),
      ).toMatchObject(refused());
    expect(problemOf(() => parseFqn('Exam CCNP AUTO v2.0 LAB', '/parts/1/fqn'))).toMatchObject({
      kind: 'malformed-fqn',
      errors: [{ pointer: '/parts/1/fqn', rule: 'fqn', detail: expect.stringContaining('got 5') }],
    });
  });

  it('a token of 1 to 40 letters, digits, dots, underscores and dashes, starting with a letter or digit', () => {
    for (const t of ['A', '9', 'a.b_c-d', 'x'.repeat(40), '1.1.1-RC_2'])
      expect(parseFqn(withToken(5, t)).form, t).toBe(t);
    for (const t of [
      'x'.repeat(41),
      '-LAB',
      '.LAB',
      '_LAB',
      'LA/B',
      'LAB!',
      '!LAB',
      'LA B'.replace(' ', '\t'),
    ])
      expect(
        problemOf(() => parseFqn(withToken(5, t))),
        t,
      ).toMatchObject(refused());
  });

  it('the refusal of a token names it by its position (1-based)', () => {
    expect(problemOf(() => parseFqn(withToken(4, '-LAB')))).toMatchObject({
      errors: [{ rule: 'fqn', detail: 'token 5 "-LAB" is not a valid FQN token' }],
    });
    expect(problemOf(() => parseFqn(withToken(0, '!x')))).toMatchObject({
      errors: [{ rule: 'fqn', detail: expect.stringContaining('token 1 ') }],
    });
  });

  it('the fourth token is v and a dotted number', () => {
    for (const [v, version] of [
      ['v2', '2'],
      ['v2.0', '2.0'],
      ['v10.1.3', '10.1.3'],
      ['v1.10', '1.10'],
    ] as const)
      expect(parseFqn(with4th(v)).exam_version, v).toBe(version);
    for (const v of ['2.0', 'v', 'V2.0', 'v2.', 'v.2', 'v2..0', 'vx', 'v2.x', 'xv2.0', 'v2.0x', 'v2.0-1'])
      expect(
        problemOf(() => parseFqn(with4th(v))),
        v,
      ).toMatchObject(refused());
  });
});

describe('parsePinned', () => {
  it('a bare FQN has no version; a pin is the text after the last @', () => {
    expect(parsePinned(FQN)).toEqual({ fqn: FQN });
    expect(parsePinned(`${FQN}@3`)).toEqual({ fqn: FQN, version: '3' });
    expect(parsePinned(`${FQN}@1.2.0+build-7`)).toEqual({ fqn: FQN, version: '1.2.0+build-7' });
    expect(parsePinned(`${FQN}@${'9'.repeat(32)}`).version).toBe('9'.repeat(32));
  });

  it('an empty, overlong or ill-formed version is refused by fqn.version at the given pointer', () => {
    for (const v of ['', '9'.repeat(33), '1 0', '1/0', '!1', '1!', '2_'])
      expect(
        problemOf(() => parsePinned(`${FQN}@${v}`)),
        v,
      ).toMatchObject(refused('/fqn', 'fqn.version'));
    expect(problemOf(() => parsePinned(`${FQN}@`, '/parts/0/fqn'))).toMatchObject(
      refused('/parts/0/fqn', 'fqn.version'),
    );
  });

  it('the version is checked before the FQN, even when nothing precedes the @', () => {
    expect(problemOf(() => parsePinned('Exam CCNP@!', '/x'))).toMatchObject(refused('/x', 'fqn.version'));
    expect(problemOf(() => parsePinned('@!', '/x'))).toMatchObject(refused('/x', 'fqn.version'));
  });

  it('the FQN before the pin is checked too, at the same pointer', () => {
    expect(problemOf(() => parsePinned('Exam CCNP AUTO v2.0 LAB@3', '/x'))).toMatchObject(
      refused('/x', 'fqn'),
    );
    expect(problemOf(() => parsePinned('@3'))).toMatchObject(refused());
  });
});

describe('compareVersions', () => {
  it('numbers compare as numbers, part by part', () => {
    expect(compareVersions('10', '9')).toBeGreaterThan(0);
    expect(compareVersions('9', '10')).toBeLessThan(0);
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('1.2', '1.3')).toBeLessThan(0);
    expect(compareVersions('2.0.1', '2.0.0')).toBeGreaterThan(0);
  });

  it('equal versions compare equal, whatever separator splits them', () => {
    expect(compareVersions('1.0', '1.0')).toBe(0);
    expect(compareVersions('1.0-2', '1.0+2')).toBe(0);
    expect(compareVersions('', '')).toBe(0);
  });

  it('a version with fewer parts comes first when the others are equal', () => {
    expect(compareVersions('1', '1.0')).toBeLessThan(0);
    expect(compareVersions('1.0', '1')).toBeGreaterThan(0);
    expect(compareVersions('1.2', '1.2.0')).toBeLessThan(0);
  });

  it('parts that are not both numbers compare as text, never as NaN', () => {
    expect(compareVersions('1.0-beta', '1.0-alpha')).toBeGreaterThan(0);
    expect(compareVersions('1.0-alpha', '1.0-beta')).toBeLessThan(0);
    expect(compareVersions('1.0.1', '1.0.a')).toBeLessThan(0);
    expect(compareVersions('1.0.a', '1.0.1')).toBeGreaterThan(0);
  });
});
