/**
 * The lab delivery system (LDS) port and its REST adapter: the system candidates use to reach
 * their pods. The product registers a part's session there (devices with their console
 * addresses), hands out the launch URL, and releases it at the end.
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

export interface LdsPort {
  createSession(input: {
    external_ref: string;
    candidate_id: string;
    starts_at: string;
    ends_at: string;
  }): Promise<LdsSession>;
  setDevices(ldsSessionId: string, devices: LdsDevice[]): Promise<void>;
  /** Moves the session's end (idempotent: the same end twice is one change). */
  extend(ldsSessionId: string, endsAt: string): Promise<void>;
  /** Keeps the candidate out while the part is paused (idempotent). */
  pause(ldsSessionId: string): Promise<void>;
  /** Lets the candidate back in (idempotent). */
  resume(ldsSessionId: string): Promise<void>;
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

  async setDevices(id: string, devices: LdsDevice[]) {
    await this.call('PUT', `/v1/sessions/${encodeURIComponent(id)}/devices`, { devices });
  }

  async extend(id: string, endsAt: string) {
    await this.call('PATCH', `/v1/sessions/${encodeURIComponent(id)}`, { ends_at: endsAt });
  }

  async pause(id: string) {
    await this.call('POST', `/v1/sessions/${encodeURIComponent(id)}/pause`, {});
  }

  async resume(id: string) {
    await this.call('POST', `/v1/sessions/${encodeURIComponent(id)}/resume`, {});
  }

  async release(id: string) {
    try {
      await this.call('DELETE', `/v1/sessions/${encodeURIComponent(id)}`);
    } catch (e) {
      if (!(e instanceof Problem && e.kind === 'not-found')) throw e; // already released
    }
  }
}
