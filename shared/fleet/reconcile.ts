/**
 * The fleet's reconcile pass, level-triggered like the sessions' reconciler: read every worker,
 * what EC2 says of their instances and of the stage's tagged instances, then move each worker one
 * step (`stepWorker`), take the EC2 action the step names, and apply the scaling decisions
 * (`decideScaling`). Every write is conditional on the worker's version; a lost race is left to
 * the next pass, which sees the new state. Running it twice does nothing the first did not.
 *
 * Events: a worker's status changes are its `state_history` (the outbox announces each as
 * `worker.status_changed`); a scaling decision is stamped on the worker as `scaling` (the outbox
 * announces `worker.scaled_up` / `worker.scaled_down` with its reason).
 */
import type { LaunchSpec, StageInstance } from '../adapters/ec2.ts';
import { Ec2Error } from '../adapters/ec2-errors.ts';
import { iso, type Clock } from '../domain/clock.ts';
import { transition } from '../domain/timed-resource.ts';
import { decideScaling, type FleetConfig, type PodBooking, type ScalingDecision } from '../domain/scaling.ts';
import type { PodDoc } from '../domain/session.ts';
import {
  DEFAULT_WORKER_TIMINGS,
  podLossAction,
  stepWorker,
  WORKER_PORTS,
  type ObservedInstance,
  type WorkerRecord,
  type WorkerTemplate,
  type WorkerTimings,
} from '../domain/worker.ts';
import { ConflictError } from '../store/errors.ts';
import { keys, PARTITIONS } from '../store/keys.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';
import { readAllWorkers } from '../store/workers.ts';

/** What the pass needs of EC2 (`Ec2Workers` in production, a simulator in tests). */
export interface Ec2Port {
  run(spec: LaunchSpec): Promise<StageInstance>;
  describe(instanceIds: string[]): Promise<Map<string, ObservedInstance>>;
  discover(): Promise<StageInstance[]>;
  start(instanceId: string): Promise<void>;
  stop(instanceId: string): Promise<void>;
  terminate(instanceId: string): Promise<void>;
}

export interface FleetSettings extends FleetConfig {
  timings: WorkerTimings;
  /** A tagged instance of this stage without a worker record: adopt it or terminate it. */
  orphans: 'adopt' | 'terminate';
  /** Where workers are launched (the stage's network). */
  network: Pick<LaunchSpec, 'subnet_id' | 'security_group_ids' | 'instance_profile_arn' | 'public_ip'>;
  /** Each worker's console port pool. */
  console_ports: { start: number; end: number };
  /**
   * Where a worker's CML API answers, from its private address (`{address}` is replaced); absent:
   * `https://<address>` (AWS). The local runtime's simulated CML listens on a port of its own.
   */
  cml_url_template?: string;
}

export const DEFAULT_FLEET_SETTINGS: Omit<FleetSettings, keyof FleetConfig | 'network'> = {
  timings: DEFAULT_WORKER_TIMINGS,
  orphans: 'terminate',
  console_ports: { ...WORKER_PORTS.consoles },
};

export interface FleetPorts {
  store: StateStore;
  ec2: Ec2Port;
  clock: Clock;
  settings: FleetSettings;
  /** Whether CML answers on the worker (its system information endpoint). */
  probe(w: WorkerRecord): Promise<boolean>;
  templates(): Promise<WorkerTemplate[]>;
  /** Booked pods not yet gone: placed ones with their worker, unplaced ones with their window. */
  bookings(): Promise<PodBooking[]>;
  newWorkerId(): string;
  log?(msg: string, data: Record<string, unknown>): void;
}

export interface FleetPassReport {
  workers: number;
  steps: { worker: string; from: string; to?: string; action?: string; reason: string }[];
  decisions: ScalingDecision[];
  orphans: { instance_id: string; action: 'adopted' | 'terminated' }[];
  lost_pods: { pod: string; action: string }[];
  conflicts: number;
  errors: { worker?: string; error: string }[];
}

type Worker = StoredItem & WorkerRecord;
const BY = 'fleet-reconciler';

export async function reconcileFleet(ports: FleetPorts): Promise<FleetPassReport> {
  const { store, ec2, settings } = ports;
  const report: FleetPassReport = {
    workers: 0,
    steps: [],
    decisions: [],
    orphans: [],
    lost_pods: [],
    conflicts: 0,
    errors: [],
  };
  const templates = await ports.templates();
  let workers = await allWorkers(store);

  // Discovery: the stage's tagged instances that no worker record claims.
  const claimed = new Set(workers.map((w) => w.instance_id).filter(Boolean));
  const known = new Set(workers.map((w) => w.id));
  for (const i of await ec2.discover()) {
    if (claimed.has(i.instance_id) || (i.worker_id && known.has(i.worker_id))) continue;
    const template = templates.find((t) => t.name === i.template);
    if (settings.orphans === 'adopt' && template && i.worker_id) {
      const adopted = newWorker(
        i.worker_id,
        template,
        settings,
        ports.clock.now(),
        'provisioning',
        'adopted',
      );
      adopted.instance_id = i.instance_id;
      adopted.launched_at = iso(ports.clock.now());
      if (await create(store, adopted, report))
        report.orphans.push({ instance_id: i.instance_id, action: 'adopted' });
    } else {
      await ec2.terminate(i.instance_id);
      report.orphans.push({ instance_id: i.instance_id, action: 'terminated' });
    }
  }
  workers = await allWorkers(store);

  // One step per worker towards its desired status.
  const ids = workers.map((w) => w.instance_id).filter((x): x is string => Boolean(x));
  const observed = await ec2.describe(ids);
  for (const w of workers) {
    try {
      await stepOne(w, w.instance_id ? observed.get(w.instance_id) : undefined, ports, report);
    } catch (e) {
      if (e instanceof ConflictError) report.conflicts++;
      else report.errors.push({ worker: w.id, error: (e as Error).message });
    }
  }

  // Scaling, on what the steps left.
  workers = (await allWorkers(store)).filter((w) => w.status !== 'terminated');
  report.workers = workers.length;
  // A pod this pass put back to pending is unplaced now, whatever the views (fed by the stream)
  // still say: its part waits for the capacity decided here (D150), not for the next pass.
  const replaced = new Set(report.lost_pods.filter((x) => x.action === 'replace').map((x) => x.pod));
  const bookings = (await ports.bookings()).map((b) => {
    if (!replaced.has(b.pod_id)) return b;
    const { host_id: _h, ...unplaced } = b;
    void _h;
    return unplaced;
  });
  const decisions = decideScaling({
    workers,
    templates,
    bookings,
    config: settings,
    now: ports.clock.now(),
  });
  report.decisions = decisions;
  for (const d of decisions) {
    try {
      await apply(d, workers, templates, ports, report);
    } catch (e) {
      if (e instanceof ConflictError) report.conflicts++;
      else report.errors.push({ error: (e as Error).message });
    }
  }
  for (const d of decisions) if (d.kind !== 'keep') ports.log?.('fleet scaling decision', { ...d });
  return report;
}

async function stepOne(
  w: Worker,
  seen: ObservedInstance | undefined,
  ports: FleetPorts,
  report: FleetPassReport,
): Promise<void> {
  const now = ports.clock.now();
  let step = stepWorker(w, seen, undefined, now, ports.settings.timings);
  if (step.action?.kind === 'probe') {
    const moved = step.next ?? w;
    const answers = await ports.probe(moved).catch(() => false);
    const again = stepWorker(moved, seen, answers, now, ports.settings.timings);
    step = { ...again, next: again.next ?? step.next };
  }
  let cur: Worker = w;
  if (step.next) {
    // Two moves in one step (a late pass: the instance runs and CML already answers) are one
    // conditional write: one version on from what was read, both moves kept in the history.
    const next = withCmlUrl({ ...step.next, state_version: w.state_version + 1 } as Worker, ports.settings);
    await ports.store.put(next, w.state_version);
    cur = next;
  }
  report.steps.push({
    worker: w.id,
    from: w.status,
    ...(step.next ? { to: step.next.status } : {}),
    ...(step.action && step.action.kind !== 'probe' ? { action: step.action.kind } : {}),
    reason: step.reason,
  });
  if (step.lost_pods?.length) await handleLostPods(cur, step.lost_pods, ports, report);
  if (!step.action || step.action.kind === 'probe') return;
  try {
    await act(cur, step.action.kind, ports);
  } catch (e) {
    if (!(e instanceof Ec2Error) || e.retryable || step.action.kind !== 'run_instance') throw e;
    // The template cannot be launched (a limit, a bad network setting): the worker fails with
    // EC2's reason; scaling decides again on the next pass.
    const failed = transition(cur, 'failed', { now, by: BY, reason: e.message });
    await ports.store.put({ ...failed, failure: e.message } as Worker, cur.state_version);
  }
}

/** The worker's CML URL follows its address when the stage says where CML answers. */
function withCmlUrl<T extends WorkerRecord>(w: T, settings: FleetSettings): T {
  if (!settings.cml_url_template || !w.address) return w;
  return { ...w, cml_url: settings.cml_url_template.replaceAll('{address}', w.address) };
}

async function act(w: Worker, kind: string, ports: FleetPorts): Promise<void> {
  const { ec2, store, settings } = ports;
  switch (kind) {
    case 'run_instance': {
      const template = (await ports.templates()).find((t) => t.name === w.template);
      if (!template) throw new Error(`worker ${w.id}: no template ${w.template}`);
      const i = await ec2.run({ worker_id: w.id, template, ...settings.network });
      await store.update<Worker>(keys.worker(w.id), (cur) =>
        cur.instance_id === i.instance_id
          ? undefined
          : withCmlUrl(
              { ...cur, instance_id: i.instance_id, ...(i.private_ip ? { address: i.private_ip } : {}) },
              settings,
            ),
      );
      return;
    }
    case 'start_instance':
      return ec2.start(w.instance_id!);
    case 'stop_instance':
      return ec2.stop(w.instance_id!);
    case 'terminate_instance':
      if (w.instance_id) await ec2.terminate(w.instance_id);
      return;
  }
}

/**
 * The pods a lost worker held: placed again when their part has not reached the candidate, failed
 * with the reason while the candidate works or the lab is read, released after collection. The
 * worker's failure is the pod's reason: never silent.
 */
async function handleLostPods(w: Worker, podIds: string[], ports: FleetPorts, report: FleetPassReport) {
  const bookings = await ports.bookings();
  const now = ports.clock.now();
  for (const podId of podIds) {
    const b = bookings.find((x) => x.pod_id === podId);
    if (!b) continue;
    const pods = await ports.store.queryPartition<StoredItem & PodDoc>(keys.sessionPartition(b.session_id), {
      skPrefix: 'POD#',
    });
    const pod = pods.find((p) => p.id === podId);
    if (!pod) continue;
    const part = await ports.store.get<StoredItem & { status: string }>(
      keys.part(pod.session_id, pod.part_order),
    );
    const action = podLossAction(part?.status ?? 'pending');
    const why = `worker ${w.id} lost: ${w.failure ?? 'instance gone'}`;
    await ports.store.update<StoredItem & PodDoc>(
      keys.pod(pod.session_id, pod.part_order, pod.index),
      (cur) => {
        if (cur.host_id !== w.id || cur.status === 'terminated' || cur.status === 'failed') return undefined;
        if (action === 'replace') {
          const next = transition(cur, 'pending', { now, by: BY, reason: `${why}; placing again` });
          const { host_id: _h, ports: _p, held: _held, lab_id: _l, ...rest } = next;
          void _h;
          void _p;
          void _held;
          void _l;
          return { ...rest, state_version: cur.state_version } as StoredItem & PodDoc;
        }
        const to = action === 'fail_part' ? 'failed' : 'terminated';
        return {
          ...transition(cur, to, { now, by: BY, reason: why, terminal: true }),
          state_version: cur.state_version,
        };
      },
    );
    report.lost_pods.push({ pod: podId, action });
  }
  // The lost worker holds nothing any more.
  await ports.store.update<Worker>(keys.worker(w.id), (cur) =>
    cur.pods.length
      ? {
          ...cur,
          pods: [],
          sessions: [],
          ports_in_use: [],
          allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
        }
      : undefined,
  );
}

async function apply(
  d: ScalingDecision,
  workers: Worker[],
  templates: WorkerTemplate[],
  ports: FleetPorts,
  report: FleetPassReport,
): Promise<void> {
  const now = ports.clock.now();
  const stamp = (direction: 'up' | 'down', reason: string) => ({ direction, reason, at: iso(now) });
  switch (d.kind) {
    case 'launch': {
      const t = templates.find((x) => x.name === d.template)!;
      const w = newWorker(ports.newWorkerId(), t, ports.settings, now, 'pending', d.reason, d.region);
      w.scaling = stamp('up', d.reason);
      await create(ports.store, w, report);
      return;
    }
    case 'start':
    case 'undrain':
    case 'drain': {
      const desired = d.kind === 'drain' ? d.to : 'running';
      const direction = d.kind === 'drain' ? 'down' : 'up';
      await ports.store.update<Worker>(keys.worker(d.worker_id), (cur) =>
        cur.desired_status === desired
          ? undefined
          : { ...cur, desired_status: desired, scaling: stamp(direction, d.reason), updated_at: iso(now) },
      );
      void workers;
      return;
    }
    default:
      return; // keep / hold: reported, nothing to write
  }
}

function newWorker(
  id: string,
  t: WorkerTemplate,
  settings: FleetSettings,
  now: number,
  status: 'pending' | 'provisioning',
  reason: string,
  region = settings.region,
): Worker {
  const at = iso(now);
  return {
    ...keys.worker(id),
    entity: 'worker',
    gsi1pk: PARTITIONS.allWorkers,
    gsi1sk: `${region}#${id}`,
    id,
    status,
    desired_status: 'running',
    state_version: 1,
    state_history: [{ from: null, to: status, at, by: BY, reason }],
    created_at: at,
    updated_at: at,
    template: t.name,
    region,
    host_type: t.host_type,
    license: t.license,
    cml_version: t.cml_version,
    address: '',
    capacity: {
      cpu_cores: t.capacity.cpu_cores,
      memory_gb: t.capacity.memory_gb,
      max_nodes: t.capacity.max_nodes,
    },
    allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
    ports: { ...settings.console_ports },
    ports_in_use: [],
    pods: [],
    sessions: [],
  };
}

async function create(store: StateStore, w: Worker, report: FleetPassReport): Promise<boolean> {
  try {
    await store.put(w, null);
    return true;
  } catch (e) {
    if (e instanceof ConflictError) {
      report.conflicts++;
      return false;
    }
    throw e;
  }
}

export const allWorkers = (store: StateStore) => readAllWorkers<Worker>(store);
