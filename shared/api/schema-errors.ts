/**
 * What the runtime compiler (`schema.ts`) and the validators compiled ahead of time
 * (`validators.ts`) share: the key that names a schema, and ajv's errors turned into
 * problem+json field errors. No ajv here: the API functions load this without the compiler.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { ProblemError } from '../domain/problem.ts';

export type JsonSchema = Record<string, unknown>;

/**
 * A schema's name in the generated module: FNV-1a (two 32-bit lanes) of its JSON text. The same
 * object literal gives the same text at generation and at run time; a schema edited without
 * regenerating gets another key, which `validators.ts` refuses loudly (and the test that keeps
 * the module current fails).
 */
export function schemaKey(schema: JsonSchema): string {
  const text = JSON.stringify(schema);
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 13);
  }
  return `s${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

/** One ajv error as a problem+json field error under `base` (e.g. `/query`). */
export function toProblemError(e: ErrorObject, base: string): ProblemError {
  let pointer = base + e.instancePath;
  let detail = e.message ?? 'is invalid';
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    pointer += `/${escape(String(p.missingProperty))}`;
    detail = 'is required';
  } else if (e.keyword === 'additionalProperties') {
    pointer += `/${escape(String(p.additionalProperty))}`;
    detail = 'is not a known field';
  } else if (e.keyword === 'enum') {
    detail = `must be one of ${JSON.stringify(p.allowedValues)}`;
  }
  return { pointer: pointer || '/', detail, rule: e.keyword };
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
