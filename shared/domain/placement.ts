/**
 * Placement of a pod on a worker, minimal but correct: filter (running, not
 * draining, host type, licence, free capacity, free ports), then bin-pack (the most utilised
 * worker that fits), keeping the reason every other worker was rejected. Pure: the caller writes
 * the allocation conditioned on the worker's version, so two placements never overbook.
 */
import { hostTypeFor, type HostType, type PodType } from './lifecycle.ts';
import { Problem } from './problem.ts';
import type { CapacityWait } from './session.ts';

export type Licence = 'personal' | 'enterprise' | 'evaluation';

/**
 * What a pod asks of its worker, from its pod definition: the definition's `host_type` when it
 * declares one, otherwise the host its pod type runs on (`roc_radkit → hybrid_hardware`, the
 * design documents' mapping), and the licence the definition needs, if any (D77). Web-only
 * content (`none`) has no host, so it is never placed.
 */
export function placementTarget(
  pod_type: PodType,
  definition: { host_type?: HostType | null; license?: Licence | null } = {},
): { host_type: HostType; license?: Licence } {
  const host_type = hostTypeFor(pod_type, definition.host_type ?? undefined);
  if (!host_type)
    throw new Problem('validation-error', `a ${pod_type} pod runs on no host and is never placed`);
  return { host_type, ...(definition.license ? { license: definition.license } : {}) };
}

/**
 * What a pod's CML topology asks of a worker: a core per node unless the node says `cpus`, its
 * `ram` in MiB (512 unless said) rounded up to GB, one node slot per node; at least one of each.
 * The native steps place with it and the fleet counts booked demand with it (one rule).
 */
export function topologyNeeds(topology: { nodes?: { cpus?: number; ram?: number }[] } | null | undefined): {
  cpu_cores: number;
  memory_gb: number;
  nodes: number;
} {
  const nodes = topology?.nodes ?? [];
  return {
    cpu_cores: Math.max(
      1,
      nodes.reduce((s, n) => s + (n.cpus ?? 1), 0),
    ),
    memory_gb: Math.max(1, Math.ceil(nodes.reduce((s, n) => s + (n.ram ?? 512), 0) / 1024)),
    nodes: Math.max(1, nodes.length),
  };
}

export interface WorkerDoc {
  id: string;
  status: string;
  desired_status?: string;
  state_version: number;
  region: string;
  host_type: string;
  license: 'personal' | 'enterprise' | 'evaluation';
  address: string;
  cml_url?: string;
  capacity: { cpu_cores: number; memory_gb: number; max_nodes: number };
  allocated: { cpu_cores: number; memory_gb: number; nodes: number; pods: number };
  ports: { start: number; end: number };
  ports_in_use: number[];
  pods: string[];
  sessions?: string[];
  /** Operator hold: no new pods, nothing else changes (docs/api.md, cordon/uncordon). */
  cordoned?: boolean;
  /** Since when the worker holds no pod (set when its last pod goes, cleared by a placement). */
  idle_since?: string;
}

export interface PodNeeds {
  pod_id: string;
  session_id: string;
  host_type: string;
  license?: 'personal' | 'enterprise' | 'evaluation';
  cpu_cores: number;
  memory_gb: number;
  nodes: number;
  /** Port names to allocate, e.g. `rtr01_serial`. */
  port_names: string[];
}

export type Placement =
  | { ok: true; worker: WorkerDoc; next: WorkerDoc; ports: Record<string, number>; rejected: Rejection[] }
  | { ok: false; rejected: Rejection[] };

export interface Rejection {
  worker: string;
  reason: string;
}

/**
 * `avoid`: workers this placement just lost a race on. They are tried last, so placements that
 * start together (an exam that starts on the hour) spread over the fitting workers instead of
 * all retrying on the one bin-packing prefers.
 */
export function placePod(
  needs: PodNeeds,
  workers: WorkerDoc[],
  avoid: ReadonlySet<string> = new Set(),
): Placement {
  const rejected: Rejection[] = [];
  const fits: WorkerDoc[] = [];
  for (const w of workers) {
    const reason = rejectionOf(w, needs);
    if (reason) rejected.push({ worker: w.id, reason });
    else fits.push(w);
  }
  if (!fits.length) return { ok: false, rejected };
  // Bin-pack: the fullest worker that still fits; ties by id, so the choice is deterministic.
  fits.sort(
    (a, b) =>
      Number(avoid.has(a.id)) - Number(avoid.has(b.id)) ||
      utilisation(b) - utilisation(a) ||
      a.id.localeCompare(b.id),
  );
  const worker = fits[0]!;
  const ports = allocatePorts(worker, needs.port_names)!;
  const next: WorkerDoc = {
    ...worker,
    allocated: {
      cpu_cores: worker.allocated.cpu_cores + needs.cpu_cores,
      memory_gb: worker.allocated.memory_gb + needs.memory_gb,
      nodes: worker.allocated.nodes + needs.nodes,
      pods: worker.allocated.pods + 1,
    },
    ports_in_use: [...worker.ports_in_use, ...Object.values(ports)].sort((a, b) => a - b),
    pods: [...worker.pods, needs.pod_id],
    sessions: [...new Set([...(worker.sessions ?? []), needs.session_id])],
    state_version: worker.state_version + 1,
  };
  delete next.idle_since;
  return { ok: true, worker, next, ports, rejected };
}

/**
 * The error a placement raises while its pod waits for a worker that is booting (D150): the
 * phase that placed fails with this name, and the sessions reconciler runs it again on the clock
 * instead of failing the part, until the pod's wait ends (`capacityWaitUntil`).
 */
export const WAITING_FOR_CAPACITY = 'lcm.WaitingForCapacity';

export class WaitingForCapacity extends Error {
  constructor(
    readonly pod_id: string,
    readonly until: number,
    readonly workers: string[],
    rejected: Rejection[],
    /** Why, when it is not a booting worker (a placement that lost every race, D146). */
    why?: string,
  ) {
    super(
      why ??
        `pod ${pod_id} waits for a worker that is booting (${workers.join(', ')}) until ${new Date(until).toISOString()}; no running worker can take it: ${summary(rejected)}`,
    );
    this.name = WAITING_FOR_CAPACITY;
  }
}

/**
 * Until when a pod that no running worker can take may wait for one that is booting: its part's
 * start; or, for a pod put back to `pending` later (its worker was lost), the lead time from
 * then, the time a worker launched then needs to boot (boot time plus margin, D125).
 */
export function capacityWaitUntil(
  timeslot: { start: string; lead_time_minutes: number },
  pendingSince: number,
): number {
  return Math.max(Date.parse(timeslot.start), pendingSince + timeslot.lead_time_minutes * 60_000);
}

/** How long a wait's reason may be on the part (the native step's message is bounded alike). */
export const CAPACITY_WAIT_REASON_MAX = 500;

/**
 * The part's `waiting_for_capacity` after a phase failed with `lcm.WaitingForCapacity` at
 * `failedAt` (D195): a first wait starts `since` then; a later one keeps `since` and takes the
 * latest bound and reason. Unchanged, it is the same object, so a replayed decision writes nothing.
 */
export function noteCapacityWait(
  current: CapacityWait | undefined,
  o: { failedAt: number; until: number; cause?: string },
): CapacityWait {
  const until = new Date(o.until).toISOString();
  const reason = (o.cause ?? WAITING_FOR_CAPACITY).slice(0, CAPACITY_WAIT_REASON_MAX);
  if (!current) return { since: new Date(o.failedAt).toISOString(), until, reason };
  return current.until === until && current.reason === reason ? current : { ...current, until, reason };
}

/** When a pod last became pending: its creation, or the fleet putting it back (its worker lost). */
export function pendingSince(pod: {
  state_history: { to: string | null; at: string }[];
  created_at: string;
}): number {
  for (let i = pod.state_history.length - 1; i >= 0; i--)
    if (pod.state_history[i]!.to === 'pending') return Date.parse(pod.state_history[i]!.at);
  return Date.parse(pod.created_at);
}

/** Worker statuses on the way to `running` when the worker is wanted running. */
const ON_ITS_WAY: ReadonlySet<string> = new Set([
  'pending',
  'provisioning',
  'starting',
  'draining',
  'stopping',
  'stopped',
]);

/**
 * The workers asked to run but not running yet (launched, booting, started again, drain
 * cancelled) that will take the pod once CML answers, with what they hold now.
 */
export function bootingFits(needs: PodNeeds, workers: WorkerDoc[]): string[] {
  return workers
    .filter(
      (w) =>
        w.desired_status === 'running' &&
        ON_ITS_WAY.has(w.status) &&
        !rejectionOf({ ...w, status: 'running' }, needs),
    )
    .map((w) => w.id);
}

export type PlacementOutcome =
  | Placement
  /** No running worker fits; these booting ones will: wait for them until `until`. */
  | { ok: false; rejected: Rejection[]; wait: { until: number; workers: string[] } }
  /** A booting worker would fit, but the pod's wait ended at `late`. */
  | { ok: false; rejected: Rejection[]; late: number };

/**
 * Placement that may wait: as `placePod`, but when no running worker fits and one that is booting
 * will, the pod waits for it (`wait`) — while `now` is before `until`. At or past `until` the
 * refusal stands, with the deadline in `late`: bounded, never an endless wait.
 */
export function placeOrWait(
  needs: PodNeeds,
  workers: WorkerDoc[],
  at: { now: number; until: number },
  avoid: ReadonlySet<string> = new Set(),
): PlacementOutcome {
  const p = placePod(needs, workers, avoid);
  if (p.ok) return p;
  const booting = bootingFits(needs, workers);
  if (!booting.length) return p;
  if (at.now >= at.until) return { ...p, late: at.until };
  return { ...p, wait: { until: at.until, workers: booting } };
}

function summary(rejected: Rejection[]): string {
  return rejected.map((r) => `${r.worker}: ${r.reason}`).join('; ') || 'no workers';
}

/**
 * Gives a worker back what a pod held. Idempotent: releasing a pod it does not hold is a no-op.
 * `at` (ISO time) stamps `idle_since` when the last pod goes: the scale-down cooldown counts from it.
 */
export function releasePod(
  w: WorkerDoc,
  pod_id: string,
  held: { cpu_cores: number; memory_gb: number; nodes: number; ports: number[]; session_id?: string },
  at?: string,
): WorkerDoc | undefined {
  if (!w.pods.includes(pod_id)) return undefined;
  const freed = new Set(held.ports);
  const pods = w.pods.filter((p) => p !== pod_id);
  return {
    ...w,
    allocated: {
      cpu_cores: Math.max(0, w.allocated.cpu_cores - held.cpu_cores),
      memory_gb: Math.max(0, w.allocated.memory_gb - held.memory_gb),
      nodes: Math.max(0, w.allocated.nodes - held.nodes),
      pods: Math.max(0, w.allocated.pods - 1),
    },
    ports_in_use: w.ports_in_use.filter((p) => !freed.has(p)),
    pods,
    sessions: pods.length ? w.sessions : [],
    ...(!pods.length && at ? { idle_since: at } : {}),
    state_version: w.state_version + 1,
  };
}

function rejectionOf(w: WorkerDoc, n: PodNeeds): string | undefined {
  if (w.status !== 'running') return `status ${w.status}`;
  if (w.desired_status === 'stopped' || w.desired_status === 'terminated' || w.desired_status === 'draining')
    return 'draining';
  if (w.cordoned) return 'cordoned';
  if (w.host_type !== n.host_type) return `host type ${w.host_type} cannot run ${n.host_type}`;
  if (n.license === 'enterprise' && w.license !== 'enterprise')
    return `licence ${w.license} does not satisfy enterprise`;
  if (w.license === 'personal' && (w.sessions ?? []).some((s) => s !== n.session_id))
    return 'a personal-licence worker runs one session at a time';
  if (w.allocated.cpu_cores + n.cpu_cores > w.capacity.cpu_cores)
    return `needs ${n.cpu_cores} cores, ${w.capacity.cpu_cores - w.allocated.cpu_cores} free`;
  if (w.allocated.memory_gb + n.memory_gb > w.capacity.memory_gb)
    return `needs ${n.memory_gb} GB, ${w.capacity.memory_gb - w.allocated.memory_gb} free`;
  if (w.allocated.nodes + n.nodes > w.capacity.max_nodes)
    return `needs ${n.nodes} nodes, ${w.capacity.max_nodes - w.allocated.nodes} free`;
  if (!allocatePorts(w, n.port_names)) return `needs ${n.port_names.length} ports, pool exhausted`;
  return undefined;
}

function utilisation(w: WorkerDoc): number {
  return Math.max(
    w.allocated.cpu_cores / w.capacity.cpu_cores,
    w.allocated.memory_gb / w.capacity.memory_gb,
    w.allocated.nodes / w.capacity.max_nodes,
  );
}

/** The lowest free ports of the worker's pool, one per name (names sorted, so allocation is stable). */
export function allocatePorts(w: WorkerDoc, names: string[]): Record<string, number> | undefined {
  const used = new Set(w.ports_in_use);
  const out: Record<string, number> = {};
  let candidate = w.ports.start;
  for (const name of [...names].sort()) {
    while (candidate <= w.ports.end && used.has(candidate)) candidate++;
    if (candidate > w.ports.end) return undefined;
    out[name] = candidate++;
  }
  return out;
}
