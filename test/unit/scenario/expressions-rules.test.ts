/**
 * `${ jq }` templates: parsing (braces and strings inside jq), whole-value vs interpolation, and
 * `when` conditions (issue 18).
 */
import { describe, expect, it } from 'vitest';
import {
  evaluateCondition,
  hasExpression,
  parseTemplate,
  resolveValue,
} from '../../../shared/scenario/expressions.ts';
import { Problem } from '../../../shared/domain/problem.ts';

const scopes = {
  session: { cut_score: 80 },
  content: {},
  runtime_env: { port: 3000 },
  vars: { name: 'r1', n: 2 },
};

describe('parseTemplate', () => {
  it('splits text and expressions, trimming the expressions', () => {
    expect(parseTemplate('a ${ $vars.name } b${.x}')).toEqual([
      { text: 'a ' },
      { expr: '$vars.name' },
      { text: ' b' },
      { expr: '.x' },
    ]);
    expect(parseTemplate('plain')).toEqual([{ text: 'plain' }]);
    expect(parseTemplate('${.a}${.b}')).toEqual([{ expr: '.a' }, { expr: '.b' }]);
    expect(parseTemplate('$ {x} $x')).toEqual([{ text: '$ {x} $x' }]);
  });

  it('respects braces and strings (with escapes) inside the expression', () => {
    expect(parseTemplate('${ {a: 1} | .a }!')).toEqual([{ expr: '{a: 1} | .a' }, { text: '!' }]);
    expect(parseTemplate('${ "}" }')).toEqual([{ expr: '"}"' }]);
    expect(parseTemplate('${ "a\\"}" }')).toEqual([{ expr: '"a\\"}"' }]);
    expect(parseTemplate('${ "{" }')).toEqual([{ expr: '"{"' }]);
  });

  it('refuses an unterminated or empty expression', () => {
    expect(() => parseTemplate('x ${ .a')).toThrow(Problem);
    expect(() => parseTemplate('x ${ {a:1 }')).toThrow(/unterminated/);
    expect(() => parseTemplate('${   }')).toThrow(/empty/);
  });

  it('returns the same parse for the same template', () => {
    expect(parseTemplate('${.same}')).toBe(parseTemplate('${.same}'));
    expect(hasExpression('a${b')).toBe(true);
    expect(hasExpression('a$b{')).toBe(false);
  });
});

describe('resolveValue', () => {
  it('a whole-string expression keeps its JSON type; inside text it is interpolated', async () => {
    expect(await resolveValue('${ $vars.n }', scopes)).toBe(2);
    expect(await resolveValue('${ $runtime_env }', scopes)).toEqual({ port: 3000 });
    expect(await resolveValue('n=${ $vars.n } name=${ $vars.name } env=${ $runtime_env }', scopes)).toBe(
      'n=2 name=r1 env={"port":3000}',
    );
    expect(await resolveValue('no template', scopes)).toBe('no template');
  });

  it('a template that starts with an expression and goes on is interpolated, not cut to its first value', async () => {
    expect(await resolveValue('${ $vars.n } items', scopes)).toBe('2 items');
    expect(await resolveValue('${ $vars.name }${ $vars.n }', scopes)).toBe('r12');
  });

  it('resolves arrays and objects member by member and leaves other values alone', async () => {
    expect(
      await resolveValue({ a: ['${ $vars.n }', 'x'], b: { c: '${ $session.cut_score }' }, d: 5 }, scopes),
    ).toEqual({
      a: [2, 'x'],
      b: { c: 80 },
      d: 5,
    });
    expect(await resolveValue(null, scopes)).toBeNull();
    expect(await resolveValue(false, scopes)).toBe(false);
    expect(await resolveValue(7, scopes)).toBe(7);
  });
});

describe('evaluateCondition', () => {
  it('takes a jq boolean with or without ${ }', async () => {
    expect(await evaluateCondition('$vars.n > 1', scopes)).toBe(true);
    expect(await evaluateCondition('${ $vars.n > 2 }', scopes)).toBe(false);
  });

  it('refuses anything but one expression yielding a boolean', async () => {
    await expect(evaluateCondition('x ${ true }', scopes)).rejects.toThrow(/single jq expression/);
    await expect(evaluateCondition('${ true }${ true }', scopes)).rejects.toThrow(/single jq expression/);
    await expect(evaluateCondition('$vars.n', scopes)).rejects.toThrow(/true or false/);
  });
});
