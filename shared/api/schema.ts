/**
 * One ajv instance (JSON Schema draft 2020-12) for every schema the product validates at its
 * edges. Errors come back as JSON pointers to the failing field, ready for problem+json.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ProblemError } from '../domain/problem.ts';

export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv2020.default({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  coerceTypes: false,
  useDefaults: false,
});
addFormats.default(ajv);

const cache = new WeakMap<JsonSchema, ValidateFunction>();

export function compileSchema(schema: JsonSchema): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    cache.set(schema, fn);
  }
  return fn;
}

/** Returns the failures as pointers under `base` (e.g. `/query`); empty when valid. */
export function validateAgainst(schema: JsonSchema, data: unknown, base = ''): ProblemError[] {
  const fn = compileSchema(schema);
  if (fn(data)) return [];
  return (fn.errors ?? []).map((e) => toProblemError(e, base));
}

function toProblemError(e: ErrorObject, base: string): ProblemError {
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
