/**
 * A simulated lab delivery system on loopback: one session per LCM session, keyed by external_ref
 * (idempotent create), holding the session's parts (devices and launch URL each, web-only parts
 * too), pause/resume/extend per part, release per part and per session (D160). Tests can make the
 * candidate start, pause, resume or end through `emit`, which posts the LDS's CloudEvents to the
 * product like the real system would, naming only the LDS's own identities.
 */
import { randomUUID } from 'node:crypto';
import { localToken } from '../api-server.ts';
import { signedDelivery } from './webhooks.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type SimState = 'created' | 'ready' | 'running' | 'paused' | 'ended' | 'released';

interface SimPart {
  order: number;
  name: string;
  kind: 'lab' | 'web';
  starts_at: string;
  ends_at: string;
  devices: unknown[];
  state: SimState;
  launch_url: string;
}

interface SimSession {
  lds_session_id: string;
  external_ref: string;
  candidate_id: string;
  starts_at: string;
  ends_at: string;
  state: SimState;
  launch_url: string;
  /** By order, as the product registered them. */
  parts: Record<string, SimPart>;
}

export interface LdsSimulator {
  url: string;
  token: string;
  sessions: Map<string, SimSession>;
  byRef(externalRef: string): SimSession | undefined;
  calls: { method: string; path: string }[];
  /**
   * Posts one of the LDS's CloudEvents to the product's API as the real system would: a signed
   * Standard Webhook from the `lds-simulator` client (source `lds.local`).
   */
  emit(
    apiUrl: string,
    event: { type: string; subject?: string; data?: Record<string, unknown> },
    nowMs?: number,
  ): Promise<{ status: number; body: unknown }>;
  /**
   * The candidate (or the LDS's proctor) does something in an LDS session: the simulator moves its
   * own state and tells the product with `lds.session.<what>.v1`, naming only its own identities
   * (`lds_session_id`, `external_ref`) and, when given, the part.
   */
  act(
    apiUrl: string,
    input: {
      lds_session_id: string;
      what: 'running' | 'paused' | 'resumed' | 'ended';
      part_order?: number;
      reason?: string;
    },
    nowMs?: number,
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export async function startLdsSimulator(opts: { port?: number; token?: string } = {}): Promise<LdsSimulator> {
  const token = opts.token ?? 'lds-local-token';
  const sessions = new Map<string, SimSession>();
  const calls: { method: string; path: string }[] = [];
  let url = '';
  const server: Server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 65_000; // longer than any client's idle socket (no ECONNRESET on reuse)
  server.headersTimeout = 66_000;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const json = (status: number, body?: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(body === undefined ? '' : JSON.stringify(body));
    calls.push({ method: req.method ?? '', path: req.url ?? '' });
    if (req.headers.authorization !== `Bearer ${token}`) return json(401, { message: 'bad token' });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
      : {};
    const m = /^\/v1\/sessions(?:\/([^/]+))?(?:\/parts\/(\d+))?(\/pause|\/resume)?$/.exec(req.url ?? '');
    if (!m) return json(404, { message: 'no route' });
    const id = m[1] ? decodeURIComponent(m[1]) : undefined;
    if (req.method === 'POST' && !id) {
      const ref = String(body.external_ref ?? '');
      const existing = [...sessions.values()].find((s) => s.external_ref === ref);
      if (existing) return json(200, existing);
      const lds_session_id = `lds_${randomUUID().slice(0, 12)}`;
      const s: SimSession = {
        lds_session_id,
        external_ref: ref,
        candidate_id: String(body.candidate_id ?? ''),
        starts_at: String(body.starts_at ?? ''),
        ends_at: String(body.ends_at ?? ''),
        state: 'created',
        launch_url: `${url}/launch/${lds_session_id}`,
        parts: {},
      };
      sessions.set(lds_session_id, s);
      return json(201, s);
    }
    const s = id ? sessions.get(id) : undefined;
    if (!s) return json(404, { message: 'no such session' });
    const later = (a: string, b: string) => (Date.parse(b) > Date.parse(a) ? b : a);
    if (m[2]) {
      const order = m[2];
      if (req.method === 'PUT' && !m[3]) {
        if (s.state === 'released') return json(409, { message: 'released' });
        const part: SimPart = {
          order: Number(order),
          name: String(body.name ?? ''),
          kind: body.kind === 'web' ? 'web' : 'lab',
          starts_at: String(body.starts_at ?? ''),
          ends_at: String(body.ends_at ?? ''),
          devices: (body.devices as unknown[]) ?? [],
          state: 'ready',
          launch_url: `${url}/launch/${s.lds_session_id}/parts/${order}`,
        };
        s.parts[order] = part;
        s.ends_at = later(s.ends_at, part.ends_at);
        if (s.state === 'created') s.state = 'ready';
        return json(200, { order: part.order, launch_url: part.launch_url, state: part.state });
      }
      const part = s.parts[order];
      if (!part) return json(404, { message: 'no such part' });
      if (req.method === 'POST' && m[3]) {
        if (part.state === 'released') return json(409, { message: 'released' });
        part.state = m[3] === '/pause' ? 'paused' : 'running';
        return json(200, part);
      }
      if (req.method === 'PATCH' && !m[3]) {
        if (typeof body.ends_at === 'string') {
          part.ends_at = body.ends_at;
          s.ends_at = later(s.ends_at, body.ends_at);
        }
        return json(200, part);
      }
      if (req.method === 'DELETE' && !m[3]) {
        part.state = 'released';
        part.devices = [];
        return json(204);
      }
      if (req.method === 'GET' && !m[3]) return json(200, part);
      return json(405, { message: 'method not allowed' });
    }
    if (m[3]) return json(404, { message: 'no route' });
    if (req.method === 'PATCH') {
      if (typeof body.ends_at === 'string') s.ends_at = body.ends_at;
      return json(200, s);
    }
    if (req.method === 'DELETE') {
      s.state = 'released';
      for (const p of Object.values(s.parts)) p.state = 'released';
      return json(204);
    }
    if (req.method === 'GET') return json(200, s);
    return json(405, { message: 'method not allowed' });
  }

  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const sim: LdsSimulator = {
    url,
    token,
    sessions,
    calls,
    byRef: (ref) => [...sessions.values()].find((s) => s.external_ref === ref),
    async emit(apiUrl, event, nowMs = Date.now()) {
      const { headers, body } = signedDelivery(
        { specversion: '1.0', id: `lds-${randomUUID()}`, source: 'lds.local', ...event },
        { client: 'lds-simulator', nowMs },
      );
      const token = localToken({
        sub: 'lds-simulator',
        client_id: 'lds-simulator',
        scope: 'lcm/integration',
      });
      const res = await fetch(`${apiUrl}/v1/events`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${token}` },
        body,
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    act(apiUrl, input, nowMs) {
      const s = sessions.get(input.lds_session_id);
      if (!s) return Promise.resolve({ status: 404, body: { message: 'no such LDS session' } });
      const part = input.part_order !== undefined ? s.parts[String(input.part_order)] : undefined;
      const state: SimState =
        input.what === 'paused' ? 'paused' : input.what === 'ended' ? 'ended' : 'running';
      if (part) part.state = state;
      return sim.emit(
        apiUrl,
        {
          type: `lds.session.${input.what}.v1`,
          data: {
            lds_session_id: s.lds_session_id,
            external_ref: s.external_ref,
            ...(input.part_order !== undefined ? { part_order: input.part_order } : {}),
            ...(input.reason ? { reason: input.reason } : {}),
          },
        },
        nowMs,
      );
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  return sim;
}
