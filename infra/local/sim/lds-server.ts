/**
 * A simulated lab delivery system on loopback: sessions keyed by external_ref (idempotent create),
 * device lists, launch URLs, release. Tests can make the candidate "start" or "end" through
 * `emit`, which posts the LDS's CloudEvents to the product like the real system would.
 */
import { randomUUID } from 'node:crypto';
import { localToken } from '../api-server.ts';
import { signedDelivery } from './webhooks.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

interface SimSession {
  lds_session_id: string;
  external_ref: string;
  candidate_id: string;
  starts_at: string;
  ends_at: string;
  devices: unknown[];
  state: 'created' | 'ready' | 'running' | 'paused' | 'ended' | 'released';
  launch_url: string;
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
    event: { type: string; subject: string; data?: Record<string, unknown> },
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
    const m = /^\/v1\/sessions(?:\/([^/]+))?(\/devices|\/pause|\/resume)?$/.exec(req.url ?? '');
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
        devices: [],
        state: 'created',
        launch_url: `${url}/launch/${lds_session_id}`,
      };
      sessions.set(lds_session_id, s);
      return json(201, s);
    }
    const s = id ? sessions.get(id) : undefined;
    if (!s) return json(404, { message: 'no such session' });
    if (req.method === 'POST' && (m[2] === '/pause' || m[2] === '/resume')) {
      if (s.state === 'released') return json(409, { message: 'released' });
      s.state = m[2] === '/pause' ? 'paused' : 'running';
      return json(200, s);
    }
    if (req.method === 'PUT' && m[2] === '/devices') {
      s.devices = (body.devices as unknown[]) ?? [];
      s.state = 'ready';
      return json(200, s);
    }
    if (req.method === 'PATCH' && !m[2]) {
      if (typeof body.ends_at === 'string') s.ends_at = body.ends_at;
      return json(200, s);
    }
    if (req.method === 'DELETE') {
      s.state = 'released';
      return json(204);
    }
    if (req.method === 'GET') return json(200, s);
    return json(405, { message: 'method not allowed' });
  }

  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
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
    close: () => new Promise((r) => server.close(() => r())),
  };
}
