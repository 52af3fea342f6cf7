/**
 * Selector patterns over form FQNs: which forms may fill a part. Tokens are separated by spaces and matched
 * case-sensitively: `*` matches exactly one token, `**` zero or more tokens, and `*` inside a
 * token is a wildcard within that token (`DES*` matches `DES`, `DES2`). A pattern matches when
 * it matches a contiguous run of the FQN's tokens: that is what lets the reference selectors
 * `Exam ** LAB`, `Exam CCIE * * DES*` and `* CCDE * COR` address six-token FQNs (see
 * docs/decisions.md, D12).
 */
import { Problem } from '../domain/problem.ts';

type Tok = { kind: 'one' } | { kind: 'many' } | { kind: 'lit'; value: string } | { kind: 'glob'; re: RegExp };
export type Selector = (fqnTokens: readonly string[]) => boolean;

const cache = new Map<string, Selector>();

export function compileSelector(pattern: string, pointer = '/selector'): Selector {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const raw = pattern.trim().split(/\s+/).filter(Boolean);
  if (!raw.length || pattern.length > 200)
    throw new Problem('validation-error', `selector "${pattern}" is empty or too long`, {
      errors: [{ pointer, detail: 'a selector needs 1 to 200 characters of tokens', rule: 'selector' }],
    });
  const toks: Tok[] = raw.map((t) => {
    if (t === '*') return { kind: 'one' };
    if (t === '**') return { kind: 'many' };
    if (t.includes('**'))
      throw new Problem('validation-error', `selector token "${t}" mixes ** with text`, {
        errors: [{ pointer, detail: '** must stand alone as a token', rule: 'selector.token' }],
      });
    if (t.includes('*'))
      return { kind: 'glob', re: new RegExp(`^${t.split('*').map(escapeRe).join('[^ ]*')}$`) };
    return { kind: 'lit', value: t };
  });
  // Unanchored: an implicit `**` on both sides, so the pattern may match anywhere in the FQN.
  // Without a `**` of its own the pattern matches a contiguous run of exactly its length: slide
  // it along the FQN (no recursion, no memo). With one, the general matcher.
  // Stryker disable next-line ConditionalExpression: the general matcher gives the same answers; the choice is speed
  const sel: Selector = toks.some((t) => t.kind === 'many')
    ? matchGeneral([{ kind: 'many' }, ...toks, { kind: 'many' }])
    : matchRun(toks);
  // Stryker disable next-line all: the bound only limits memory; any bound gives the same answers
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, sel);
  return sel;
}

/**
 * A quick necessary condition for `compileSelector(pattern)`: the FQN text contains every literal
 * token and every literal piece of a wildcard token. False means the selector cannot match, so a
 * caller filtering many forms skips splitting the FQNs that fail it; true decides nothing.
 */
export function selectorPrefilter(pattern: string): (fqn: string) => boolean {
  const hit = prefilters.get(pattern);
  if (hit) return hit;
  const pieces = pattern
    .trim()
    .split(/\s+/)
    .flatMap((t) => (t.includes('*') ? t.split('*') : [t]))
    .filter(Boolean);
  const f = (fqn: string) => pieces.every((p) => fqn.includes(p));
  // Stryker disable next-line all: the bound only limits memory; any bound gives the same answers
  if (prefilters.size > 1000) prefilters.clear();
  prefilters.set(pattern, f);
  return f;
}
const prefilters = new Map<string, (fqn: string) => boolean>();

export function matchesSelector(pattern: string, fqn: string): boolean {
  return compileSelector(pattern)(fqn.split(' '));
}

function tokenMatches(t: Tok, tok: string): boolean {
  return t.kind === 'one' || (t.kind === 'lit' ? t.value === tok : t.kind === 'glob' && t.re.test(tok));
}

/** A pattern of single-token matchers: some contiguous run of the FQN's tokens matches it. */
function matchRun(p: Tok[]): Selector {
  return (s) => {
    for (let k = 0; k + p.length <= s.length; k++) {
      let i = 0;
      while (i < p.length && tokenMatches(p[i]!, s[k + i]!)) i++;
      if (i === p.length) return true;
    }
    return false;
  };
}

/** Any pattern (`**` included), memoised on (pattern position, token position). */
function matchGeneral(p: Tok[]): Selector {
  return (s) => {
    const width = s.length + 1;
    // 0: not known yet, 1: no match, 2: match.
    // Stryker disable next-line all: the memo only saves work (without it the answers are the same)
    const memo = new Uint8Array((p.length + 1) * width);
    const from = (i: number, j: number): boolean => {
      const known = memo[i * width + j]!;
      // Stryker disable next-line all: the memo only saves work; a memoised match is never read again (the walk returns at once)
      if (known) return known === 2;
      let r: boolean;
      if (i === p.length) r = j === s.length;
      else {
        const t = p[i]!;
        if (t.kind === 'many') r = from(i + 1, j) || (j < s.length && from(i, j + 1));
        else r = j < s.length && tokenMatches(t, s[j]!) && from(i + 1, j + 1);
      }
      memo[i * width + j] = r ? 2 : 1;
      return r;
    };
    return from(0, 0);
  };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
