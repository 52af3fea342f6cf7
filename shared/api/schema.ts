/**
 * One ajv instance (JSON Schema draft 2020-12) for every schema the product validates at its
 * edges, compiled at run time: content and seed validation, tests. The API functions validate with
 * the same schemas compiled ahead of time (`validators.ts`, D186). Errors come back as JSON
 * pointers to the failing field, ready for problem+json.
 */
import Ajv2020, { type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ProblemError } from '../domain/problem.ts';
import { type JsonSchema, toProblemError } from './schema-errors.ts';

export type { JsonSchema } from './schema-errors.ts';

/** The options every schema is compiled with, here and ahead of time (`validators-codegen.ts`). */
export const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  coerceTypes: false,
  useDefaults: false,
};

const ajv = new Ajv2020.default(AJV_OPTIONS);
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
