/**
 * A simulated Cisco Modeling Labs (CML 2.x) controller on loopback, speaking the subset of the
 * `/api/v0` REST API the product uses: token authentication, topology import (CML YAML or JSON),
 * lab start/stop/wipe/delete, convergence checks, node start/stop and tags, interface start/stop.
 *
 * Labs, nodes and interfaces live in memory. State transitions follow CML: a started node goes
 * QUEUED → STARTED → BOOTED and the lab converges a little after the last boot; a stopped node
 * reaches STOPPED after a short delay; wipe (only on a stopped lab) returns everything to
 * DEFINED_ON_CORE, and only such a lab can be deleted. Timings are scaled by `delayScale`
 * (0 = instantaneous, 1 = realistic seconds). States are computed from a per-node timeline
 * against `now()`, so no timer runs and a test may drive time with its own clock.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';

type State = 'DEFINED_ON_CORE' | 'STOPPED' | 'QUEUED' | 'STARTED' | 'BOOTED';

export interface CmlSimOptions {
  port?: number;
  /** The address it listens on (default 127.0.0.1; locally each worker instance has its own). */
  host?: string;
  username?: string;
  password?: string;
  /** Multiplies every transition delay: 0 = instantaneous, 1 = realistic. Default 0. */
  delayScale?: number;
  now?: () => number;
  /** Told after a lab is started, stopped, wiped or deleted (the local runtime boots device consoles). */
  /**
   * Called on start, stop, wipe and delete. A returned promise holds the answer to that request
   * until it settles: locally a started lab's consoles listen before CML says it started, as a
   * booted node's console answers on a real worker.
   */
  onLabAction?: (e: CmlLabAction) => void | Promise<void>;
}

export interface CmlLabAction {
  action: 'start' | 'stop' | 'wipe' | 'delete';
  lab: { id: string; title: string };
  nodes: { label: string; node_definition: string; tags: string[] }[];
}

interface SimInterface {
  id: string;
  label: string;
  slot: number | null;
  type: string;
  connected: boolean;
  /** Stopped through the API while its node runs. */
  adminStopped: boolean;
}

interface SimNode {
  id: string;
  label: string;
  node_definition: string;
  tags: string[];
  x: number;
  y: number;
  /** Scheduled states, ordered by `at`; the state at t is the last entry with at <= t. */
  timeline: { at: number; state: State }[];
  target: 'defined' | 'started' | 'stopped';
  convergedAt: number;
  interfaces: SimInterface[];
}

interface SimLink {
  id: string;
  label: string;
  n1: string;
  n2: string;
  i1: string;
  i2: string;
}

interface SimLab {
  id: string;
  title: string;
  description: string;
  notes: string;
  created: string;
  modified: string;
  nodes: SimNode[];
  links: SimLink[];
  /** The state of a lab without nodes. */
  bareState: State;
}

/** Realistic delays in ms (scaled by `delayScale`). */
const DELAYS = { queued: 1_000, stagger: 250, stop: 1_000, converge: 1_500 };
const BOOT_MS: Record<string, number> = {
  alpine: 3_000,
  server: 3_000,
  ubuntu: 4_000,
  desktop: 4_000,
  iosv: 6_000,
  iosvl2: 6_000,
  csr1000v: 9_000,
  cat8000v: 9_000,
  asav: 8_000,
  nxosv9000: 12_000,
  iosxrv9000: 12_000,
  unmanaged_switch: 500,
  external_connector: 500,
};
const DEFAULT_BOOT_MS = 5_000;
const MAX_BODY = 5 * 1024 * 1024;
const API = '/api/v0/';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const isRunning = (s: State) => s === 'QUEUED' || s === 'STARTED' || s === 'BOOTED';

function stateAt(node: SimNode, t: number): State {
  let state: State = 'DEFINED_ON_CORE';
  for (const e of node.timeline) if (e.at <= t) state = e.state;
  return state;
}

export class CmlSimulator {
  private readonly username: string;
  private readonly password: string;
  private readonly scale: number;
  private readonly now: () => number;
  private readonly port: number;
  private readonly host: string;
  private readonly onLabAction: ((e: CmlLabAction) => void | Promise<void>) | undefined;
  /** The hook's promise for the request being routed (route() is synchronous). */
  private actionDone: Promise<void> | undefined;
  private readonly store = new Map<string, SimLab>();
  private readonly tokens = new Set<string>();
  private readonly failures: { pattern: RegExp; status: number; remaining: number }[] = [];
  private readonly log: { method: string; path: string; status: number }[] = [];
  private server: Server | undefined;
  private baseUrl = '';

  constructor(opts: CmlSimOptions = {}) {
    this.username = opts.username ?? 'admin';
    this.password = opts.password ?? 'cml-sim-password';
    this.scale = Math.max(0, opts.delayScale ?? 0);
    this.now = opts.now ?? Date.now;
    this.port = opts.port ?? 0;
    this.host = opts.host ?? '127.0.0.1';
    this.onLabAction = opts.onLabAction;
  }

  private notify(action: CmlLabAction['action'], lab: SimLab): void {
    const done = this.onLabAction?.({
      action,
      lab: { id: lab.id, title: lab.title },
      nodes: lab.nodes.map((n) => ({
        label: n.label,
        node_definition: n.node_definition,
        tags: [...n.tags],
      })),
    });
    if (done) this.actionDone = done;
  }

  /** `http://127.0.0.1:<port>` once started (the API lives under `/api/v0`). */
  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<{ url: string }> {
    if (this.server) return { url: this.baseUrl };
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000; // longer than any client's idle socket (no ECONNRESET on reuse)
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.baseUrl = `http://${this.host}:${(server.address() as { port: number }).port}`;
    return { url: this.baseUrl };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** A snapshot of the labs with their current states. */
  labs(): ReadonlyArray<{
    id: string;
    title: string;
    state: string;
    nodes: { id: string; label: string; state: string; tags: string[] }[];
  }> {
    const t = this.now();
    return [...this.store.values()].map((lab) => ({
      id: lab.id,
      title: lab.title,
      state: this.labState(lab, t),
      nodes: lab.nodes.map((n) => ({ id: n.id, label: n.label, state: stateAt(n, t), tags: [...n.tags] })),
    }));
  }

  /** Test hook: the next `times` requests whose path matches answer `status`. */
  failNext(pathPattern: RegExp, status: number, times = 1): void {
    this.failures.push({ pattern: pathPattern, status, remaining: times });
  }

  /** Test hook: every issued token becomes invalid (as when CML restarts or tokens expire). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  requestCount(): number {
    return this.log.length;
  }

  /** Every request received, with the status answered. */
  requests(): ReadonlyArray<{ method: string; path: string; status: number }> {
    return this.log.map((r) => ({ ...r }));
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const entry = { method: req.method ?? '', path: url.pathname, status: 0 };
    this.log.push(entry);
    const send = (status: number, body?: unknown) => {
      entry.status = status;
      if (status === 204 || body === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    try {
      const text = await this.readBody(req);
      const failure = this.failures.find((f) => f.remaining > 0 && f.pattern.test(url.pathname));
      if (failure) {
        failure.remaining--;
        if (failure.remaining <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
        return send(failure.status, { code: failure.status, description: 'Injected failure' });
      }
      this.actionDone = undefined;
      const result = this.route(req.method ?? 'GET', url, req.headers, text);
      const done = this.actionDone as Promise<void> | undefined;
      this.actionDone = undefined;
      if (done) await done;
      send(result.status, result.body);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      send(status, { code: status, description: (e as Error).message });
    }
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new HttpError(413, 'Request body too large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private route(
    method: string,
    url: URL,
    headers: IncomingMessage['headers'],
    text: string,
  ): { status: number; body?: unknown } {
    if (!url.pathname.startsWith(API)) throw new HttpError(404, 'Not found');
    let segs: string[];
    try {
      segs = url.pathname.slice(API.length).split('/').map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'Malformed path');
    }
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) throw new HttpError(405, `Method ${method} not allowed`);
    };

    // Unauthenticated, as on CML: what the fleet's readiness probe asks.
    if (segs.length === 1 && segs[0] === 'system_information') {
      allow('GET');
      return { status: 200, body: { version: '2.8.1+build.1', ready: true, allow_ssh_pubkey_auth: false } };
    }
    if (segs.length === 1 && segs[0] === 'authenticate') {
      allow('POST');
      return this.authenticate(text);
    }
    this.authorize(headers.authorization);
    const t = this.now();

    if (segs.length === 1 && segs[0] === 'import') {
      allow('POST');
      return { status: 200, body: this.importTopology(text, headers['content-type'], url.searchParams) };
    }
    if (segs[0] !== 'labs') throw new HttpError(404, 'Not found');
    if (segs.length === 1) {
      allow('GET');
      return { status: 200, body: [...this.store.keys()] };
    }
    const lab = this.lab(segs[1]!);
    const [, , a, b, c, d] = segs;

    if (segs.length === 2) {
      allow('GET', 'DELETE');
      if (method === 'GET') return { status: 200, body: this.labJson(lab, t) };
      const state = this.labState(lab, t);
      if (state !== 'DEFINED_ON_CORE')
        throw new HttpError(409, `Lab ${lab.id} is ${state}; stop and wipe it before deleting`);
      this.store.delete(lab.id);
      this.notify('delete', lab);
      return { status: 204 };
    }
    if (segs.length === 3 && (a === 'start' || a === 'stop' || a === 'wipe')) {
      allow('PUT');
      if (a === 'start') lab.nodes.forEach((n, i) => this.startNode(n, i, t));
      else if (a === 'stop') lab.nodes.forEach((n) => this.stopNode(n, t));
      else this.wipe(lab, t);
      if (lab.nodes.length === 0)
        lab.bareState = a === 'start' ? 'STARTED' : a === 'stop' ? 'STOPPED' : 'DEFINED_ON_CORE';
      this.touch(lab);
      this.notify(a, lab);
      return { status: 204 };
    }
    if (segs.length === 3 && a === 'check_if_converged') {
      allow('GET');
      return { status: 200, body: this.converged(lab, t) };
    }
    if (segs.length === 3 && a === 'nodes') {
      allow('GET');
      const data = url.searchParams.get('data') === 'true';
      return { status: 200, body: lab.nodes.map((n) => (data ? this.nodeJson(lab, n, t) : n.id)) };
    }
    if (a === 'nodes' && b !== undefined) {
      const node = lab.nodes.find((n) => n.id === b);
      if (!node) throw new HttpError(404, `Node not found: ${b}`);
      if (segs.length === 4) {
        allow('PATCH');
        this.patchNode(lab, node, text);
        return { status: 200, body: node.id };
      }
      if (segs.length === 6 && c === 'state' && (d === 'start' || d === 'stop')) {
        allow('PUT');
        if (d === 'start') this.startNode(node, 0, t);
        else this.stopNode(node, t);
        this.touch(lab);
        return { status: 204 };
      }
      if (segs.length === 5 && c === 'interfaces') {
        allow('GET');
        const data = url.searchParams.get('data') === 'true';
        return {
          status: 200,
          body: node.interfaces.map((i) => (data ? this.interfaceJson(lab, node, i, t) : i.id)),
        };
      }
    }
    if (segs.length === 6 && a === 'interfaces' && c === 'state' && (d === 'start' || d === 'stop')) {
      allow('PUT');
      const node = lab.nodes.find((n) => n.interfaces.some((i) => i.id === b));
      const iface = node?.interfaces.find((i) => i.id === b);
      if (!node || !iface) throw new HttpError(404, `Interface not found: ${b}`);
      const nodeState = stateAt(node, t);
      if (nodeState !== 'STARTED' && nodeState !== 'BOOTED')
        throw new HttpError(409, `Node ${node.label} is ${nodeState}; its interfaces cannot change state`);
      iface.adminStopped = d === 'stop';
      this.touch(lab);
      return { status: 204 };
    }
    throw new HttpError(404, 'Not found');
  }

  private authenticate(text: string): { status: number; body: unknown } {
    let creds: { username?: unknown; password?: unknown };
    try {
      creds = JSON.parse(text) as typeof creds;
    } catch {
      throw new HttpError(400, 'Expected a JSON body with username and password');
    }
    if (!creds || typeof creds !== 'object' || typeof creds.username !== 'string')
      throw new HttpError(400, 'Expected a JSON body with username and password');
    if (creds.username !== this.username || creds.password !== this.password)
      throw new HttpError(403, 'Authentication failed!');
    const token = randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
    this.tokens.add(token);
    return { status: 200, body: token };
  }

  private authorize(header: string | undefined): void {
    if (!header?.startsWith('Bearer ')) throw new HttpError(401, 'No authorization token provided.');
    if (!this.tokens.has(header.slice('Bearer '.length))) throw new HttpError(401, 'Invalid token.');
  }

  private lab(id: string): SimLab {
    const lab = this.store.get(id);
    if (!lab) throw new HttpError(404, `Lab not found: ${id}`);
    return lab;
  }

  private touch(lab: SimLab): void {
    lab.modified = new Date(this.now()).toISOString();
  }

  // ---- state machine ---------------------------------------------------------------------

  private labState(lab: SimLab, t: number): State {
    if (lab.nodes.length === 0) return lab.bareState;
    const states = lab.nodes.map((n) => stateAt(n, t));
    if (!states.some(isRunning))
      return states.every((s) => s === 'DEFINED_ON_CORE') ? 'DEFINED_ON_CORE' : 'STOPPED';
    if (states.every((s) => s === 'BOOTED')) return 'BOOTED';
    if (states.some((s) => s === 'STARTED' || s === 'BOOTED')) return 'STARTED';
    return 'QUEUED';
  }

  private converged(lab: SimLab, t: number): boolean {
    return lab.nodes.every((n) => t >= n.convergedAt && n.timeline.every((e) => e.at <= t));
  }

  private schedule(node: SimNode, t: number, steps: [State, number][]): number {
    node.timeline = node.timeline.filter((e) => e.at <= t);
    let at = t;
    for (const [state, delay] of steps) {
      at += delay * this.scale;
      node.timeline.push({ at, state });
    }
    return at;
  }

  private startNode(node: SimNode, index: number, t: number): void {
    if (node.target === 'started') return;
    const current = stateAt(node, t);
    node.target = 'started';
    for (const i of node.interfaces) i.adminStopped = false;
    const queued = DELAYS.queued + index * DELAYS.stagger;
    const boot = BOOT_MS[node.node_definition] ?? DEFAULT_BOOT_MS;
    const steps: [State, number][] =
      current === 'BOOTED'
        ? [] // a pending stop is cancelled
        : current === 'STARTED'
          ? [['BOOTED', boot]]
          : current === 'QUEUED'
            ? [
                ['STARTED', queued],
                ['BOOTED', boot],
              ]
            : [
                ['QUEUED', 0],
                ['STARTED', queued],
                ['BOOTED', boot],
              ];
    const bootedAt = this.schedule(node, t, steps);
    node.convergedAt = steps.length ? bootedAt + DELAYS.converge * this.scale : node.convergedAt;
  }

  private stopNode(node: SimNode, t: number): void {
    if (node.target !== 'started') return;
    const current = stateAt(node, t);
    node.target = 'stopped';
    node.convergedAt = this.schedule(node, t, [['STOPPED', current === 'QUEUED' ? 0 : DELAYS.stop]]);
  }

  private wipe(lab: SimLab, t: number): void {
    const state = this.labState(lab, t);
    if (state === 'DEFINED_ON_CORE') return;
    if (state !== 'STOPPED' || !this.converged(lab, t))
      throw new HttpError(409, `Lab ${lab.id} is ${state}; only a stopped lab can be wiped`);
    for (const node of lab.nodes) {
      this.schedule(node, t, [['DEFINED_ON_CORE', 0]]);
      node.target = 'defined';
      node.convergedAt = t;
      for (const i of node.interfaces) i.adminStopped = false;
    }
  }

  private patchNode(lab: SimLab, node: SimNode, text: string): void {
    let patch: unknown;
    try {
      patch = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'Expected a JSON object');
    }
    if (!patch || typeof patch !== 'object' || Array.isArray(patch))
      throw new HttpError(400, 'Expected a JSON object');
    const { tags, label } = patch as { tags?: unknown; label?: unknown };
    if (tags !== undefined) {
      if (!Array.isArray(tags) || !tags.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 64))
        throw new HttpError(400, 'tags must be a list of non-empty strings of at most 64 characters');
    }
    if (label !== undefined) {
      if (typeof label !== 'string' || !label) throw new HttpError(400, 'label must be a non-empty string');
      if (lab.nodes.some((n) => n !== node && n.label === label))
        throw new HttpError(400, `Node label already in use: ${label}`);
      node.label = label;
    }
    if (tags !== undefined) node.tags = [...new Set(tags as string[])];
    this.touch(lab);
  }

  // ---- JSON views ------------------------------------------------------------------------

  private labJson(lab: SimLab, t: number) {
    return {
      id: lab.id,
      lab_title: lab.title,
      lab_description: lab.description,
      lab_notes: lab.notes,
      state: this.labState(lab, t),
      created: lab.created,
      modified: lab.modified,
      owner: '00000000-0000-4000-a000-000000000000',
      owner_username: this.username,
      node_count: lab.nodes.length,
      link_count: lab.links.length,
      groups: [],
    };
  }

  private nodeJson(lab: SimLab, node: SimNode, t: number) {
    return {
      id: node.id,
      lab_id: lab.id,
      label: node.label,
      node_definition: node.node_definition,
      image_definition: null,
      x: node.x,
      y: node.y,
      state: stateAt(node, t),
      tags: [...node.tags],
    };
  }

  private interfaceJson(lab: SimLab, node: SimNode, iface: SimInterface, t: number) {
    const nodeState = stateAt(node, t);
    const state: State =
      nodeState === 'STARTED' || nodeState === 'BOOTED'
        ? iface.adminStopped
          ? 'STOPPED'
          : 'STARTED'
        : nodeState === 'DEFINED_ON_CORE'
          ? 'DEFINED_ON_CORE'
          : 'STOPPED';
    return {
      id: iface.id,
      lab_id: lab.id,
      node: node.id,
      label: iface.label,
      slot: iface.slot,
      type: iface.type,
      is_connected: iface.connected,
      state,
    };
  }

  // ---- topology import -------------------------------------------------------------------

  private importTopology(text: string, contentType: string | undefined, query: URLSearchParams) {
    if (!text.trim()) throw new HttpError(400, 'Invalid topology: the body is empty');
    let doc: unknown;
    try {
      doc = contentType?.includes('json') ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      throw new HttpError(400, `Invalid topology: ${(e as Error).message.split('\n')[0]}`);
    }
    const lab = this.buildLab(doc, query.get('title'));
    this.store.set(lab.id, lab);
    return { id: lab.id, warnings: [] as string[] };
  }

  private buildLab(doc: unknown, titleParam: string | null): SimLab {
    const bad = (msg: string): never => {
      throw new HttpError(400, `Invalid topology: ${msg}`);
    };
    const isObj = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    const str = (v: unknown, where: string, optional = false): string | undefined => {
      if (v === undefined || v === null) return optional ? undefined : bad(`${where} is required`);
      if (typeof v !== 'string' || (!optional && !v)) return bad(`${where} must be a non-empty string`);
      return v;
    };
    const num = (v: unknown, where: string): number | undefined => {
      if (v === undefined || v === null) return undefined;
      return typeof v === 'number' && Number.isFinite(v) ? v : bad(`${where} must be a number`);
    };

    if (!isObj(doc)) return bad('expected a mapping with lab, nodes and links');
    const meta = doc.lab ?? {};
    if (!isObj(meta)) return bad('lab must be a mapping');
    if (!Array.isArray(doc.nodes)) return bad('nodes must be a list');
    if (doc.links !== undefined && doc.links !== null && !Array.isArray(doc.links))
      return bad('links must be a list');

    const nodes: SimNode[] = [];
    const byTopoId = new Map<string, { node: SimNode; ifaces: Map<string, SimInterface> }>();
    doc.nodes.forEach((raw: unknown, n) => {
      const where = `nodes[${n}]`;
      if (!isObj(raw)) return bad(`${where} must be a mapping`);
      const topoId = str(raw.id, `${where}.id`)!;
      if (byTopoId.has(topoId)) bad(`duplicate node id ${topoId}`);
      const label = str(raw.label, `${where}.label`)!;
      if (nodes.some((x) => x.label === label)) bad(`duplicate node label ${label}`);
      const definition = str(raw.node_definition, `${where}.node_definition`)!;
      const tags = raw.tags ?? [];
      if (!Array.isArray(tags) || !tags.every((x) => typeof x === 'string'))
        bad(`${where}.tags must be a list of strings`);
      const rawIfaces = raw.interfaces ?? [];
      if (!Array.isArray(rawIfaces)) return bad(`${where}.interfaces must be a list`);
      const ifaces = new Map<string, SimInterface>();
      rawIfaces.forEach((ri: unknown, k) => {
        const w = `${where}.interfaces[${k}]`;
        if (!isObj(ri)) return bad(`${w} must be a mapping`);
        const iid = str(ri.id, `${w}.id`)!;
        if (ifaces.has(iid)) bad(`duplicate interface id ${iid} on node ${topoId}`);
        ifaces.set(iid, {
          id: randomUUID(),
          label: str(ri.label, `${w}.label`, true) || iid,
          slot: num(ri.slot, `${w}.slot`) ?? null,
          type: str(ri.type, `${w}.type`, true) || 'physical',
          connected: false,
          adminStopped: false,
        });
      });
      const node: SimNode = {
        id: randomUUID(),
        label,
        node_definition: definition,
        tags: [...new Set(tags as string[])],
        x: num(raw.x, `${where}.x`) ?? 0,
        y: num(raw.y, `${where}.y`) ?? 0,
        timeline: [{ at: -Infinity, state: 'DEFINED_ON_CORE' }],
        target: 'defined',
        convergedAt: -Infinity,
        interfaces: [...ifaces.values()],
      };
      nodes.push(node);
      byTopoId.set(topoId, { node, ifaces });
    });

    const links: SimLink[] = [];
    const linkIds = new Set<string>();
    ((doc.links as unknown[] | null | undefined) ?? []).forEach((raw, l) => {
      const where = `links[${l}]`;
      if (!isObj(raw)) return bad(`${where} must be a mapping`);
      const id = str(raw.id, `${where}.id`)!;
      if (linkIds.has(id)) bad(`duplicate link id ${id}`);
      linkIds.add(id);
      const end = (nKey: 'n1' | 'n2', iKey: 'i1' | 'i2') => {
        const nid = str(raw[nKey], `${where}.${nKey}`)!;
        const entry = byTopoId.get(nid) ?? bad(`${where}.${nKey} refers to unknown node ${nid}`);
        const iid = str(raw[iKey], `${where}.${iKey}`)!;
        const iface =
          entry.ifaces.get(iid) ?? bad(`${where}.${iKey} refers to unknown interface ${iid} of node ${nid}`);
        if (iface.connected) bad(`${where}: interface ${iid} of node ${nid} is already connected`);
        iface.connected = true;
        return { node: entry.node, iface };
      };
      const a = end('n1', 'i1');
      const b = end('n2', 'i2');
      links.push({
        id: randomUUID(),
        label: str(raw.label, `${where}.label`, true) || `${a.node.label}-${b.node.label}`,
        n1: a.node.id,
        n2: b.node.id,
        i1: a.iface.id,
        i2: b.iface.id,
      });
    });

    const stamp = new Date(this.now()).toISOString();
    const title =
      titleParam || str(meta.title, 'lab.title', true) || `Lab at ${stamp.slice(0, 16).replace('T', ' ')}`;
    return {
      id: randomUUID(),
      title,
      description: str(meta.description, 'lab.description', true) ?? '',
      notes: str(meta.notes, 'lab.notes', true) ?? '',
      created: stamp,
      modified: stamp,
      nodes,
      links,
      bareState: 'DEFINED_ON_CORE',
    };
  }
}
