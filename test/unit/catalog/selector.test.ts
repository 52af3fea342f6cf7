import { describe, expect, it } from 'vitest';
import { compileSelector, matchesSelector } from '../../../shared/catalog/selector.ts';
import { Problem } from '../../../shared/domain/problem.ts';

describe('selector patterns', () => {
  it.each([
    // the three reference examples
    ['Exam ** LAB', 'Exam CCNP AUTO v2.0 LAB LAB-1.1.1', true],
    ['Exam ** LAB', 'Exam CCIE EI v1.1 DOO DOO-1', false],
    ['Exam CCIE * * DES*', 'Exam CCIE EI v1.1 DES DES-2', true],
    ['Exam CCIE * * DES*', 'Exam CCIE SEC v7.0 DES2 X-1', true],
    ['Exam CCIE * * DES*', 'Exam CCIE EI v1.1 DOO DOO-1', false],
    ['Exam CCIE * * DES*', 'Exam CCNP EI v1.1 DES DES-1', false],
    ['* CCDE * COR', 'Exam CCDE CCDE v3.1 COR COR-A', true],
    ['* CCDE * COR', 'Exam CCDE CCDE v3.1 AOT AOT-1', false],
    // * is exactly one token
    ['Exam * EI', 'Exam CCIE EI v1.1 DOO DOO-1', true],
    ['Exam * EI', 'Exam CCIE SEC EI v1.1 DOO', false],
    // ** is zero or more tokens
    ['Exam ** DOO *', 'Exam CCIE EI v1.1 DOO DOO-1', true],
    ['Exam ** CCIE', 'Exam CCIE EI v1.1 DOO DOO-1', true],
    // in-token wildcard stays within one token
    ['DES*', 'Exam CCIE EI v1.1 DES DES-1', true],
    ['Exam CC*E EI', 'Exam CCIE EI v1.1 DOO DOO-1', true],
    ['Exam CC* v1.1', 'Exam CCIE EI v1.1 DOO DOO-1', false],
    // case-sensitive
    ['exam ** LAB', 'Exam CCNP AUTO v2.0 LAB LAB-1.1.1', false],
    ['Exam ** lab', 'Exam CCNP AUTO v2.0 LAB LAB-1.1.1', false],
    // a literal that is a prefix of a token does not match it
    ['Exam CCIE EI v1.1 DES DES', 'Exam CCIE EI v1.1 DES DES-1', false],
    ['**', 'Exam CCIE EI v1.1 DES DES-1', true],
  ])('%s ~ %s → %s', (pattern, fqn, expected) => {
    expect(matchesSelector(pattern, fqn)).toBe(expected);
  });

  it('rejects empty patterns and tokens that mix ** with text', () => {
    expect(() => compileSelector('   ')).toThrow(Problem);
    expect(() => compileSelector('Exam **LAB')).toThrow(/\*\* must stand alone|mixes/);
  });

  // How fast it is over 10,000 forms is a figure of `npm run bench catalog`, not a test.
  it('compiles once and answers the same for every call', () => {
    const sel = compileSelector('* CCDE * COR');
    expect(compileSelector('* CCDE * COR')).toBe(sel);
    const tokens = 'Exam CCDE CCDE v3.1 COR COR-A'.split(' ');
    const answers = new Set(Array.from({ length: 1_000 }, () => sel(tokens)));
    expect([...answers]).toEqual([true]);
    expect(sel('Exam CCDE CCDE v3.1 DES DES-A'.split(' '))).toBe(false);
  });
});
