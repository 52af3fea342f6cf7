/**
 * `${ jq }` templates in step inputs: a string that is exactly one `${ … }` takes
 * the expression's JSON value; `${ }` inside a longer string interpolates text. Templates are
 * parsed once and cached; objects and arrays are resolved member by member.
 */
import { Problem } from '../domain/problem.ts';
import { evaluateJq, type JqLimits, type Scopes } from './jq.ts';

type Segment = { text: string } | { expr: string };

const PARSED = new Map<string, Segment[]>();

/** Splits a template into text and expressions; braces and strings inside jq are respected. */
export function parseTemplate(s: string): Segment[] {
  const cached = PARSED.get(s);
  if (cached) return cached;
  const out: Segment[] = [];
  let i = 0;
  let text = '';
  while (i < s.length) {
    if (s[i] === '$' && s[i + 1] === '{') {
      let depth = 1;
      let j = i + 2;
      let inString = false;
      for (; j < s.length && depth > 0; j++) {
        const c = s[j];
        if (inString) {
          if (c === '\\') j++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{') depth++;
        else if (c === '}') depth--;
      }
      if (depth !== 0) throw new Problem('expression-error', `unterminated \${ … } in "${s}"`);
      const expr = s.slice(i + 2, j - 1).trim();
      if (!expr) throw new Problem('expression-error', `empty \${ } in "${s}"`);
      if (text) out.push({ text });
      text = '';
      out.push({ expr });
      i = j;
    } else {
      text += s[i];
      i++;
    }
  }
  if (text) out.push({ text });
  if (PARSED.size > 5000) PARSED.clear();
  PARSED.set(s, out);
  return out;
}

export const hasExpression = (s: string) => s.includes('${');

export async function resolveValue(value: unknown, scopes: Scopes, limits: JqLimits = {}): Promise<unknown> {
  if (typeof value === 'string') {
    if (!hasExpression(value)) return value;
    const segs = parseTemplate(value);
    if (segs.length === 1 && 'expr' in segs[0]!) return evaluateJq(segs[0].expr, scopes, limits);
    let s = '';
    for (const seg of segs) {
      if ('text' in seg) s += seg.text;
      else {
        const v = await evaluateJq(seg.expr, scopes, limits);
        s += typeof v === 'string' ? v : JSON.stringify(v);
      }
    }
    return s;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveValue(v, scopes, limits)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveValue(v, scopes, limits);
    return out;
  }
  return value;
}

/** A `when` condition: a jq boolean, with or without `${ }` around it. */
export async function evaluateCondition(
  when: string,
  scopes: Scopes,
  limits: JqLimits = {},
): Promise<boolean> {
  const segs = hasExpression(when) ? parseTemplate(when) : [{ expr: when }];
  if (segs.length !== 1 || !('expr' in segs[0]!))
    throw new Problem('expression-error', `when must be a single jq expression, got "${when}"`);
  const v = await evaluateJq(segs[0].expr, scopes, limits);
  if (typeof v !== 'boolean')
    throw new Problem('expression-error', `when must yield true or false, got ${JSON.stringify(v)}`);
  return v;
}
