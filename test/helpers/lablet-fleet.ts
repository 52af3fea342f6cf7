/**
 * A fleet of lablet sessions driven through the local runtime on a stepped (manual) clock: the
 * chaos test (issue 7) and the orchestration benchmark share it. Time moves only when the driver
 * advances it, and only when nothing in flight can go on without it (D146), so the outcome does
 * not depend on how loaded the machine is: a slow machine takes longer, it does not miss
 * deadlines.
 *
 * Sessions are created and read through the public HTTP API (retrying 5xx answers, as a
 * scheduler would, with the same Idempotency-Key); the capacity checks read the state table.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parse, stringify } from 'yaml';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime.ts';
import { putContent } from '../../infra/local/sample-content.ts';
import { StateStore, type StoredItem } from '../../shared/store/state-store.ts';
import type { ManualClock } from '../../shared/domain/clock.ts';
import { progressBySource } from '../../infra/local/progress.ts';
import { samplePackage } from '../unit/content/packages.ts';
import { keys, PARTITIONS } from '../../shared/store/keys.ts';

const SEEDS = new URL('../../seeds/', import.meta.url).pathname;
export const LABLET_FQN = 'Lablet CCNP ENCOR v1.1 LAB OSPF-101';
const M = 60_000;

export interface FleetTree {
  session: {
    id: string;
    status: string;
    score_report?: { points_awarded: number; points_max: number; per_part: unknown[] };
  };
  parts: {
    order: number;
    status: string;
    score_report?: { points_awarded: number; points_max: number; per_item?: { passed: boolean }[] };
  }[];
  pods: {
    id: string;
    status: string;
    host_id?: string;
    ports?: Record<string, number>;
    state_history: { to: string; at: string }[];
  }[];
}

export interface WorkerSnapshot {
  id: string;
  status: string;
  instance_id?: string;
  scaling?: { direction: string; reason: string; at: string };
  capacity: { cpu_cores: number; memory_gb: number; max_nodes: number };
  allocated: { cpu_cores: number; memory_gb: number; nodes: number; pods: number };
  ports_in_use: number[];
  pods: string[];
}

export interface Fleet {
  rt: LocalRuntime;
  /** The state table, read directly for the capacity checks (one client for the fleet's life). */
  state: StateStore;
  /** Local pod (device console) start-up and shutdown errors. */
  podErrors(): string[];
  /** Every worker snapshot where the allocation broke a rule (over capacity, a port twice). */
  violations: string[];
  stop(): Promise<void>;
}

/**
 * Starts a local runtime whose fleet's warm minimum is `workers` bare-metal CML hosts (48 cores,
 * 192 GB, 120 nodes: twelve sample lablets each), launched through the local EC2 endpoint at
 * start, syncs the sample lablet package, and steps the clock until every warm worker runs (each
 * boots its own simulated CML and consoles at its own loopback address). `warmAfterStart` then
 * lowers the warm minimum (the chaos test: idle workers must be scaled down after the cooldown).
 */
export async function startFleet(opts: {
  workers: number;
  chaos?: { failureRate: number; duplicateRate: number; random?: () => number };
  start?: number;
  /** Meter DynamoDB capacity units (the bill per session: test/bench/cost.bench.ts). */
  meter?: boolean;
  warmAfterStart?: number;
}): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), 'lcm-fleet-seeds-'));
  cpSync(SEEDS, dir, { recursive: true });
  const templates = parse(readFileSync(join(SEEDS, 'worker-templates.yaml'), 'utf8')) as {
    templates: { name: string; max_per_region: number }[];
  };
  for (const t of templates.templates) if (t.name === METAL) t.max_per_region = opts.workers + 2;
  writeFileSync(join(dir, 'worker-templates.yaml'), stringify(templates));
  writeFileSync(
    join(dir, 'workers.yaml'),
    stringify({
      fleet: {
        region: 'eu-west-1',
        warm: [{ template: METAL, region: 'eu-west-1', count: opts.workers }],
        max_workers_per_region: opts.workers + 2,
        cooldown_minutes: 15,
        scale_down_to: 'stopped',
      },
    }),
  );
  const prevSeeds = process.env.LCM_SEEDS_DIR;
  process.env.LCM_SEEDS_DIR = dir;
  const lines: string[] = [];
  const rt = await startLocalRuntime({
    port: 0,
    log: (l) => void lines.push(l),
    clock: { kind: 'manual', start: opts.start ?? Date.parse('2026-12-07T06:00:00Z') },
    dynamodbJit: 'throughput',
    ec2: { instance_limit: Math.max(32, opts.workers * 2 + 8) },
    ...(opts.meter ? { meter: true } : {}),
    ...(opts.chaos ? { chaos: { duplicateRate: opts.chaos.duplicateRate, random: opts.chaos.random } } : {}),
  });
  const restoreEnv = () => {
    if (prevSeeds === undefined) delete process.env.LCM_SEEDS_DIR;
    else process.env.LCM_SEEDS_DIR = prevSeeds;
  };
  try {
    const unseeded = lines.find((l) => l.startsWith('seeds: not loaded'));
    if (unseeded) throw new Error(unseeded);
    await putContent(rt.env, [
      { key: 'fleet/lablet-ospf-basics.zip', body: await samplePackage('lablet-ospf-basics') },
    ]);
    await until(async () => {
      const r = await get<{ items: { status: string }[] }>(rt, '/v1/pod-definitions?name=lablet-ospf-basics');
      return r.items.some((d) => d.status === 'ready');
    }, 180_000); // a hang guard: on a loaded machine, seeding and a sync take minutes
    await rt.settle(20_000);
    // The warm workers boot on the clock (EC2 pending, then CML): step it until all of them run.
    const t0 = rt.clock.now();
    for (;;) {
      const running = (await readWorkersOf(rt)).filter((w) => w.status === 'running').length;
      if (running >= opts.workers) break;
      if (rt.clock.now() - t0 > 40 * M)
        throw new Error(`${running} of ${opts.workers} warm workers running after 40 virtual minutes`);
      await rt.advanceClock(M);
      await rt.settle(20_000).catch(() => undefined);
    }
  } catch (e) {
    await rt.stop();
    restoreEnv();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // Handler failures start only now: the content is in place, as it would be before any exam.
  if (opts.chaos) rt.fns.chaos = { failureRate: opts.chaos.failureRate, random: opts.chaos.random };
  if (opts.warmAfterStart !== undefined) await setWarm(rt, opts.warmAfterStart);
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      // DynamoDB Local itself, not the meter: the driver's reads are not what a session costs.
      endpoint: rt.dynamodb.endpoint,
      region: rt.env.AWS_REGION,
      credentials: { accessKeyId: rt.env.AWS_ACCESS_KEY_ID!, secretAccessKey: rt.env.AWS_SECRET_ACCESS_KEY! },
    }),
  );
  return {
    rt,
    state: new StateStore(ddb, rt.env.LCM_STATE_TABLE!),
    podErrors: () => [...rt.fleet.podErrors, ...rt.fleet.errors],
    violations: [],
    stop: async () => {
      rt.fns.chaos = undefined;
      ddb.destroy();
      await rt.stop();
      restoreEnv();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface DriveResult {
  trees: FleetTree[];
  /** Wall time from the first POST to the last session ending. */
  wallMs: number;
  /** Virtual time the clock was advanced by. */
  virtualMs: number;
  steps: number;
}

/**
 * Schedules `n` lablets in one timeslot (start in 20 min, 60 min long) and steps the clock until
 * every session has ended. The candidate never ends early: each part runs to its deadline.
 */
export async function driveLablets(
  fleet: Fleet,
  n: number,
  opts: {
    tag: string;
    concurrency?: number;
    /** The jump when quiet. */ stepMs?: number;
    maxVirtualMs?: number;
    /** Called before each clock step with the virtual time driven so far (the chaos test's instance kills). */
    onStep?: (virtualMs: number) => Promise<void>;
  },
): Promise<DriveResult> {
  const { rt } = fleet;
  const t0 = rt.clock.now();
  const slot = { start: new Date(t0 + 20 * M).toISOString(), end: new Date(t0 + 80 * M).toISOString() };
  const wall0 = performance.now();
  const ids = await pool(
    Array.from({ length: n }, (_, i) => i),
    opts.concurrency ?? 16,
    async (i) => {
      // A 60-minute window for the 120-minute lablet part, given explicitly (the planner never shrinks a part).
      const body = {
        fqn: LABLET_FQN,
        timeslot: slot,
        parts: [{ order: 1, window: slot }],
        candidate: { candidate_id: `${opts.tag}-${i}` },
      };
      const r = await call<FleetTree>(rt, 'POST', '/v1/sessions', body, {
        'idempotency-key': `${opts.tag}-${i}`,
      });
      return r.session.id;
    },
  );
  // Time moves only when nothing in flight can go on without it (D146):
  // - quiet (no stream record, bus delivery or execution in flight): jump ahead by `stepMs`;
  // - busy, and the runtime made progress while the driver waited: hold the clock, however slow
  //   the machine is (a step's timeout must not fire because a device answered slowly);
  // - busy and standing still: what is in flight waits for the clock, so move it to the next wake
  //   (a job's pause, a backoff); to a deadline (a step's or a task's timeout) only when no wake
  //   comes first and nothing has moved for STILL_BEFORE_DEADLINE waits in a row.
  const bigStep = opts.stepMs ?? 5 * M;
  const smallStep = 1_000;
  const maxVirtual = opts.maxVirtualMs ?? 4 * 60 * M;
  const clock = rt.clock as ManualClock;
  if (typeof clock.nextTimer !== 'function') throw new Error('driveLablets needs a manual clock');
  const mine = new Set(ids);
  let virtual = 0;
  let steps = 0;
  let still = 0;
  let trees: FleetTree[] = [];
  for (;;) {
    const before = rt.progress();
    const dbg = process.env.LCM_PROGRESS_DEBUG ? new Map(progressBySource) : undefined;
    const quiet = await rt.settle(500).then(
      () => true,
      () => false, // still busy, or a pause waits for the clock
    );
    const moved = rt.progress() !== before;
    if (dbg && moved)
      console.log(
        '[progress]',
        JSON.stringify(
          [...progressBySource].map(([k, v]) => [k, v - (dbg.get(k) ?? 0)]).filter(([, d]) => d),
        ),
      );
    await checkWorkers(fleet);
    // Reading every tree costs the machine what the sessions need; while busy, look less often.
    if (quiet || steps % 5 === 0) {
      trees = (await listSlot(rt, slot.start)).filter((t) => mine.has(t.session.id));
      const open = trees.filter((t) => !['completed', 'failed', 'cancelled'].includes(t.session.status));
      if (trees.length === n && !open.length) break;
    }
    if (virtual >= maxVirtual) {
      const open = trees.filter((t) => !['completed', 'failed', 'cancelled'].includes(t.session.status));
      throw new Error(
        `${open.length + n - trees.length} of ${n} sessions had not ended after ${maxVirtual / M} virtual minutes (e.g. ${JSON.stringify(open[0]?.session ?? ids.find((id) => !trees.some((t) => t.session.id === id)))})`,
      );
    }
    const step = quiet ? bigStep : moved ? 0 : stillStep(clock, ++still, smallStep);
    if (quiet || moved) still = 0;
    if (process.env.LCM_FLEET_DEBUG)
      console.log(
        `[fleet] ${(performance.now() - wall0).toFixed(0)} ms, +${virtual / 1000} s, quiet ${quiet}, moved ${moved}, step ${step}: ${JSON.stringify(count(trees))}`,
      );
    steps++;
    if (!step) continue;
    await opts.onStep?.(virtual);
    await rt.advanceClock(step);
    virtual += step;
  }
  const byId = new Map(trees.map((t) => [t.session.id, t]));
  return {
    trees: ids.map((id) => byId.get(id)!),
    wallMs: performance.now() - wall0,
    virtualMs: virtual,
    steps,
  };
}

/** Waits in a row with no progress before the clock may be moved to a deadline. */
const STILL_BEFORE_DEADLINE = 6;

/**
 * How far to move the clock when work is in flight and nothing moved: to the next wake if it
 * comes before every deadline; after STILL_BEFORE_DEADLINE still waits, to the next deadline (or
 * by `fallback` when no timer is pending: something waits on wall time); else not at all.
 */
export function stillStep(clock: ManualClock, still: number, fallback: number): number {
  const now = clock.now();
  const wake = clock.nextTimer('wake');
  const deadline = clock.nextTimer('deadline');
  if (wake !== undefined && (deadline === undefined || wake < deadline)) return Math.max(1, wake - now);
  if (still < STILL_BEFORE_DEADLINE) return 0;
  return deadline !== undefined ? Math.max(1, deadline - now) : fallback;
}

function count(trees: FleetTree[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const t of trees) for (const p of t.parts) c[p.status] = (c[p.status] ?? 0) + 1;
  return c;
}

/** Every session tree whose timeslot starts at `start`, through the listing API (100 a page). */
async function listSlot(rt: LocalRuntime, start: string): Promise<FleetTree[]> {
  const out: FleetTree[] = [];
  let cursor: string | undefined;
  do {
    const q = new URLSearchParams({ from: start, to: start, limit: '100', ...(cursor ? { cursor } : {}) });
    const page = await get<{ items: FleetTree[]; next_cursor?: string }>(rt, `/v1/sessions?${q}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** Over capacity or a port held twice on one worker, as the state table has it now. */
export async function checkWorkers(fleet: Fleet): Promise<WorkerSnapshot[]> {
  const workers = await readWorkers(fleet);
  for (const w of workers) {
    const a = w.allocated;
    if (
      a.cpu_cores > w.capacity.cpu_cores ||
      a.memory_gb > w.capacity.memory_gb ||
      a.nodes > w.capacity.max_nodes
    )
      fleet.violations.push(`${w.id} over capacity: ${JSON.stringify(a)}`);
    if (new Set(w.ports_in_use).size !== w.ports_in_use.length)
      fleet.violations.push(`${w.id} holds a port twice: ${w.ports_in_use.join(',')}`);
    if (new Set(w.pods).size !== w.pods.length) fleet.violations.push(`${w.id} lists a pod twice`);
  }
  return workers;
}

export async function readWorkers(fleet: Fleet): Promise<WorkerSnapshot[]> {
  const out: WorkerSnapshot[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await fleet.state.queryIndex<WorkerSnapshot>('gsi1', 'gsi1pk', PARTITIONS.allWorkers, {
      cursor,
    });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/**
 * No port of a worker was held by two pods at once: for every (worker, port), the intervals
 * from a pod's placement to its termination never overlap.
 */
export function portConflicts(trees: FleetTree[]): string[] {
  const held = new Map<string, { pod: string; from: number; to: number }[]>();
  for (const t of trees)
    for (const p of t.pods) {
      if (!p.host_id || !p.ports) continue;
      const from = Date.parse(p.state_history.find((h) => h.to === 'provisioning')?.at ?? '');
      const to = Date.parse(p.state_history.find((h) => h.to === 'terminated')?.at ?? '') || Infinity;
      for (const port of Object.values(p.ports)) {
        const k = `${p.host_id}:${port}`;
        const list = held.get(k) ?? [];
        list.push({ pod: p.id, from, to });
        held.set(k, list);
      }
    }
  const out: string[] = [];
  for (const [k, list] of held)
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++)
        if (list[i]!.from < list[j]!.to && list[j]!.from < list[i]!.to)
          out.push(`${k} held by ${list[i]!.pod} and ${list[j]!.pod}`);
  return out;
}

// ---- HTTP with retries (a scheduler retries 5xx answers with the same idempotency key) --------

export async function call<T>(
  rt: LocalRuntime,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(rt.apiUrl + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status < 500) {
      if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text}`);
      return JSON.parse(text) as T;
    }
    if (attempt >= 8) throw new Error(`${method} ${path} → ${res.status} after ${attempt} attempts: ${text}`);
    await new Promise((r) => setTimeout(r, 20 * attempt));
  }
}

const get = <T>(rt: LocalRuntime, path: string) => call<T>(rt, 'GET', path);

const METAL = 'cml-m5zn-metal';

/** The fleet's workers, through the operator API. */
async function readWorkersOf(rt: LocalRuntime): Promise<WorkerSnapshot[]> {
  return (await get<{ items: WorkerSnapshot[] }>(rt, '/v1/workers')).items;
}

/** Sets the stored warm minimum of the metal template (an operator's change of seeds/workers.yaml). */
export async function setWarm(rt: LocalRuntime, count: number): Promise<void> {
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: rt.dynamodb.endpoint,
      region: rt.env.AWS_REGION,
      credentials: { accessKeyId: rt.env.AWS_ACCESS_KEY_ID!, secretAccessKey: rt.env.AWS_SECRET_ACCESS_KEY! },
    }),
  );
  try {
    await new StateStore(ddb, rt.env.LCM_STATE_TABLE!).update<StoredItem & { warm: unknown[] }>(
      keys.fleetConfig(),
      (cur) => ({ ...cur, warm: [{ template: METAL, region: 'eu-west-1', count }] }),
    );
  } finally {
    ddb.destroy();
  }
}

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pool<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
