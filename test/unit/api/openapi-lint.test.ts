/**
 * The OpenAPI document the API serves passes Redocly's recommended rules with no error and no
 * warning (a `servers` entry; every operation documents the 4xx it can answer).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/get-system.ts';
import { httpRoutes } from '../../../infra/topology.ts';
import { system } from '../../../infra/system.ts';

const CLI = resolve(import.meta.dirname, '../../../node_modules/@redocly/cli/bin/cli.js');

async function served(host: string): Promise<Record<string, unknown>> {
  const out = (await handler(
    {
      version: '2.0',
      routeKey: 'GET /v1/openapi.json',
      rawPath: '/v1/openapi.json',
      headers: { host },
      requestContext: { requestId: 'r' },
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2,
    { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 } as unknown as Context,
  )) as { statusCode: number; body: string };
  expect(out.statusCode).toBe(200);
  return JSON.parse(out.body) as Record<string, unknown>;
}

describe('the served OpenAPI document', () => {
  it('documents 429 on every throttled route (each route: its own throttle or the stage default), as a problem, without Retry-After', async () => {
    type Response = { content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> };
    const doc = (await served('127.0.0.1:3000')) as {
      paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
    };
    const routes = httpRoutes(system);
    expect(routes.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const r of routes) {
      const res = doc.paths[r.path]?.[r.method.toLowerCase()]?.responses['429'];
      if (!res) {
        missing.push(`${r.method} ${r.path}`);
        continue;
      }
      expect(res.content?.['application/problem+json']?.schema).toEqual({
        $ref: '#/components/schemas/Problem',
      });
      // Neither API Gateway nor the local API sends Retry-After, so the document does not promise one.
      expect(res.headers?.['Retry-After']).toBeUndefined();
    }
    expect(missing).toEqual([]);
  });

  it('names the host it is served on', async () => {
    expect((await served('abc123.execute-api.eu-west-1.amazonaws.com')).servers).toEqual([
      { url: 'https://abc123.execute-api.eu-west-1.amazonaws.com', description: 'This deployment' },
    ]);
  });

  it('passes `redocly lint` (recommended) with 0 errors and 0 warnings', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(await served('abc123.execute-api.eu-west-1.amazonaws.com')));
    let out: string;
    try {
      out = execFileSync(
        process.execPath,
        [CLI, 'lint', file, '--extends', 'recommended', '--format', 'json'],
        {
          encoding: 'utf8',
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? '');
    }
    const report = JSON.parse(out.slice(out.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});
