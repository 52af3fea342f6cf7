/**
 * Builds the OpenAPI 3.1 document from the route contracts: the same schemas the handlers
 * validate with, and the scope each contract declares (which the CDK app's authorizer enforces).
 */
import {
  API_SCOPES,
  problemSchema,
  type RouteContract,
  routeKey,
  SCOPE_DESCRIPTIONS,
  SCOPE_PREFIX,
} from './contract.ts';
import type { JsonSchema } from './schema.ts';

export function buildOpenApi(opts: {
  contracts: RouteContract[];
  version: string;
  serverUrl?: string;
}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const c of [...opts.contracts].sort((a, b) => routeKey(a).localeCompare(routeKey(b)))) {
    const scope = c.scope;
    const parameters = [
      ...objectParams(c.params, 'path'),
      ...objectParams(c.query, 'query'),
      ...(c.headers ?? []).map((h) => ({
        name: h.name,
        in: 'header',
        required: h.required,
        description: h.description,
        schema: h.schema,
      })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(c.responses))
      responses[status] = {
        description: r.description,
        ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
      };
    // What the edge answers on any route, documented on each: the authorizer's 401/403 and the
    // schema check's 422 (unknown query parameters included).
    const problem = (description: string) => ({
      description,
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    if (scope !== 'public') {
      responses['401'] ??= problem('No valid token');
      responses['403'] ??= problem(`The token does not carry ${SCOPE_PREFIX}${scope}`);
    }
    if (c.params || c.query || c.body || c.headers)
      responses['422'] ??= problem('The request does not satisfy the schema');
    // Every route is throttled (API Gateway's token bucket per route: the route's own throttle,
    // else the stage's default), before the authorizer or the function runs (D142, D183).
    responses['429'] ??= {
      description:
        "Throttled: the route's request rate " +
        (c.throttle
          ? `(its own throttle: ${c.throttle.rateLimit} per second, bursts of ${c.throttle.burstLimit})`
          : "(the stage's default throttle)") +
        ' is exceeded; nothing was done. No Retry-After header is sent: retry with exponential backoff and jitter. ' +
        'The local runtime answers an RFC 9457 problem (`urn:lcm:problem:too-many-requests`); ' +
        'API Gateway itself answers `{"message":"Too Many Requests"}` as application/json.',
      content: {
        'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
        'application/json': {
          schema: {
            type: 'object',
            required: ['message'],
            properties: { message: { type: 'string', const: 'Too Many Requests' } },
          },
        },
      },
    };
    responses.default = {
      description: 'An RFC 9457 problem',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
    (paths[c.path] ??= {})[c.method.toLowerCase()] = {
      operationId: c.operationId,
      summary: c.summary,
      ...(c.description ? { description: c.description } : {}),
      tags: c.tags,
      ...(parameters.length ? { parameters } : {}),
      ...(c.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: c.body } } } }
        : {}),
      responses,
      security: scope === 'public' ? [] : [{ jwt: [SCOPE_PREFIX + scope] }],
    };
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'LCM on AWS',
      version: opts.version,
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      description:
        'Lab and exam session delivery: schedule sessions, sync content, run jobs. Errors are RFC 9457 problem+json.',
    },
    servers: [
      {
        url: opts.serverUrl ?? 'http://127.0.0.1:3000',
        description: opts.serverUrl ? 'This deployment' : 'The local runtime (npm start)',
      },
    ],
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        jwt: {
          type: 'oauth2',
          flows: {
            clientCredentials: { tokenUrl: 'https://your-issuer/oauth2/token', scopes: scopeDescriptions() },
          },
        },
      },
    },
  };
}

function scopeDescriptions(): Record<string, string> {
  return Object.fromEntries(
    API_SCOPES.filter((s) => s !== 'public').map((s) => [SCOPE_PREFIX + s, SCOPE_DESCRIPTIONS[s]]),
  );
}

function objectParams(schema: JsonSchema | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' ? true : required.has(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}
