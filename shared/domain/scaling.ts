/**
 * Scaling the CML fleet, as pure rules with the clock passed in. Sessions are booked ahead, so
 * the demand is known: every pod has a provision time (its part's start minus the lead time) and
 * a release time (its cleanup deadline). One pass of `decideScaling` packs the pods that are due
 * onto the capacity that will be running by then and answers, each with its reason:
 *
 * - scale up when a pod that must be placed soon has no worker that will fit it in time
 *   (cancelling a drain, starting a stopped worker, or launching the cheapest template that fits,
 *   bounded per template and per region); "soon" is the CML boot time plus a margin before the
 *   pod's provision time, so the worker is `running` before the pod needs it. A pod placement
 *   already refused scales up the same way; its rejection reasons go into the decision;
 * - keep the warm minimum per template and region;
 * - scale down an idle running worker through draining, behind guards: no pod allocated, none
 *   booked within the look-ahead that would land on it, not below the warm minimum, idle for at
 *   least the cooldown, not cordoned by an operator.
 */
import { iso } from './clock.ts';
import type { Rejection } from './placement.ts';
import { WORKER_LIVE, type WorkerRecord, type WorkerStatus, type WorkerTemplate } from './worker.ts';

export interface FleetConfig {
  /** The region workers are launched in when a pod names none. */
  region: string;
  /** CML boot time: from asking EC2 for the instance to CML answering. */
  boot_minutes: number;
  /** Added to the boot time: the reconcile period and a safety margin. */
  margin_minutes: number;
  /** Scale-down guard: a pod booked to start within this horizon keeps its worker. */
  look_ahead_minutes: number;
  /** Scale-down guard: a worker idle for less than this is kept. */
  cooldown_minutes: number;
  /** Bound on live workers per region, all templates together. */
  max_workers_per_region: number;
  /** Live workers kept per template and region even when idle. */
  warm: { template: string; region: string; count: number }[];
  /** What an idle worker is scaled down to. */
  scale_down_to: 'stopped' | 'terminated';
}

export const DEFAULT_FLEET_CONFIG: FleetConfig = {
  region: 'eu-west-1',
  boot_minutes: 12,
  margin_minutes: 3,
  look_ahead_minutes: 60,
  cooldown_minutes: 15,
  max_workers_per_region: 20,
  warm: [],
  scale_down_to: 'stopped',
};

export interface Needs {
  cpu_cores: number;
  memory_gb: number;
  nodes: number;
  ports: number;
}

/** One booked pod's demand. Times are epoch milliseconds. */
export interface PodBooking {
  pod_id: string;
  session_id: string;
  region?: string;
  host_type: string;
  license?: 'personal' | 'enterprise' | 'evaluation';
  needs: Needs;
  provision_at: number;
  release_at: number;
  /** The worker it is placed on, once placed. */
  host_id?: string;
  /** Placement was tried and found no fit: why each worker refused. */
  rejections?: Rejection[];
}

export type ScalingDecision =
  | { kind: 'launch'; template: string; region: string; pods: string[]; reason: string }
  | { kind: 'start'; worker_id: string; template: string; region: string; pods: string[]; reason: string }
  | { kind: 'undrain'; worker_id: string; template: string; region: string; pods: string[]; reason: string }
  | {
      kind: 'drain';
      worker_id: string;
      template: string;
      region: string;
      to: 'stopped' | 'terminated';
      reason: string;
    }
  | { kind: 'keep'; worker_id: string; reason: string }
  | { kind: 'hold'; pods: string[]; reason: string };

export interface ScalingInput {
  workers: WorkerRecord[];
  templates: WorkerTemplate[];
  bookings: PodBooking[];
  config: FleetConfig;
  now: number;
  /**
   * Pods provisioning by this time are packed as due in this pass (placed, scaled up for, or
   * held); default: now plus the lead time. `canHost` sets it to the asked session's last release,
   * so every part is checked at its own provision time in one pass.
   */
  due_by?: number;
}

const MIN = 60_000;

interface Slot {
  from: number;
  to: number;
  needs: Needs;
  session: string;
}

/** A worker (real or decided this pass) as capacity over time. */
interface Bin {
  id: string;
  template: string;
  region: string;
  host_type: string;
  license: string;
  capacity: Needs;
  ready_at: number;
  slots: Slot[];
  /** Pods decided onto this bin this pass (for the look-ahead guard). */
  virtual: string[];
}

/** One scaling pass: the decisions, in the order to apply them. */
export function decideScaling(input: ScalingInput): ScalingDecision[] {
  const { workers, templates, config, now } = input;
  const byName = new Map(templates.map((t) => [t.name, t]));
  const out: ScalingDecision[] = [];
  const lead = (config.boot_minutes + config.margin_minutes) * MIN;
  const bookings = heldWhereRecorded(input.bookings, workers);
  const dueBy = input.due_by ?? now + lead;
  const onWorker = new Map<string, PodBooking[]>();
  for (const b of bookings) if (b.host_id) onWorker.set(b.host_id, [...(onWorker.get(b.host_id) ?? []), b]);

  const serving = (w: WorkerRecord) =>
    w.desired_status === 'running' && !w.cordoned && WORKER_LIVE.has(w.status) && w.status !== 'draining';
  const bins: Bin[] = workers.filter(serving).map((w) => binOf(w, onWorker.get(w.id) ?? [], config, now));
  const launched: Bin[] = [];
  // Live instances per region and per template/region, counting this pass's launches and starts.
  const live = new Map<string, number>();
  const count = (k: string, d = 1) => live.set(k, (live.get(k) ?? 0) + d);
  for (const w of workers)
    if (WORKER_LIVE.has(w.status) && w.desired_status === 'running') {
      count(w.region);
      count(`${w.template}@${w.region}`);
    }

  const unplaced = bookings
    .filter((b) => !b.host_id)
    .sort((a, b) => a.provision_at - b.provision_at || a.pod_id.localeCompare(b.pod_id));
  const draining = workers.filter(
    (w) =>
      w.desired_status !== 'running' && !w.cordoned && (w.status === 'running' || w.status === 'draining'),
  );
  const stopped = workers.filter(
    (w) => w.status === 'stopped' && !w.cordoned && w.desired_status === 'stopped',
  );
  const taken = new Set<string>();

  // 1. Scale up for the pods that are due: their worker must be asked for now to be ready in time.
  for (const b of unplaced) {
    if (b.provision_at > dueBy) break;
    const region = b.region ?? config.region;
    const fit = bestFit(bins, b, region);
    if (fit) {
      place(fit, b);
      continue;
    }
    const why = b.rejections?.length
      ? `placement found no fit for pod ${b.pod_id} (${summarise(b.rejections)})`
      : `pod ${b.pod_id} provisions at ${iso(b.provision_at)} and no worker that will be running by then fits it`;
    const undrain = draining.find((w) => !taken.has(w.id) && w.region === region && fitsEmpty(w, b));
    if (undrain) {
      taken.add(undrain.id);
      const bin = binOf(undrain, onWorker.get(undrain.id) ?? [], config, now);
      bins.push(bin);
      count(region);
      count(`${undrain.template}@${region}`);
      place(bin, b);
      out.push({
        kind: 'undrain',
        worker_id: undrain.id,
        template: undrain.template,
        region,
        pods: bin.virtual,
        reason: why,
      });
      continue;
    }
    // A worker already on its way is ready no later than a new one would be: the pod waits for it.
    const late = bestFit(bins, b, region, true);
    if (late) {
      place(late, b);
      continue;
    }
    const choice = chooseTemplate(b, templates, region, live, config);
    const restart = stopped.find(
      (w) =>
        !taken.has(w.id) &&
        w.region === region &&
        fitsEmpty(w, b) &&
        withinBounds(w.template, region, byName, live, config),
    );
    if (
      restart &&
      (!('template' in choice) || costOf(restart.template, byName) <= choice.template.cost_per_hour_usd)
    ) {
      taken.add(restart.id);
      const bin = binOf({ ...restart, status: 'pending', pods: [] }, [], config, now);
      bins.push(bin);
      count(region);
      count(`${restart.template}@${region}`);
      place(bin, b);
      out.push({
        kind: 'start',
        worker_id: restart.id,
        template: restart.template,
        region,
        pods: bin.virtual,
        reason: why,
      });
      continue;
    }
    if ('template' in choice) {
      const t = choice.template;
      const bin: Bin = {
        id: `new:${launched.length}`,
        template: t.name,
        region,
        host_type: t.host_type,
        license: t.license,
        capacity: capacityOf(t),
        ready_at: now + config.boot_minutes * MIN,
        slots: [],
        virtual: [],
      };
      bins.push(bin);
      launched.push(bin);
      count(region);
      count(`${t.name}@${region}`);
      place(bin, b);
      out.push({
        kind: 'launch',
        template: t.name,
        region,
        pods: bin.virtual,
        reason: `${why}: cheapest fitting template ${t.name}`,
      });
      continue;
    }
    out.push({ kind: 'hold', pods: [b.pod_id], reason: `${why}; cannot scale up: ${choice.refused}` });
  }

  // 2. The warm minimum per template and region.
  for (const warm of config.warm) {
    const t = byName.get(warm.template);
    if (!t) continue;
    const key = `${warm.template}@${warm.region}`;
    while ((live.get(key) ?? 0) < warm.count) {
      const reason = `warm minimum ${warm.count} of ${warm.template} in ${warm.region}`;
      if (!withinBounds(warm.template, warm.region, byName, live, config)) {
        out.push({ kind: 'hold', pods: [], reason: `${reason}; cannot scale up: bounds reached` });
        break;
      }
      const restart = stopped.find(
        (w) => !taken.has(w.id) && w.region === warm.region && w.template === warm.template,
      );
      count(warm.region);
      count(key);
      if (restart) {
        taken.add(restart.id);
        out.push({
          kind: 'start',
          worker_id: restart.id,
          template: warm.template,
          region: warm.region,
          pods: [],
          reason,
        });
      } else out.push({ kind: 'launch', template: warm.template, region: warm.region, pods: [], reason });
    }
  }

  // 3. Look-ahead: the pods booked within the horizon, packed onto what runs, mark what is needed.
  const horizon = now + config.look_ahead_minutes * MIN;
  for (const b of unplaced) {
    if (b.provision_at <= dueBy) continue; // packed above
    if (b.provision_at > horizon) break;
    const fit = bestFit(bins, b, b.region ?? config.region, true);
    if (fit) place(fit, b);
  }

  // 4. Scale down idle running workers through draining, behind the guards.
  const idle = workers
    .filter((w) => w.status === 'running' && w.desired_status === 'running')
    .sort((a, b) => costOf(b.template, byName) - costOf(a.template, byName) || a.id.localeCompare(b.id));
  for (const w of idle) {
    if (w.pods.length || w.allocated.pods > 0) continue; // guard 1: it holds pods (not idle: no decision)
    const keep = (reason: string) => out.push({ kind: 'keep', worker_id: w.id, reason });
    if (w.cordoned) {
      keep('cordoned by an operator');
      continue;
    }
    const bin = bins.find((x) => x.id === w.id);
    if (bin?.virtual.length) {
      keep(
        `pod ${bin.virtual[0]} booked within the ${config.look_ahead_minutes} min look-ahead would use it`,
      );
      continue;
    }
    const idleSince = Date.parse(w.idle_since ?? lastEntered(w, 'running') ?? w.updated_at);
    if (now - idleSince < config.cooldown_minutes * MIN) {
      keep(`idle since ${iso(idleSince)}, within the ${config.cooldown_minutes} min cooldown`);
      continue;
    }
    const key = `${w.template}@${w.region}`;
    const warm = config.warm.find((x) => x.template === w.template && x.region === w.region)?.count ?? 0;
    if ((live.get(key) ?? 0) - 1 < warm) {
      keep(`warm minimum ${warm} of ${w.template} in ${w.region}`);
      continue;
    }
    count(key, -1);
    count(w.region, -1);
    out.push({
      kind: 'drain',
      worker_id: w.id,
      template: w.template,
      region: w.region,
      to: config.scale_down_to,
      reason: `idle since ${iso(idleSince)} (cooldown ${config.cooldown_minutes} min), nothing booked within ${config.look_ahead_minutes} min, above the warm minimum ${warm}`,
    });
  }
  return out;

  function place(bin: Bin, b: PodBooking): void {
    bin.slots.push({
      from: Math.max(now, b.provision_at),
      to: b.release_at,
      needs: b.needs,
      session: b.session_id,
    });
    bin.virtual.push(b.pod_id);
  }
}

/**
 * The bookings come from session views the stream may not have caught up with; the worker records
 * are read consistently. A pod a worker's record holds is placed there, whatever the view says:
 * counted once, in that worker's allocation, not again as demand.
 */
function heldWhereRecorded(bookings: PodBooking[], workers: WorkerRecord[]): PodBooking[] {
  const holder = new Map(workers.flatMap((w) => w.pods.map((p) => [p, w.id] as const)));
  return bookings.map((b) => {
    const host = b.host_id ? undefined : holder.get(b.pod_id);
    return host ? { ...b, host_id: host } : b;
  });
}

function binOf(w: WorkerRecord, placed: PodBooking[], config: FleetConfig, now: number): Bin {
  const known = placed.reduce(
    (s, b) => ({
      cpu_cores: s.cpu_cores + b.needs.cpu_cores,
      memory_gb: s.memory_gb + b.needs.memory_gb,
      nodes: s.nodes + b.needs.nodes,
      ports: s.ports + b.needs.ports,
    }),
    { cpu_cores: 0, memory_gb: 0, nodes: 0, ports: 0 },
  );
  // What the worker holds that no booking explains is held for good (conservative).
  const rest: Needs = {
    cpu_cores: Math.max(0, w.allocated.cpu_cores - known.cpu_cores),
    memory_gb: Math.max(0, w.allocated.memory_gb - known.memory_gb),
    nodes: Math.max(0, w.allocated.nodes - known.nodes),
    ports: Math.max(0, w.ports_in_use.length - known.ports),
  };
  const slots: Slot[] = placed.map((b) => ({
    from: now,
    to: b.release_at,
    needs: b.needs,
    session: b.session_id,
  }));
  if (rest.cpu_cores || rest.memory_gb || rest.nodes || rest.ports)
    slots.push({ from: now, to: Number.POSITIVE_INFINITY, needs: rest, session: '?' });
  return {
    id: w.id,
    template: w.template,
    region: w.region,
    host_type: w.host_type,
    license: w.license,
    capacity: {
      cpu_cores: w.capacity.cpu_cores,
      memory_gb: w.capacity.memory_gb,
      nodes: w.capacity.max_nodes,
      ports: w.ports.end - w.ports.start + 1,
    },
    ready_at: readyAt(w, config, now),
    slots,
    virtual: [],
  };
}

/** When a serving worker will take pods: now if running, else when its boot should be done. */
export function readyAt(
  w: Pick<WorkerRecord, 'status' | 'launched_at'>,
  config: FleetConfig,
  now: number,
): number {
  if (w.status === 'running') return now;
  const from = w.status === 'pending' || !w.launched_at ? now : Date.parse(w.launched_at);
  return Math.max(now, from + config.boot_minutes * MIN);
}

/** The fullest compatible bin ready by the pod's provision time (or, `late`, ready at all). */
function bestFit(bins: Bin[], b: PodBooking, region: string, late = false): Bin | undefined {
  let best: Bin | undefined;
  let bestLoad = -1;
  for (const bin of bins) {
    if (bin.region !== region || !compatible(bin, b)) continue;
    if (!late && bin.ready_at > b.provision_at) continue;
    if (!fitsOver(bin, b)) continue;
    const load = loadAt(bin, Math.max(b.provision_at, bin.ready_at));
    if (load > bestLoad) {
      best = bin;
      bestLoad = load;
    }
  }
  return best;
}

function compatible(bin: Pick<Bin, 'host_type' | 'license'>, b: PodBooking): boolean {
  if (bin.host_type !== b.host_type) return false;
  return !(b.license === 'enterprise' && bin.license !== 'enterprise');
}

/** Whether the pod fits beside everything the bin holds at every moment of the pod's window. */
function fitsOver(bin: Bin, b: PodBooking): boolean {
  const from = b.provision_at;
  const to = b.release_at;
  const overlapping = bin.slots.filter((s) => s.from < to && s.to > from);
  if (bin.license === 'personal' && overlapping.some((s) => s.session !== b.session_id)) return false;
  const points = [from, ...overlapping.map((s) => s.from).filter((t) => t > from && t < to)];
  for (const p of points) {
    const used = sum(overlapping.filter((s) => s.from <= p && s.to > p).map((s) => s.needs));
    if (
      used.cpu_cores + b.needs.cpu_cores > bin.capacity.cpu_cores ||
      used.memory_gb + b.needs.memory_gb > bin.capacity.memory_gb ||
      used.nodes + b.needs.nodes > bin.capacity.nodes ||
      used.ports + b.needs.ports > bin.capacity.ports
    )
      return false;
  }
  return true;
}

function loadAt(bin: Bin, t: number): number {
  const u = sum(bin.slots.filter((s) => s.from <= t && s.to > t).map((s) => s.needs));
  return Math.max(
    u.cpu_cores / bin.capacity.cpu_cores,
    u.memory_gb / bin.capacity.memory_gb,
    u.nodes / bin.capacity.nodes,
  );
}

function sum(ns: Needs[]): Needs {
  return ns.reduce(
    (s, n) => ({
      cpu_cores: s.cpu_cores + n.cpu_cores,
      memory_gb: s.memory_gb + n.memory_gb,
      nodes: s.nodes + n.nodes,
      ports: s.ports + n.ports,
    }),
    { cpu_cores: 0, memory_gb: 0, nodes: 0, ports: 0 },
  );
}

function capacityOf(t: WorkerTemplate): Needs {
  return {
    cpu_cores: t.capacity.cpu_cores,
    memory_gb: t.capacity.memory_gb,
    nodes: t.capacity.max_nodes,
    ports: Number.POSITIVE_INFINITY,
  };
}

function fitsEmpty(w: WorkerRecord, b: PodBooking): boolean {
  return (
    compatible(w, b) &&
    b.needs.cpu_cores <= w.capacity.cpu_cores - w.allocated.cpu_cores &&
    b.needs.memory_gb <= w.capacity.memory_gb - w.allocated.memory_gb &&
    b.needs.nodes <= w.capacity.max_nodes - w.allocated.nodes &&
    !(w.license === 'personal' && (w.sessions ?? []).some((s) => s !== b.session_id))
  );
}

function withinBounds(
  template: string,
  region: string,
  byName: Map<string, WorkerTemplate>,
  live: Map<string, number>,
  config: FleetConfig,
): boolean {
  const t = byName.get(template);
  if (!t) return false;
  return (
    (live.get(`${template}@${region}`) ?? 0) < t.max_per_region &&
    (live.get(region) ?? 0) < config.max_workers_per_region
  );
}

/**
 * The template that runs the pod cheapest per core (then the cheapest), within the bounds; or why none can (each template's
 * refusal), which is what a `hold` decision reports.
 */
export function chooseTemplate(
  b: PodBooking,
  templates: WorkerTemplate[],
  region: string,
  live: Map<string, number>,
  config: FleetConfig,
): { template: WorkerTemplate } | { refused: string } {
  const refusals: string[] = [];
  if ((live.get(region) ?? 0) >= config.max_workers_per_region)
    return { refused: `${region} has ${config.max_workers_per_region} live workers, the region's maximum` };
  const ok: WorkerTemplate[] = [];
  for (const t of templates) {
    const r = templateRefusal(t, b, live.get(`${t.name}@${region}`) ?? 0);
    if (r) refusals.push(`${t.name}: ${r}`);
    else ok.push(t);
  }
  // Cheapest per core this demand can use: a personal-licence worker runs one session, so its
  // price is all this pod's; an enterprise worker's is shared by the cores it offers.
  const perCore = (t: WorkerTemplate) =>
    t.cost_per_hour_usd / (t.license === 'personal' ? b.needs.cpu_cores : t.capacity.cpu_cores);
  ok.sort(
    (x, y) =>
      perCore(x) - perCore(y) || x.cost_per_hour_usd - y.cost_per_hour_usd || x.name.localeCompare(y.name),
  );
  return ok[0] ? { template: ok[0] } : { refused: refusals.join('; ') || 'no templates' };
}

function templateRefusal(t: WorkerTemplate, b: PodBooking, liveCount: number): string | undefined {
  if (t.host_type !== b.host_type) return `host type ${t.host_type}`;
  if (b.license === 'enterprise' && t.license !== 'enterprise') return `licence ${t.license}`;
  if (t.capacity.cpu_cores < b.needs.cpu_cores) return `${t.capacity.cpu_cores} cores < ${b.needs.cpu_cores}`;
  if (t.capacity.memory_gb < b.needs.memory_gb) return `${t.capacity.memory_gb} GB < ${b.needs.memory_gb}`;
  if (t.capacity.max_nodes < b.needs.nodes) return `${t.capacity.max_nodes} nodes < ${b.needs.nodes}`;
  if (liveCount >= t.max_per_region) return `at its maximum of ${t.max_per_region} per region`;
  return undefined;
}

function costOf(template: string, byName: Map<string, WorkerTemplate>): number {
  return byName.get(template)?.cost_per_hour_usd ?? Number.POSITIVE_INFINITY;
}

function summarise(rejections: Rejection[]): string {
  const shown = rejections.slice(0, 5).map((r) => `${r.worker}: ${r.reason}`);
  return shown.join('; ') + (rejections.length > 5 ? `; and ${rejections.length - 5} more` : '');
}

function lastEntered(w: WorkerRecord, status: WorkerStatus): string | undefined {
  for (let i = w.state_history.length - 1; i >= 0; i--)
    if (w.state_history[i]!.to === status) return w.state_history[i]!.at;
  return undefined;
}

/**
 * Can these pods (a timeslot asked about: a session's parts) be hosted beside what is booked? One
 * scaling pass at the moment the first asked pod is due (or now, if later) packs, in provision
 * order, every pod due before the asked session's last release (booked and asked, each at its own
 * provision time, with the slots' windows) onto the running and startable capacity within the
 * bounds: hostable when no asked pod ends in `hold`, every worker launched or started for an asked
 * pod boots by its provision time, and no booked pod is held that the same pass without the asked
 * pods would have served (an answer never takes a booked pod's place). `scale_ups` is what the
 * asked pods add to what the booked demand needs anyway. Bounds are counted over the whole pass
 * (a worker scaled down in between is not given back): when in doubt, no.
 */
export function canHost(
  asked: PodBooking[],
  input: Omit<ScalingInput, 'now' | 'due_by'>,
  now?: number,
): { hostable: boolean; reasons: string[]; scale_ups: number } {
  if (!asked.length) return { hostable: true, reasons: [], scale_ups: 0 };
  const lead = (input.config.boot_minutes + input.config.margin_minutes) * MIN;
  // The pass that would decide for the first asked pod: when it is due, or now if that is later
  // (asked too late for a full boot: only what is, or will be, running in time counts).
  const at = Math.max(Math.min(...asked.map((b) => b.provision_at)) - lead, now ?? Number.NEGATIVE_INFINITY);
  // At the same provision time booked pods go first (the pass orders by time, then id; the asked
  // ids sort last).
  const mark = (id: string) => `\uffff${id}`;
  const ids = new Set(asked.map((b) => mark(b.pod_id)));
  // Every pod due before the asked session's last release is packed in this pass; one already past
  // its provision time is due at once.
  const dueBy = Math.max(...asked.map((b) => b.release_at));
  const pass = (bookings: PodBooking[]) =>
    decideScaling({
      ...input,
      bookings: bookings.map((b) => ({ ...b, provision_at: Math.max(b.provision_at, at + lead) })),
      now: at,
      due_by: dueBy,
    });
  const heldPods = (ds: ScalingDecision[]) =>
    ds.filter((d): d is Extract<ScalingDecision, { kind: 'hold' }> => d.kind === 'hold');
  const ups = (ds: ScalingDecision[]) =>
    ds.filter((d) => d.kind === 'launch' || d.kind === 'start' || d.kind === 'undrain').length;
  const base = pass(input.bookings);
  const decisions = pass([...input.bookings, ...asked.map((b) => ({ ...b, pod_id: mark(b.pod_id) }))]);
  const reasons = heldPods(decisions)
    .filter((h) => h.pods.some((p) => ids.has(p)))
    .map((h) => h.reason.replaceAll('\uffff', ''));
  // A worker launched or started for an asked pod boots from `at`: too late when asked too late.
  const ready = at + input.config.boot_minutes * MIN;
  for (const d of decisions) {
    if (d.kind !== 'launch' && d.kind !== 'start') continue;
    for (const p of d.pods.filter((x) => ids.has(x))) {
      const b = asked.find((x) => mark(x.pod_id) === p)!;
      if (ready > b.provision_at)
        reasons.push(
          `pod ${b.pod_id} provisions at ${iso(b.provision_at)}: nothing running fits it and a worker ${d.kind === 'launch' ? `launched (${d.template})` : `started (${d.worker_id})`} now is ready at ${iso(ready)} at the earliest (CML boot ${input.config.boot_minutes} min)`,
        );
    }
  }
  // A booked pod held only because the asked ones were packed too.
  const heldAnyway = new Set(heldPods(base).flatMap((h) => h.pods));
  for (const h of heldPods(decisions))
    for (const p of h.pods.filter((x) => !ids.has(x) && !heldAnyway.has(x))) {
      const b = input.bookings.find((x) => x.pod_id === p)!;
      reasons.push(`booked pod ${p} (session ${b.session_id}) would lose its place: ${h.reason}`);
    }
  return { hostable: reasons.length === 0, reasons, scale_ups: Math.max(0, ups(decisions) - ups(base)) };
}
