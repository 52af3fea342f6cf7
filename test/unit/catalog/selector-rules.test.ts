/**
 * The selector's refusal rules and its prefilter, each from both sides (issue 18, mutation
 * testing): a pattern of 1 to 200 characters of tokens; `**` stands alone; the refusal names its
 * rule and the caller's pointer; the prefilter refuses exactly the FQNs missing a literal piece.
 */
import { describe, expect, it } from 'vitest';
import { compileSelector, matchesSelector, selectorPrefilter } from '../../../shared/catalog/selector.ts';
import { Problem } from '../../../shared/domain/problem.ts';

function refusal(pattern: string, pointer?: string) {
  try {
    compileSelector(pattern, pointer);
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    return { type: e.kind, errors: e.errors };
  }
  return undefined;
}

describe('compileSelector refusals', () => {
  it('200 characters are a selector; 201 are refused with the rule at the pointer', () => {
    const exact = 'A'.repeat(195) + ' ** B';
    expect(exact).toHaveLength(200);
    expect(refusal(exact)).toBeUndefined();
    const over = 'A'.repeat(196) + ' ** B';
    expect(over).toHaveLength(201);
    expect(refusal(over, '/parts/1/selector')).toEqual({
      type: 'validation-error',
      errors: [expect.objectContaining({ pointer: '/parts/1/selector', rule: 'selector' })],
    });
  });

  it('an empty or blank pattern is refused at /selector by default', () => {
    for (const p of ['', '   ', '\t'])
      expect(refusal(p)).toEqual({
        type: 'validation-error',
        errors: [expect.objectContaining({ pointer: '/selector', rule: 'selector' })],
      });
  });

  it('** with text in one token is refused by its own rule; * with text is a wildcard', () => {
    for (const p of ['Exam **LAB', 'LAB**', 'a**b'])
      expect(refusal(p, '/x')).toEqual({
        type: 'validation-error',
        errors: [expect.objectContaining({ pointer: '/x', rule: 'selector.token' })],
      });
    expect(refusal('Exam *LAB')).toBeUndefined();
    expect(matchesSelector('Exam *LAB', 'Exam XLAB')).toBe(true);
    expect(matchesSelector('Exam *LAB', 'Exam XLAB2')).toBe(false);
  });

  it('a wildcard piece is literal text, not a regular expression', () => {
    expect(matchesSelector('v1.*', 'Exam v1.1')).toBe(true);
    expect(matchesSelector('v1.*', 'Exam v101')).toBe(false);
  });

  it('a pattern with ** may match at the end of the FQN or nowhere', () => {
    expect(matchesSelector('DOO ** DOO-1', 'Exam DOO DOO-1')).toBe(true);
    expect(matchesSelector('DOO ** DOO-2', 'Exam DOO DOO-1')).toBe(false);
    expect(matchesSelector('Exam ** EI', 'Exam')).toBe(false);
    // A run as long as the FQN matches; one token longer does not.
    expect(matchesSelector('Exam CCIE', 'Exam CCIE')).toBe(true);
    expect(matchesSelector('Exam CCIE EI', 'Exam CCIE')).toBe(false);
  });
});

describe('selectorPrefilter', () => {
  it('passes an FQN holding every literal token and piece, and refuses one missing any', () => {
    const f = selectorPrefilter(' Exam CCIE * * DES* ');
    expect(f('Exam CCIE EI v1.1 DES2 X-1')).toBe(true);
    expect(f('Exam CCNP EI v1.1 DES2 X-1')).toBe(false);
    expect(f('Exam CCIE EI v1.1 DOO X-1')).toBe(false);
    expect(f('Foo CCIE EI v1.1 DES X-1')).toBe(false);
  });

  it('a pattern of stars alone passes every FQN; the same pattern gives the same filter', () => {
    expect(selectorPrefilter('* ** *')('anything')).toBe(true);
    expect(selectorPrefilter('C*E')('CCIE')).toBe(true);
    expect(selectorPrefilter('C*E')('CCIX')).toBe(false);
    expect(selectorPrefilter('Exam LAB')).toBe(selectorPrefilter('Exam LAB'));
  });
});
