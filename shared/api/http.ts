/**
 * The HTTP edge for every API function: a middy handler that routes by API Gateway v2
 * `routeKey`, enforces media type and body size, validates params/query/body against the
 * route's contract, and turns every error into RFC 9457 problem+json. Route functions only see
 * validated, typed input.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Problem, toProblem, type ProblemError } from '../domain/problem.ts';
import { logger } from '../observability/logger.ts';
import { countApiProblem } from '../runtime/metrics.ts';
import { DEFAULT_MAX_BODY_BYTES, type RouteContract, routeKey } from './contract.ts';
import type { JsonSchema } from './schema-errors.ts';
import { validateRequestPart as validateAgainst } from './validators.ts';

export interface HttpRequest<P = Record<string, string>, Q = Record<string, unknown>, B = unknown> {
  params: P;
  query: Q;
  body: B;
  headers: Record<string, string>;
  rawBody: string;
  requestId: string;
  path: string;
  claims: Record<string, unknown>;
  /** Who is calling: the token's subject (or client id) as the authorizer verified it. */
  principal: string;
  /**
   * The client the caller acts for (its `client_id`, else `azp`, else `sub`): what it books or
   * starts belongs to this tenant, and another tenant gets 404 for it.
   */
  tenant: string;
  context: Context;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  contract: RouteContract;
  handle(req: HttpRequest<any, any, any>): Promise<HttpResult>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export const route = <P, Q, B>(
  contract: RouteContract,
  handle: (req: HttpRequest<P, Q, B>) => Promise<HttpResult>,
): Route => ({ contract, handle });

export function httpHandler(routes: Route[]) {
  const table = new Map(routes.map((r) => [routeKey(r.contract), r]));
  const core = async (
    event: APIGatewayProxyEventV2,
    ctx: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = event.requestContext?.requestId ?? 'local';
    const r = table.get(event.routeKey);
    try {
      if (!r) throw new Problem('route-not-found', `no route ${event.routeKey}`);
      const req = await parseRequest(
        event,
        ctx,
        r.contract,
        r.contract.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      );
      const res = await r.handle(req);
      return {
        statusCode: res.status,
        headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...res.headers },
        ...(res.body === undefined ? {} : { body: JSON.stringify(res.body) }),
      };
    } catch (e) {
      const p = toProblem(e);
      countApiProblem(p.kind, p.status);
      if (p.status >= 500) logger.error('request failed', { routeKey: event.routeKey, error: e as Error });
      else logger.info('request rejected', { routeKey: event.routeKey, problem: p.kind, status: p.status });
      return {
        statusCode: p.status,
        headers: { 'content-type': 'application/problem+json', 'x-request-id': requestId },
        body: JSON.stringify(p.toJSON(event.rawPath)),
      };
    }
  };
  return middy(core).use(injectLambdaContext(logger, { resetKeys: true }));
}

async function parseRequest(
  event: APIGatewayProxyEventV2,
  context: Context,
  c: RouteContract,
  maxBody: number,
): Promise<HttpRequest> {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']),
  );
  const errors: ProblemError[] = [];
  for (const h of c.headers ?? []) {
    const name = h.name.toLowerCase();
    const value = headers[name];
    if (value === undefined) {
      if (h.required)
        errors.push({
          pointer: `/headers/${name}`,
          detail: `the ${h.name} header is required`,
          rule: 'required',
        });
      continue;
    }
    errors.push(...(await validateAgainst(h.schema, value, `/headers/${name}`)));
  }
  const params = { ...(event.pathParameters ?? {}) } as Record<string, string>;
  if (c.params) errors.push(...(await validateAgainst(c.params, params, '/params')));
  const query = coerceQuery(event.queryStringParameters ?? {}, c.query);
  if (c.query) errors.push(...(await validateAgainst(c.query, query, '/query')));
  const rawBody = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  let body: unknown = undefined;
  if (c.body) {
    if (Buffer.byteLength(rawBody) > maxBody)
      throw new Problem(
        'payload-too-large',
        `the body is ${Buffer.byteLength(rawBody)} bytes; at most ${maxBody} are accepted`,
      );
    const type = headers['content-type'] ?? '';
    if (rawBody && !/^application\/([a-z.+-]*\+)?json\b/i.test(type))
      throw new Problem('unsupported-media-type', `content-type "${type}" is not application/json`);
    try {
      body = rawBody ? JSON.parse(rawBody) : {};
    } catch (e) {
      throw new Problem('malformed-json', (e as Error).message);
    }
    errors.push(...(await validateAgainst(c.body, body, '')));
  } else if (rawBody && c.method !== 'GET' && c.method !== 'DELETE') {
    if (Buffer.byteLength(rawBody) > maxBody)
      throw new Problem('payload-too-large', `at most ${maxBody} bytes are accepted`);
  }
  if (errors.length)
    throw new Problem('validation-error', `${errors.length} field(s) failed validation`, { errors });
  const claims =
    (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } })?.authorizer?.jwt
      ?.claims ?? {};
  return {
    params,
    query,
    body,
    headers,
    rawBody,
    requestId: event.requestContext?.requestId ?? 'local',
    path: event.rawPath,
    claims,
    principal: String(claims.sub ?? claims.client_id ?? 'anonymous'),
    tenant: String(claims.client_id ?? claims.azp ?? claims.sub ?? 'anonymous'),
    context,
  };
}

/** API Gateway hands query values over as strings; coerce those the schema types as numbers or booleans. */
function coerceQuery(q: Record<string, string | undefined>, schema?: JsonSchema): Record<string, unknown> {
  const props = (schema?.properties ?? {}) as Record<string, { type?: string }>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    const t = props[k]?.type;
    if ((t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(v)) out[k] = Number(v);
    else if (t === 'boolean' && (v === 'true' || v === 'false')) out[k] = v === 'true';
    else out[k] = v;
  }
  return out;
}

/** Opaque pagination cursors: base64url JSON of the store's last evaluated key. */
export const encodeCursor = (key: Record<string, unknown> | undefined) =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new Problem('bad-request', 'the cursor is not one this API issued', {
    errors: [{ pointer: '/query/cursor', detail: 'unknown cursor', rule: 'cursor' }],
  });
}
