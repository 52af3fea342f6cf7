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
  const full: Tok[] = [{ kind: 'many' }, ...toks, { kind: 'many' }];
  const sel: Selector = (fqn) => matchFrom(full, 0, fqn, 0, new Map());
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, sel);
  return sel;
}

export function matchesSelector(pattern: string, fqn: string): boolean {
  return compileSelector(pattern)(fqn.split(' '));
}

function matchFrom(
  p: Tok[],
  i: number,
  s: readonly string[],
  j: number,
  memo: Map<number, boolean>,
): boolean {
  const key = i * 1024 + j;
  const known = memo.get(key);
  if (known !== undefined) return known;
  let r: boolean;
  if (i === p.length) r = j === s.length;
  else {
    const t = p[i]!;
    if (t.kind === 'many')
      r = matchFrom(p, i + 1, s, j, memo) || (j < s.length && matchFrom(p, i, s, j + 1, memo));
    else if (j >= s.length) r = false;
    else {
      const tok = s[j]!;
      const ok = t.kind === 'one' || (t.kind === 'lit' ? t.value === tok : t.re.test(tok));
      r = ok && matchFrom(p, i + 1, s, j + 1, memo);
    }
  }
  memo.set(key, r);
  return r;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
