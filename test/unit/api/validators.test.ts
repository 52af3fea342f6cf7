/**
 * The request validators compiled ahead of time (D186): the generated module is current, holds
 * every route's request schemas, and answers exactly what the runtime compiler answers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { allContracts } from '../../../shared/api/contracts/index.ts';
import { routeKey } from '../../../shared/api/contract.ts';
import { httpHandler, route } from '../../../shared/api/http.ts';
import { validateAgainst } from '../../../shared/api/schema.ts';
import type { JsonSchema } from '../../../shared/api/schema-errors.ts';
import { requestSchemas, validatorsModuleSource } from '../../../shared/api/validators-codegen.ts';
import {
  precompiledValidator,
  runtimeCompiles,
  validateRequestPart,
} from '../../../shared/api/validators.ts';

const generatedPath = new URL('../../../shared/api/validators.generated.ts', import.meta.url);

/** Values that hit each keyword of a schema: wrong types, empty, long, out-of-range, unknown fields. */
function probes(schema: JsonSchema): unknown[] {
  const scalars = [
    null,
    true,
    0,
    -1,
    1.5,
    10_000_000,
    '',
    'x',
    'x'.repeat(300),
    '2026-12-02T10:00:00Z',
    'not a date',
    [],
    {},
  ];
  const out: unknown[] = [...scalars, { unknown_field: 1 }];
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const base: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(props)) {
    const e = p.enum as unknown[] | undefined;
    base[k] =
      e?.[0] ??
      (p.type === 'integer' || p.type === 'number'
        ? 1
        : p.type === 'boolean'
          ? true
          : p.type === 'array'
            ? []
            : p.type === 'object'
              ? {}
              : 'a');
  }
  out.push(base, { ...base, unknown_field: 1 });
  for (const k of Object.keys(props)) for (const v of scalars) out.push({ ...base, [k]: v });
  return out;
}

describe('request validators compiled ahead of time', () => {
  it('the generated module is what `npm run gen:validators` writes from the contracts', () => {
    expect(readFileSync(generatedPath, 'utf8'), 'run `npm run gen:validators`').toBe(
      validatorsModuleSource(allContracts),
    );
  });

  it('holds every route’s request schemas (params, query, body, headers)', () => {
    const schemas = requestSchemas(allContracts);
    expect(schemas.length).toBeGreaterThan(20);
    const missing = allContracts.flatMap((c) =>
      requestSchemas([c])
        .filter((s) => precompiledValidator(s) === undefined)
        .map(() => routeKey(c)),
    );
    expect(missing).toEqual([]);
  });

  it.each(allContracts.map((c) => [routeKey(c), c] as const))(
    '%s: answers the same field errors as the runtime compiler',
    async (_k, c) => {
      const before = runtimeCompiles.count;
      for (const s of requestSchemas([c]))
        for (const data of probes(s))
          expect(await validateRequestPart(s, data, '/x'), JSON.stringify(data)).toEqual(
            validateAgainst(s, data, '/x'),
          );
      expect(runtimeCompiles.count).toBe(before);
    },
  );

  it('a route’s bad request is the same 422 problem, with no schema compiled at run time', async () => {
    const c = allContracts.find((x) => x.body && x.params)!;
    const handler = httpHandler([route(c, async () => ({ status: 200 }))]);
    const before = runtimeCompiles.count;
    const r = (await handler(
      {
        version: '2.0',
        routeKey: routeKey(c),
        rawPath: '/x',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
        pathParameters: {},
        body: '{"no_such_field":1}',
        requestContext: { requestId: 'r' },
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEventV2,
      { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 } as unknown as Context,
    )) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(r.statusCode).toBe(422);
    expect(r.headers['content-type']).toBe('application/problem+json');
    const p = JSON.parse(r.body) as { type: string; errors: { pointer: string }[] };
    expect(p.type).toBe('urn:lcm:problem:validation-error');
    expect(p.errors.length).toBeGreaterThan(0);
    expect(runtimeCompiles.count).toBe(before);
  });

  it('a schema the module lacks (a test’s own contract) is compiled on first use, and counted', async () => {
    const s: JsonSchema = {
      type: 'object',
      required: ['only_in_this_test'],
      properties: { only_in_this_test: { type: 'string' } },
    };
    const before = runtimeCompiles.count;
    expect(await validateRequestPart(s, {}, '/q')).toEqual([
      { pointer: '/q/only_in_this_test', detail: 'is required', rule: 'required' },
    ]);
    await validateRequestPart(s, {}, '/q');
    expect(runtimeCompiles.count).toBe(before + 1);
  });
});
