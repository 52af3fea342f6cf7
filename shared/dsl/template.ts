/**
 * `${ jq }` templates, the job DSL's expression syntax: a string that is exactly one `${ … }`
 * takes the expression's JSON value; `${ }` inside a longer string interpolates text. Parsed
 * once and cached. The scenario engine evaluates them; the validator compiles them at lint.
 */
import { Problem } from '../domain/problem.ts';

export type Segment = { text: string } | { expr: string };

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
