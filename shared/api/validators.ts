/**
 * Request validation for the API functions with the validators compiled ahead of time (D186):
 * `validators.generated.ts` holds ajv's standalone code for every route contract's request
 * schemas, so a cold start neither runs ajv's compiler nor compiles a schema. Same options, same
 * errors, same problem+json as the runtime compiler (`schema.ts`).
 *
 * A schema the module does not hold (a contract edited without `npm run gen:validators`, or a
 * test's own contract) is compiled by `schema.ts` on first use, loaded then through a dynamic
 * import, and counted: the unit test that keeps the module current fails first.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { ProblemError } from '../domain/problem.ts';
import { type JsonSchema, schemaKey, toProblemError } from './schema-errors.ts';
import * as generated from './validators.generated.ts';

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

const compiled = generated as unknown as Record<string, Validate | undefined>;
const cache = new WeakMap<JsonSchema, Validate>();
/** Schemas compiled at run time because the generated module lacked them (0 for every route contract). */
export const runtimeCompiles = { count: 0 };

/** The ahead-of-time validator of `schema`, if the generated module holds it. */
export function precompiledValidator(schema: JsonSchema): Validate | undefined {
  const key = schemaKey(schema);
  return Object.hasOwn(compiled, key) ? compiled[key] : undefined;
}

async function validatorFor(schema: JsonSchema): Promise<Validate> {
  let fn = cache.get(schema);
  if (!fn) {
    fn = precompiledValidator(schema);
    if (!fn) {
      runtimeCompiles.count++;
      fn = (await import('./schema.ts')).compileSchema(schema) as Validate;
    }
    cache.set(schema, fn);
  }
  return fn;
}

/** Returns the failures as pointers under `base` (e.g. `/query`); empty when valid. */
export async function validateRequestPart(
  schema: JsonSchema,
  data: unknown,
  base = '',
): Promise<ProblemError[]> {
  const fn = await validatorFor(schema);
  if (fn(data)) return [];
  return (fn.errors ?? []).map((e) => toProblemError(e, base));
}
