/**
 * The lab delivery system (LDS) port and its REST adapter: the system candidates use to reach
 * their parts. The product keeps ONE LDS session per LCM session (external reference: the session
 * id) and registers every part in it, web-only parts included, each with its own devices (console
 * addresses) and launch URL; a part is released when it ends, the LDS session when the session
 * ends (D160).
 */
import { Problem } from '../domain/problem.ts';

export interface LdsDevice {
  name: string;
  host: string;
  port: number;
  protocol: 'telnet' | 'ssh' | 'vnc' | 'web';
}

export interface LdsSession {
  lds_session_id: string;
  launch_url: string;
  state: 'created' | 'ready' | 'running' | 'paused' | 'ended' | 'released';
}

/** One part of an LDS session: a lab (devices to reach) or web-only content (none). */
export interface LdsPartInput {
  name: string;
  kind: 'lab' | 'web';
  starts_at: string;
  ends_at: string;
  devices: LdsDevice[];
}

export interface LdsPart {
  order: number;
  launch_url: string;
}

export interface LdsPort {
  /** The LCM session's LDS session; idempotent by `external_ref` (the LCM session id). */
  createSession(input: {
    external_ref: string;
    candidate_id: string;
    starts_at: string;
    ends_at: string;
  }): Promise<LdsSession>;
  /** Registers (or re-registers, idempotently) a part with its devices; answers its launch URL. */
  putPart(ldsSessionId: string, order: number, part: LdsPartInput): Promise<LdsPart>;
  /** Moves a part's end (idempotent: the same end twice is one change). */
  extendPart(ldsSessionId: string, order: number, endsAt: string): Promise<void>;
  /** Keeps the candidate out of a paused part (idempotent). */
  pausePart(ldsSessionId: string, order: number): Promise<void>;
  /** Lets the candidate back into the part (idempotent). */
  resumePart(ldsSessionId: string, order: number): Promise<void>;
  /** The part has ended: its devices go; the session stays for the other parts (idempotent). */
  releasePart(ldsSessionId: string, order: number): Promise<void>;
  /** The session has ended: the whole LDS session goes (idempotent). */
  release(ldsSessionId: string): Promise<void>;
}

export class LdsRestAdapter implements LdsPort {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const timeout = (e as Error).name === 'TimeoutError';
      throw new Problem(
        timeout ? 'timeout' : 'communication-error',
        `LDS ${method} ${path}: ${(e as Error).message}`,
      );
    }
    if (res.status === 401 || res.status === 403)
      throw new Problem('unauthorized', `LDS refused the credentials (${res.status})`);
    if (res.status === 404) throw new Problem('not-found', `LDS ${method} ${path}: not found`);
    if (res.status === 409) throw new Problem('conflict', `LDS ${method} ${path}: conflict`);
    if (!res.ok) throw new Problem('communication-error', `LDS ${method} ${path}: HTTP ${res.status}`);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Idempotent by external_ref: the LDS answers with the existing session on a repeat. */
  createSession(input: { external_ref: string; candidate_id: string; starts_at: string; ends_at: string }) {
    return this.call<LdsSession>('POST', '/v1/sessions', input);
  }

  putPart(id: string, order: number, part: LdsPartInput) {
    return this.call<LdsPart>('PUT', `${this.path(id)}/parts/${order}`, part);
  }

  async extendPart(id: string, order: number, endsAt: string) {
    await this.call('PATCH', `${this.path(id)}/parts/${order}`, { ends_at: endsAt });
  }

  async pausePart(id: string, order: number) {
    await this.call('POST', `${this.path(id)}/parts/${order}/pause`, {});
  }

  async resumePart(id: string, order: number) {
    await this.call('POST', `${this.path(id)}/parts/${order}/resume`, {});
  }

  async releasePart(id: string, order: number) {
    await this.gone(() => this.call('DELETE', `${this.path(id)}/parts/${order}`));
  }

  private path(id: string) {
    return `/v1/sessions/${encodeURIComponent(id)}`;
  }

  /** Releasing what is already gone is done. */
  private async gone(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (e) {
      if (!(e instanceof Problem && e.kind === 'not-found')) throw e;
    }
  }

  async release(id: string) {
    await this.gone(() => this.call('DELETE', this.path(id)));
  }
}
