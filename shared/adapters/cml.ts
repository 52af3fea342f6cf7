/**
 * The Cisco Modeling Labs (CML 2.x) port and its REST adapter: the controller that runs a pod's
 * virtual devices. The product imports a lab topology, starts it, waits for it to converge,
 * tags and inspects nodes and interfaces, and stops, wipes and deletes the lab at the end.
 *
 * The adapter speaks the CML REST API under `/api/v0`: it authenticates with the configured
 * credentials for a bearer token, keeps it, and authenticates again once when CML answers 401
 * (token expired or revoked). Every failure surfaces as a `CmlError` with a kind the caller can
 * act on; the password never appears in an error message.
 */

export type CmlState = 'DEFINED_ON_CORE' | 'STOPPED' | 'QUEUED' | 'STARTED' | 'BOOTED';

export interface CmlLab {
  id: string;
  title: string;
  state: CmlState;
  node_count: number;
  link_count: number;
}

export interface CmlNode {
  id: string;
  label: string;
  state: CmlState;
  node_definition: string;
  tags: string[];
}

export interface CmlInterface {
  id: string;
  node: string;
  label: string;
  state: CmlState;
  is_connected: boolean;
}

export interface CmlPort {
  listLabs(): Promise<CmlLab[]>;
  getLab(labId: string): Promise<CmlLab>;
  findLabByTitle(title: string): Promise<CmlLab | undefined>;
  /** A topology YAML string is sent as text, an object as JSON, to `POST /api/v0/import`. */
  importLab(topology: string | object, title?: string): Promise<CmlLab>;
  startLab(labId: string): Promise<void>;
  stopLab(labId: string): Promise<void>;
  wipeLab(labId: string): Promise<void>;
  deleteLab(labId: string): Promise<void>;
  isConverged(labId: string): Promise<boolean>;
  /** Polls `isConverged` until it answers true (→ true) or the time is up (→ false). */
  waitConverged(
    labId: string,
    opts: { timeoutMs: number; pollMs?: number; sleep?: (ms: number) => Promise<void> },
  ): Promise<boolean>;
  listNodes(labId: string): Promise<CmlNode[]>;
  startNode(labId: string, nodeId: string): Promise<void>;
  stopNode(labId: string, nodeId: string): Promise<void>;
  /** Replaces the node's tags (`PATCH /labs/{lab}/nodes/{node}` with `{tags}`). */
  setNodeTags(labId: string, nodeId: string, tags: string[]): Promise<void>;
  listInterfaces(labId: string, nodeId: string): Promise<CmlInterface[]>;
  setInterfaceState(labId: string, interfaceId: string, state: 'start' | 'stop'): Promise<void>;
}

export type CmlErrorKind = 'authentication' | 'not_found' | 'conflict' | 'communication' | 'validation';

export class CmlError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly kind: CmlErrorKind,
  ) {
    super(message);
    this.name = 'CmlError';
  }
}

export interface CmlClientOptions {
  /** The controller's address, e.g. `https://cml.example.com` (a trailing `/api/v0` is accepted). */
  baseUrl: string;
  username: string;
  password: string;
  fetch?: typeof fetch;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

type RequestBody = { json: unknown } | { text: string } | undefined;

interface RawResponse {
  status: number;
  text: string;
}

interface RawLab {
  id: string;
  lab_title?: string;
  title?: string;
  state: CmlState;
  node_count?: number;
  link_count?: number;
}

interface RawNode {
  id: string;
  label: string;
  state: CmlState;
  node_definition: string;
  tags?: string[] | null;
}

interface RawInterface {
  id: string;
  node: string;
  label: string;
  state: CmlState;
  is_connected?: boolean;
}

/** Status carried by every communication error (network failure, timeout, 5xx). */
const UNAVAILABLE = 503;
/** How many labs `listLabs` fetches at once. */
const LAB_FETCH_CONCURRENCY = 8;

function kindOf(status: number): CmlErrorKind {
  if (status === 401 || status === 403) return 'authentication';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 400 && status < 500) return 'validation'; // 400, 422 and the other client errors
  return 'communication';
}

/** CML answers errors as `{code, description}`; fall back to the raw text, shortened. */
function describe(text: string): string {
  let detail = text.trim();
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'string') detail = body;
    else if (body && typeof body === 'object' && 'description' in body)
      detail = String((body as { description: unknown }).description);
  } catch {
    // not JSON: keep the text
  }
  return detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
}

const enc = encodeURIComponent;

export class CmlClient implements CmlPort {
  private readonly base: string;
  private readonly username: string;
  readonly #password: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private token: string | undefined;
  private pendingAuth: Promise<string> | undefined;

  constructor(opts: CmlClientOptions) {
    this.base = `${opts.baseUrl.replace(/\/+$/, '').replace(/\/api\/v0$/, '')}/api/v0`;
    this.username = opts.username;
    this.#password = opts.password;
    const f = opts.fetch ?? globalThis.fetch;
    this.fetchImpl = (input, init) => f(input, init);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  // ---- transport -------------------------------------------------------------------------

  /** Removes the password from anything that may end up in a message. */
  private scrub(message: string): string {
    // Very short "passwords" (test fixtures) would mangle every message; real ones are long.
    return this.#password.length >= 4 ? message.split(this.#password).join('***') : message;
  }

  private async send(method: string, path: string, body: RequestBody, token?: string): Promise<RawResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      payload = body.text;
    }
    try {
      const res = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      const cause = err.cause?.code ?? err.cause?.message;
      const what = timedOut
        ? `no answer within ${this.timeoutMs} ms`
        : `${err.message}${cause ? ` (${cause})` : ''}`;
      throw new CmlError(this.scrub(`CML ${method} ${path}: ${what}`), UNAVAILABLE, 'communication');
    }
  }

  private decode<T>(method: string, path: string, res: RawResponse): T {
    if (res.status >= 200 && res.status < 300) {
      if (!res.text) return undefined as T;
      try {
        return JSON.parse(res.text) as T;
      } catch {
        throw new CmlError(`CML ${method} ${path}: the answer is not JSON`, UNAVAILABLE, 'communication');
      }
    }
    const kind = kindOf(res.status);
    const detail = describe(res.text);
    throw new CmlError(
      this.scrub(`CML ${method} ${path}: ${detail ? `${detail} ` : ''}(HTTP ${res.status})`),
      kind === 'communication' ? UNAVAILABLE : res.status,
      kind,
    );
  }

  private async authenticate(): Promise<string> {
    const res = await this.send('POST', '/authenticate', {
      json: { username: this.username, password: this.#password },
    });
    if (res.status === 401 || res.status === 403)
      throw new CmlError(
        this.scrub(`CML refused the credentials of user "${this.username}" (HTTP ${res.status})`),
        res.status,
        'authentication',
      );
    let token: unknown;
    try {
      token = this.decode<unknown>('POST', '/authenticate', res);
    } catch (e) {
      // some controllers answer the bare token as text
      if (!(e instanceof CmlError && e.kind === 'communication' && res.status < 300)) throw e;
      token = res.text.trim();
    }
    if (typeof token !== 'string' || !token)
      throw new CmlError('CML POST /authenticate: the answer carried no token', UNAVAILABLE, 'communication');
    this.token = token;
    return token;
  }

  /** The current token; concurrent callers share one authentication. */
  private authToken(): Promise<string> {
    if (this.token) return Promise.resolve(this.token);
    this.pendingAuth ??= this.authenticate().finally(() => {
      this.pendingAuth = undefined;
    });
    return this.pendingAuth;
  }

  private async call<T>(method: string, path: string, body?: RequestBody): Promise<T> {
    const token = await this.authToken();
    let res = await this.send(method, path, body, token);
    if (res.status === 401) {
      // expired or revoked: authenticate again, once
      if (this.token === token) this.token = undefined;
      res = await this.send(method, path, body, await this.authToken());
    }
    return this.decode<T>(method, path, res);
  }

  // ---- labs ------------------------------------------------------------------------------

  async listLabs(): Promise<CmlLab[]> {
    const ids = (await this.call<string[] | null>('GET', '/labs')) ?? [];
    const labs: (CmlLab | undefined)[] = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        try {
          labs[i] = await this.getLab(ids[i]!);
        } catch (e) {
          if (!(e instanceof CmlError && e.kind === 'not_found')) throw e; // deleted meanwhile
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LAB_FETCH_CONCURRENCY, ids.length) }, worker));
    return labs.filter((l): l is CmlLab => l !== undefined);
  }

  async getLab(labId: string): Promise<CmlLab> {
    const raw = await this.call<RawLab>('GET', `/labs/${enc(labId)}`);
    return {
      id: raw.id,
      title: raw.lab_title ?? raw.title ?? '',
      state: raw.state,
      node_count: raw.node_count ?? 0,
      link_count: raw.link_count ?? 0,
    };
  }

  async findLabByTitle(title: string): Promise<CmlLab | undefined> {
    return (await this.listLabs()).find((l) => l.title === title);
  }

  async importLab(topology: string | object, title?: string): Promise<CmlLab> {
    const query = title === undefined ? '' : `?title=${enc(title)}`;
    const body: RequestBody = typeof topology === 'string' ? { text: topology } : { json: topology };
    const res = await this.call<{ id?: unknown } | null>('POST', `/import${query}`, body);
    if (!res || typeof res.id !== 'string')
      throw new CmlError('CML POST /import: the answer carried no lab id', UNAVAILABLE, 'communication');
    return this.getLab(res.id);
  }

  async startLab(labId: string): Promise<void> {
    await this.call('PUT', `/labs/${enc(labId)}/start`);
  }

  async stopLab(labId: string): Promise<void> {
    await this.call('PUT', `/labs/${enc(labId)}/stop`);
  }

  async wipeLab(labId: string): Promise<void> {
    await this.call('PUT', `/labs/${enc(labId)}/wipe`);
  }

  async deleteLab(labId: string): Promise<void> {
    await this.call('DELETE', `/labs/${enc(labId)}`);
  }

  async isConverged(labId: string): Promise<boolean> {
    return (await this.call<unknown>('GET', `/labs/${enc(labId)}/check_if_converged`)) === true;
  }

  async waitConverged(
    labId: string,
    opts: { timeoutMs: number; pollMs?: number; sleep?: (ms: number) => Promise<void> },
  ): Promise<boolean> {
    const pollMs = opts.pollMs ?? 2_000;
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const started = Date.now();
    let slept = 0; // counts injected sleeps too, so a fake sleep still reaches the deadline
    for (;;) {
      if (await this.isConverged(labId)) return true;
      const elapsed = Math.max(Date.now() - started, slept);
      if (elapsed >= opts.timeoutMs) return false;
      const pause = Math.max(0, Math.min(pollMs, opts.timeoutMs - elapsed));
      await sleep(pause);
      slept += Math.max(pause, 1);
    }
  }

  // ---- nodes and interfaces --------------------------------------------------------------

  async listNodes(labId: string): Promise<CmlNode[]> {
    const raw = (await this.call<RawNode[] | null>('GET', `/labs/${enc(labId)}/nodes?data=true`)) ?? [];
    return raw.map((n) => ({
      id: n.id,
      label: n.label,
      state: n.state,
      node_definition: n.node_definition,
      tags: n.tags ?? [],
    }));
  }

  async startNode(labId: string, nodeId: string): Promise<void> {
    await this.call('PUT', `/labs/${enc(labId)}/nodes/${enc(nodeId)}/state/start`);
  }

  async stopNode(labId: string, nodeId: string): Promise<void> {
    await this.call('PUT', `/labs/${enc(labId)}/nodes/${enc(nodeId)}/state/stop`);
  }

  async setNodeTags(labId: string, nodeId: string, tags: string[]): Promise<void> {
    await this.call('PATCH', `/labs/${enc(labId)}/nodes/${enc(nodeId)}`, { json: { tags } });
  }

  async listInterfaces(labId: string, nodeId: string): Promise<CmlInterface[]> {
    const raw =
      (await this.call<RawInterface[] | null>(
        'GET',
        `/labs/${enc(labId)}/nodes/${enc(nodeId)}/interfaces?data=true`,
      )) ?? [];
    return raw.map((i) => ({
      id: i.id,
      node: i.node,
      label: i.label,
      state: i.state,
      is_connected: i.is_connected === true,
    }));
  }

  async setInterfaceState(labId: string, interfaceId: string, state: 'start' | 'stop'): Promise<void> {
    await this.call('PUT', `/labs/${enc(labId)}/interfaces/${enc(interfaceId)}/state/${state}`);
  }
}
