import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { httpHandler, route, decodeCursor, encodeCursor } from '../../../shared/api/http.ts';
import type { RouteContract } from '../../../shared/api/contract.ts';
import { Problem } from '../../../shared/domain/problem.ts';

const contract: RouteContract = {
  method: 'POST',
  path: '/v1/things/{id}',
  scope: 'public',
  maxBodyBytes: 100,
  operationId: 'makeThing',
  summary: 'test',
  tags: ['t'],
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^t_' } } },
  query: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer', minimum: 1 } } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1 }, size: { enum: ['s', 'm'] } },
  },
  responses: { 201: { description: 'ok' } },
};

const handler = httpHandler([
  route<Record<string, string>, { n?: number }, { name: string }>(contract, async (req) => {
    if ((req.body as { name: string }).name === 'boom') throw new Error('secret internals');
    if ((req.body as { name: string }).name === 'taken') throw new Problem('conflict', 'exists');
    return {
      status: 201,
      body: { id: req.params.id, n: req.query.n, name: (req.body as { name: string }).name },
    };
  }),
]);

const ctx = {
  functionName: 'f',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 1000,
} as unknown as Context;
function call(over: Partial<APIGatewayProxyEventV2> & { body?: string }) {
  const event = {
    version: '2.0',
    routeKey: 'POST /v1/things/{id}',
    rawPath: '/v1/things/t_1',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: { id: 't_1' },
    requestContext: { requestId: 'req-1' },
    isBase64Encoded: false,
    ...over,
  } as unknown as APIGatewayProxyEventV2;
  return handler(event, ctx) as Promise<{
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  }>;
}
const problemOf = (r: { body: string }) =>
  JSON.parse(r.body) as { type: string; status: number; pointer?: string; errors?: { pointer: string }[] };

describe('the HTTP edge', () => {
  it('passes validated, coerced input to the route', async () => {
    const r = await call({ body: '{"name":"a"}', queryStringParameters: { n: '3' } });
    expect(r.statusCode).toBe(201);
    expect(JSON.parse(r.body)).toEqual({ id: 't_1', n: 3, name: 'a' });
  });

  it.each([
    ['an unknown field', '{"name":"a","colour":"red"}', {}, '/colour'],
    ['a missing field', '{}', {}, '/name'],
    ['a bad enum', '{"name":"a","size":"xl"}', {}, '/size'],
    ['a bad query value', '{"name":"a"}', { queryStringParameters: { n: '0' } }, '/query/n'],
    ['an unknown query parameter', '{"name":"a"}', { queryStringParameters: { x: '1' } }, '/query/x'],
    ['a bad path parameter', '{"name":"a"}', { pathParameters: { id: 'nope' } }, '/params/id'],
  ])('%s → 422 naming the field', async (_what, body, over, pointer) => {
    const r = await call({ body, ...over });
    expect(r.statusCode).toBe(422);
    expect(r.headers['content-type']).toBe('application/problem+json');
    const p = problemOf(r);
    expect(p.type).toBe('urn:lcm:problem:validation-error');
    expect(p.errors!.map((e) => e.pointer)).toContain(pointer);
  });

  it('malformed JSON → 400, wrong media type → 415, oversized → 413', async () => {
    expect((await call({ body: '{"name":' })).statusCode).toBe(400);
    expect(problemOf(await call({ body: '{"name":' })).type).toBe('urn:lcm:problem:malformed-json');
    expect((await call({ body: '{"name":"a"}', headers: { 'content-type': 'text/plain' } })).statusCode).toBe(
      415,
    );
    const big = await call({ body: JSON.stringify({ name: 'x'.repeat(200) }) });
    expect(big.statusCode).toBe(413);
  });

  it('a domain problem keeps its status; an unexpected error leaks nothing', async () => {
    expect((await call({ body: '{"name":"taken"}' })).statusCode).toBe(409);
    const r = await call({ body: '{"name":"boom"}' });
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toContain('secret internals');
  });

  it('an unknown route → 404 problem', async () => {
    const r = await call({ routeKey: 'GET /v1/nothing', body: undefined });
    expect(r.statusCode).toBe(404);
    expect(problemOf(r).type).toBe('urn:lcm:problem:route-not-found');
  });

  it('cursors round-trip and one that is not JSON is a 400', () => {
    const key = { pk: 'a', sk: 'b' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    expect(() => decodeCursor('!!!')).toThrow(expect.objectContaining({ kind: 'bad-request', status: 400 }));
    expect(() => decodeCursor(Buffer.from('[1]').toString('base64url'))).toThrow(Problem);
  });
});
