import { describe, expect, it } from 'vitest';
import { allContracts } from '../../../shared/api/contracts/index.ts';
import { routeKey } from '../../../shared/api/contract.ts';
import { compileSchema } from '../../../shared/api/schema.ts';
import { buildOpenApi } from '../../../shared/api/openapi.ts';
import { httpRoutes } from '../../../infra/topology.ts';
import { system } from '../../../infra/system.ts';

describe('route contracts', () => {
  it('every route in the topology has exactly one contract, and every contract a route', () => {
    const routes = httpRoutes(system).map(routeKey).sort();
    const contracts = allContracts.map(routeKey).sort();
    expect(contracts).toEqual(routes);
    expect(new Set(contracts).size).toBe(contracts.length);
  });

  it.each(allContracts.map((c) => [routeKey(c), c] as const))(
    '%s: every schema compiles under strict ajv',
    (_k, c) => {
      for (const s of [c.params, c.query, c.body, ...Object.values(c.responses).map((r) => r.schema)])
        if (s) expect(() => compileSchema(s)).not.toThrow();
    },
  );

  it('the OpenAPI document lists every route with its scope and the problem schema', () => {
    const doc = buildOpenApi({ contracts: allContracts, version: '1' }) as {
      openapi: string;
      paths: Record<string, Record<string, { security: unknown[]; operationId: string }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([p, m]) =>
      Object.entries(m).map(([verb, op]) => ({ key: `${verb.toUpperCase()} ${p}`, op })),
    );
    expect(ops).toHaveLength(allContracts.length);
    const post = doc.paths['/v1/sessions']!.post!;
    expect(post.security).toEqual([{ jwt: ['lcm/scheduler'] }]);
    expect(doc.paths['/v1/health']!.get!.security).toEqual([]);
    expect(new Set(ops.map((o) => o.op.operationId)).size).toBe(ops.length);
  });
});
