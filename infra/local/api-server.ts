/**
 * API Gateway (HTTP API, payload v2), locally: matches the topology's routes, builds the same
 * APIGatewayProxyEventV2 the real gateway sends, calls the route's handler and writes its answer.
 * Authorization as the JWT authorizer does it: a bearer token must carry the route's scope (403)
 * and its claims reach the function; tokens are unsigned locally (`localToken`), and a request
 * without one is the `local-developer`, with every scope. A few `/local/*` endpoints expose the emulator
 * itself: the live event stream, the clock, dead letters and counters.
 */
import { randomUUID } from 'node:crypto';
import { listenOnLoopback } from './ports.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { SystemDecl } from '../topology.ts';
import { API_SCOPES, SCOPE_PREFIX, type RouteContract } from '../../shared/api/contract.ts';
import { httpRoutes } from '../topology.ts';
import type { Clock } from '../../shared/domain/clock.ts';
import type { BusEvent, LocalEventBus } from './event-bus.ts';
import type { LocalFunctions } from './functions.ts';
import type { ApiThrottles, Throttle } from './template.ts';

const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;
const ALL_SCOPES = API_SCOPES.filter((s) => s !== 'public').map((s) => SCOPE_PREFIX + s);

interface CompiledRoute {
  trigger: RouteContract;
  functionName: string;
  regex: RegExp;
  names: string[];
}

export interface LocalEndpoints {
  /** Extra components for /v1/health (the emulators themselves). */
  components(): Record<string, { status: 'ok' | 'down'; detail?: string }>;
  clock(): { now: string; kind: string; factor?: number };
  advanceClock(ms: number): Promise<void>;
  stats(): Record<string, unknown>;
  deadLetters(): unknown;
  /** Hands the asynchronous dead letters back to their functions (`lcm ops redrive`'s logic). */
  redriveDeadLetters?(): Promise<unknown>;
  /** What the simulated lab delivery system holds and was asked (sessions, calls). */
  lds(): unknown;
  /** The simulated LDS tells the product the candidate started, paused, resumed or ended (D160). */
  ldsAct(input: {
    lds_session_id: string;
    what: 'running' | 'paused' | 'resumed' | 'ended';
    part_order?: number;
    reason?: string;
  }): Promise<{ status: number; body: unknown }>;
}

export interface ApiServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function compileRoutes(system: SystemDecl): CompiledRoute[] {
  return httpRoutes(system).map((r) => {
    const names: string[] = [];
    const pattern = r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, n: string) => {
      names.push(n);
      return '([^/]+)';
    });
    return { trigger: r, functionName: r.function.name, regex: new RegExp(`^${pattern}$`), names };
  });
}

/** The principal of a request without a token (`npm start` and curl): every scope, one tenant. */
export const LOCAL_DEVELOPER_CLAIMS = {
  sub: 'local-developer',
  client_id: 'local-developer',
  scope: ALL_SCOPES.join(' '),
} as const;

/**
 * A token the local API accepts: an unsigned JWT (`alg: none`) carrying the claims API Gateway's
 * JWT authorizer would pass on (`sub`, `client_id`, `scope`, ...). Locally nothing verifies
 * signatures; scopes and tenants are enforced exactly as in AWS.
 */
export function localToken(claims: Record<string, string>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/**
 * The JWT authorizer, locally: no token → the local developer (every scope); a token that is not
 * a JWT → 401; a token without the route's scope → 403, before any function runs.
 */
function authorize(
  headers: Record<string, string>,
  route: RouteContract,
): { claims: Record<string, string> } | LocalApiResponse {
  const header = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  if (route.scope === 'public') return { claims: {} };
  if (header === undefined) return { claims: { ...LOCAL_DEVELOPER_CLAIMS } };
  const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/.exec(header);
  let claims: Record<string, unknown> | undefined;
  try {
    claims = m
      ? (JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8')) as Record<string, unknown>)
      : undefined;
  } catch {
    claims = undefined;
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims))
    return problemResponse(
      401,
      'unauthorized',
      'Authentication is required',
      'the bearer token is not a JWT',
      {
        'www-authenticate': 'Bearer',
      },
    );
  // API Gateway hands claims to the function as strings.
  const flat = Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const scopes = (flat.scope ?? '').split(' ');
  if (!scopes.includes(SCOPE_PREFIX + route.scope))
    return problemResponse(
      403,
      'forbidden',
      'The caller lacks the scope for this route',
      `the token does not carry ${SCOPE_PREFIX}${route.scope}`,
    );
  return { claims: flat };
}

/** A request as the local API receives it (from a socket, or in-process from a test). */
export interface LocalApiRequest {
  method: string;
  /** Path and query string, as on the request line. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  protocol?: string;
  sourceIp?: string;
}

export interface LocalApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer;
}

/**
 * API Gateway in-process: route matching, the v2 event, the function's answer (what the HTTP
 * server writes, and what the in-process suites such as the API fuzz test call directly).
 */
export function createLocalApi(deps: {
  system: SystemDecl;
  fns: LocalFunctions;
  clock: Clock;
  accountId: string;
  local?: Pick<LocalEndpoints, 'components'>;
  /** The stage's throttles from the synthesized template; none: nothing is throttled. */
  throttles?: ApiThrottles;
  /** Real milliseconds for the throttle buckets (API Gateway refills in real time, not the clock's). */
  realNow?: () => number;
}) {
  const routes = compileRoutes(deps.system);
  const buckets = new Map<string, TokenBucket>();
  const realNow = deps.realNow ?? (() => performance.now());
  /** One bucket per route: its own setting, else the stage's default route setting. */
  function admit(key: string): boolean {
    let b = buckets.get(key);
    if (!b) {
      const t = deps.throttles?.routes[key] ?? deps.throttles?.default;
      if (!t) return true;
      buckets.set(key, (b = new TokenBucket(t, realNow())));
    }
    return b.take(realNow());
  }

  async function dispatch(req: LocalApiRequest): Promise<LocalApiResponse> {
    const url = new URL(req.url, 'http://local');
    const body = typeof req.body === 'string' ? Buffer.from(req.body) : (req.body ?? Buffer.alloc(0));
    if (body.length > API_GATEWAY_MAX_BODY)
      return problemResponse(
        413,
        'payload-too-large',
        'The body is larger than allowed',
        'API Gateway accepts at most 10 MB',
      );
    const method = req.method;
    const candidates = routes.filter((r) => r.regex.test(url.pathname));
    const match = candidates.find((r) => r.trigger.method === method);
    if (!match) {
      if (candidates.length)
        return problemResponse(
          405,
          'method-not-allowed',
          'The route does not accept this method',
          `${method} is not allowed on ${url.pathname}`,
          { allow: candidates.map((c) => c.trigger.method).join(', ') },
        );
      return problemResponse(404, 'route-not-found', 'No such route', `${method} ${url.pathname}`);
    }
    // API Gateway throttles before the authorizer or the integration runs.
    if (!admit(`${match.trigger.method} ${match.trigger.path}`))
      return problemResponse(
        429,
        'too-many-requests',
        'Too many requests',
        `the route ${match.trigger.method} ${match.trigger.path} is throttled; retry later`,
      );
    const values = match.regex.exec(url.pathname)!.slice(1);
    let pathParameters: Record<string, string>;
    try {
      pathParameters = Object.fromEntries(match.names.map((n, i) => [n, decodeURIComponent(values[i]!)]));
    } catch {
      // API Gateway answers a path it cannot decode with 400 before any integration runs.
      return problemResponse(
        400,
        'bad-request',
        'The request cannot be processed',
        'the path is not valid percent-encoding',
      );
    }
    const auth = authorize(req.headers, match.trigger);
    if ('status' in auth) return auth;
    const event = toEvent(req, url, body, match, pathParameters, auth.claims);
    let out: APIGatewayProxyStructuredResultV2;
    try {
      out = (await deps.fns.invoke(match.functionName, event)) as APIGatewayProxyStructuredResultV2;
    } catch (e) {
      // What API Gateway answers when the integration fails.
      return problemResponse(
        502,
        'internal',
        'Bad gateway',
        `the ${match.functionName} function failed: ${(e as Error).message}`,
      );
    }
    if (match.trigger.path.startsWith('/v1/health') && out.body && deps.local) {
      const doc = JSON.parse(out.body) as { status: string; components: Record<string, unknown> };
      const local = deps.local.components();
      doc.components = { ...doc.components, ...local };
      const down = Object.values(doc.components).some((c) => (c as { status: string }).status !== 'ok');
      doc.status = down ? 'degraded' : 'ok';
      out = { ...out, statusCode: down ? 503 : 200, body: JSON.stringify(doc) };
    }
    return {
      status: out.statusCode ?? 200,
      headers: { ...(out.headers as Record<string, string>) },
      ...(out.body
        ? { body: out.isBase64Encoded ? Buffer.from(out.body, 'base64') : Buffer.from(out.body) }
        : {}),
    };
  }

  function toEvent(
    req: LocalApiRequest,
    url: URL,
    body: Buffer,
    r: CompiledRoute,
    pathParameters: Record<string, string>,
    claims: Record<string, string>,
  ): APIGatewayProxyEventV2 {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    const now = deps.clock.now();
    const routeKey = `${r.trigger.method} ${r.trigger.path}`;
    return {
      version: '2.0',
      routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      ...(r.names.length ? { pathParameters } : {}),
      requestContext: {
        accountId: deps.accountId,
        apiId: 'local',
        domainName: headers.host ?? '127.0.0.1',
        domainPrefix: 'local',
        http: {
          method: r.trigger.method,
          path: url.pathname,
          protocol: req.protocol ?? 'HTTP/1.1',
          sourceIp: req.sourceIp ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey,
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
        ...(r.trigger.scope === 'public'
          ? {}
          : {
              authorizer: { jwt: { claims, scopes: (claims.scope ?? '').split(' ').filter(Boolean) } },
            }),
      } as APIGatewayProxyEventV2['requestContext'],
      ...(body.length ? { body: body.toString('utf8') } : {}),
      isBase64Encoded: false,
    };
  }

  return { dispatch };
}

/** API Gateway's token bucket: `burstLimit` tokens, refilled at `rateLimit` per second. */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly t: Throttle,
    now: number,
  ) {
    this.tokens = t.burstLimit;
    this.at = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.t.burstLimit, this.tokens + ((now - this.at) / 1000) * this.t.rateLimit);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export async function startApiServer(deps: {
  system: SystemDecl;
  throttles?: ApiThrottles;
  fns: LocalFunctions;
  bus: LocalEventBus;
  clock: Clock;
  local: LocalEndpoints;
  port?: number;
  accountId: string;
}): Promise<ApiServer> {
  const sse = new Set<ServerResponse>();

  const api = createLocalApi(deps);

  const server = createServer((req, res) => {
    void handle(req, res).catch((e) => {
      console.error('[api] unhandled', e);
      if (!res.headersSent) problem(res, 500, 'internal', 'Internal error', (e as Error).message);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname.startsWith('/local/')) return localEndpoint(url, req, res);
    const body = await readBody(req, API_GATEWAY_MAX_BODY);
    if (body === 'too-large')
      return problem(
        res,
        413,
        'payload-too-large',
        'The body is larger than allowed',
        'API Gateway accepts at most 10 MB',
      );
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    const out = await api.dispatch({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers,
      body,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    });
    res.writeHead(out.status, out.headers);
    res.end(out.body);
  }

  async function localEndpoint(url: URL, req: IncomingMessage, res: ServerResponse) {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 2));
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /local/events': {
        // Server-sent events: `curl -N http://127.0.0.1:PORT/local/events?source=lcm.sessions`
        const source = url.searchParams.get('source');
        const type = url.searchParams.get('type');
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        res.write(': connected\n\n');
        sse.add(res);
        const off = deps.bus.tap((e: BusEvent) => {
          if (source && !e.source.startsWith(source)) return;
          if (type && !e['detail-type'].startsWith(type)) return;
          res.write(`event: ${e['detail-type']}\nid: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
        });
        req.on('close', () => {
          off();
          sse.delete(res);
        });
        return;
      }
      case 'GET /local/events/log': {
        const since = Number(url.searchParams.get('since') ?? 0);
        const subject = url.searchParams.get('subject');
        const log = deps.bus.log
          .slice(since)
          .filter((e) => !subject || (e.detail as { subject?: string }).subject?.startsWith(subject));
        return json(200, { next: deps.bus.log.length, events: log });
      }
      case 'GET /local/clock':
        return json(200, deps.local.clock());
      case 'POST /local/clock/advance': {
        const body = JSON.parse((await readBody(req, 4096)).toString() || '{}') as {
          ms?: number;
          minutes?: number;
        };
        const ms = body.ms ?? (body.minutes ?? 0) * 60_000;
        if (!(ms > 0))
          return problem(
            res,
            422,
            'validation-error',
            'The request does not satisfy the schema',
            'give ms or minutes > 0',
          );
        await deps.local.advanceClock(ms);
        return json(200, deps.local.clock());
      }
      case 'GET /local/stats':
        return json(200, deps.local.stats());
      case 'GET /local/lds':
        return json(200, deps.local.lds());
      case 'POST /local/lds/act': {
        const body = JSON.parse((await readBody(req, 4096)).toString() || '{}') as {
          lds_session_id?: unknown;
          what?: unknown;
          part_order?: unknown;
          reason?: unknown;
        };
        const what = ['running', 'paused', 'resumed', 'ended'].find((w) => w === body.what) as
          'running' | 'paused' | 'resumed' | 'ended' | undefined;
        if (typeof body.lds_session_id !== 'string' || !what)
          return problem(
            res,
            422,
            'validation-error',
            'The request does not satisfy the schema',
            'give lds_session_id and what (running | paused | resumed | ended)',
          );
        const r = await deps.local.ldsAct({
          lds_session_id: body.lds_session_id,
          what,
          ...(typeof body.part_order === 'number' ? { part_order: body.part_order } : {}),
          ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
        });
        return json(200, r);
      }
      case 'GET /local/dead-letters':
        return json(200, deps.local.deadLetters());
      case 'POST /local/dead-letters/redrive':
        if (!deps.local.redriveDeadLetters)
          return problem(res, 404, 'route-not-found', 'No such route', url.pathname);
        return json(200, await deps.local.redriveDeadLetters());
      default:
        return problem(res, 404, 'route-not-found', 'No such route', url.pathname);
    }
  }

  const port = await listenOnLoopback(server, deps.port);
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((r) => {
        for (const s of sse) s.end();
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

function problem(
  res: ServerResponse,
  status: number,
  kind: string,
  title: string,
  detail: string,
  headers: Record<string, string> = {},
) {
  res
    .writeHead(status, { 'content-type': 'application/problem+json', ...headers })
    .end(JSON.stringify({ type: `urn:lcm:problem:${kind}`, title, status, detail }));
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function problemResponse(
  status: number,
  kind: string,
  title: string,
  detail: string,
  headers: Record<string, string> = {},
): LocalApiResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: Buffer.from(JSON.stringify({ type: `urn:lcm:problem:${kind}`, title, status, detail })),
  };
}
