/**
 * `${ jq }` templates in step inputs: a string that is exactly one `${ … }` takes
 * the expression's JSON value; `${ }` inside a longer string interpolates text. Templates are
 * parsed once and cached; objects and arrays are resolved member by member.
 */
import { Problem } from '../domain/problem.ts';
import { evaluateJq, type JqLimits, type Scopes } from './jq.ts';
import { parseTemplate } from '../dsl/template.ts';

export { parseTemplate };

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
