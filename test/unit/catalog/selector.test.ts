import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSelector, matchesSelector, selectorPrefilter } from '../../../shared/catalog/selector.ts';
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

  /** The definition, spelled out: unanchored, `*` one token, `**` any run, `*` in a token any text. */
  function reference(pattern: string[], fqn: string[]): boolean {
    const tok = (p: string, t: string) =>
      p === '*' ||
      new RegExp(
        `^${p
          .split('*')
          .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(t);
    const from = (i: number, j: number): boolean =>
      i === pattern.length
        ? true // unanchored at the end
        : pattern[i] === '**'
          ? from(i + 1, j) || (j < fqn.length && from(i, j + 1))
          : j < fqn.length && tok(pattern[i]!, fqn[j]!) && from(i + 1, j + 1);
    return fqn.some((_, k) => from(0, k)) || from(0, fqn.length);
  }

  it('answers as the definition for any pattern and FQN, and its prefilter never refuses a match', () => {
    const word = fc.constantFrom('Exam', 'CCIE', 'CCDE', 'EI', 'v1.1', 'DES', 'DES2', 'DOO', 'COR', 'X-1');
    const patTok = fc.oneof(word, fc.constantFrom('*', '**', 'DES*', 'C*E', '*O*', 'v*'));
    fc.assert(
      fc.property(
        fc.array(patTok, { minLength: 1, maxLength: 6 }),
        fc.array(word, { maxLength: 7 }),
        (p, f) => {
          const pattern = p.join(' ');
          const matched = compileSelector(pattern)(f);
          expect(matched, `${pattern} ~ ${f.join(' ')}`).toBe(reference(p, f));
          if (matched) expect(selectorPrefilter(pattern)(f.join(' '))).toBe(true);
        },
      ),
      { numRuns: 1000, seed: 17 },
    );
  });
});
