/**
 * A CML worker's life on EC2, as pure rules: its statuses, the transitions between them, and the
 * one level-triggered step that moves a worker towards its `desired_status` from what EC2 and
 * the CML readiness probe report. The caller (shared/fleet) performs the EC2 action the step
 * names and writes the worker conditioned on its version; every step is safe to repeat.
 *
 *   pending → provisioning → starting → running → draining → stopping → stopped
 *   (any) → failed, (any) → terminated
 *
 * pending: a record, no instance yet. provisioning: RunInstances / StartInstances issued, the
 * instance is not `running` in EC2 yet. starting: the instance runs, CML boots (the readiness
 * probe does not answer yet). running: CML answers; pods may be placed. draining: asked to stop,
 * still holding pods; takes no new ones. stopping: StopInstances / TerminateInstances issued.
 */
import { iso } from './clock.ts';
import type { WorkerDoc } from './placement.ts';
import { transition, type TimedResource } from './timed-resource.ts';

export const WORKER_STATUSES = [
  'pending',
  'provisioning',
  'starting',
  'running',
  'draining',
  'stopping',
  'stopped',
  'terminated',
  'failed',
] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];
export const WORKER_DESIRED = ['running', 'stopped', 'terminated'] as const;
export type WorkerDesired = (typeof WORKER_DESIRED)[number];

/** Statuses that hold (or are about to hold) an instance that costs money. */
export const WORKER_LIVE: ReadonlySet<WorkerStatus> = new Set([
  'pending',
  'provisioning',
  'starting',
  'running',
  'draining',
]);

/** The transitions the lifecycle allows; anything else is a bug the caller is told about. */
export const WORKER_TRANSITIONS: Record<WorkerStatus, readonly WorkerStatus[]> = {
  pending: ['provisioning', 'stopping', 'failed', 'terminated'],
  provisioning: ['starting', 'failed', 'stopping', 'terminated'],
  starting: ['running', 'failed', 'stopping', 'terminated'],
  running: ['draining', 'stopping', 'failed', 'terminated'],
  draining: ['running', 'stopping', 'failed', 'terminated'],
  stopping: ['stopped', 'failed', 'terminated'],
  stopped: ['provisioning', 'stopping', 'terminated', 'failed'],
  failed: ['terminated'],
  terminated: [],
};

export function canMove(from: WorkerStatus, to: WorkerStatus): boolean {
  return WORKER_TRANSITIONS[from].includes(to);
}

/** What a worker is started from (seeds/worker-templates.yaml). */
export interface WorkerTemplate {
  name: string;
  instance_type: string;
  ami_name_pattern: string;
  host_type: string;
  cml_version: string;
  license: 'personal' | 'enterprise' | 'evaluation';
  capacity: { cpu_cores: number; memory_gb: number; storage_gb?: number; max_nodes: number };
  cost_per_hour_usd: number;
  max_per_region: number;
}

/** The stored worker: placement's view plus its life on EC2. */
export interface WorkerRecord
  extends Omit<WorkerDoc, 'status' | 'desired_status'>, TimedResource<WorkerStatus, WorkerDesired> {
  template: string;
  cml_version?: string;
  instance_id?: string;
  /** When the instance was asked for (RunInstances or StartInstances). */
  launched_at?: string;
  /** When the instance was seen `running` in EC2 (CML's boot counts from here). */
  booted_at?: string;
  /** Why the worker failed (instance vanished, boot timed out, capacity refused). */
  failure?: string;
  /** The last scaling decision that touched this worker, with its reason. */
  scaling?: { direction: 'up' | 'down'; reason: string; at: string };
}

/** What EC2 says about the worker's instance; `absent` = DescribeInstances does not know it. */
export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
export interface ObservedInstance {
  state: InstanceState | 'absent';
  private_ip?: string;
}

export interface WorkerTimings {
  /** How long an instance may stay EC2-`pending` before the worker fails. */
  launch_timeout_minutes: number;
  /** How long CML may take to answer after the instance runs before the worker fails. */
  boot_timeout_minutes: number;
}

export const DEFAULT_WORKER_TIMINGS: WorkerTimings = { launch_timeout_minutes: 10, boot_timeout_minutes: 30 };

/** The EC2 action the step asks for (idempotent on EC2's side: a client token, or a no-op if done). */
export type WorkerAction =
  | { kind: 'run_instance' }
  | { kind: 'start_instance' }
  | { kind: 'stop_instance' }
  | { kind: 'terminate_instance' }
  | { kind: 'probe' };

export interface WorkerStep {
  /** The worker moved (one version on), when it moves. */
  next?: WorkerRecord;
  /** What to do on EC2 (or ask CML) this pass. */
  action?: WorkerAction;
  /** Why: every step says, moved or not. */
  reason: string;
  /** The worker was lost while holding pods: the caller fails or re-places them. */
  lost_pods?: string[];
}

const MIN = 60_000;
const BY = 'fleet-reconciler';

/**
 * One level-triggered step of a worker towards its desired status. `observed` is undefined when
 * the worker has no instance yet; `probe` is whether CML answered (asked only when the step
 * before returned `probe`, so it is undefined otherwise).
 */
export function stepWorker(
  w: WorkerRecord,
  observed: ObservedInstance | undefined,
  probe: boolean | undefined,
  now: number,
  timings: WorkerTimings = DEFAULT_WORKER_TIMINGS,
): WorkerStep {
  const move = (to: WorkerStatus, reason: string, extra: Partial<WorkerRecord> = {}): WorkerRecord => {
    if (!canMove(w.status, to))
      throw new RangeError(`worker ${w.id}: ${w.status} → ${to} is not a transition`);
    return {
      ...transition(w, to, {
        now,
        by: BY,
        reason,
        started: to === 'running',
        terminal: to === 'terminated',
      }),
      ...extra,
    };
  };
  const state = observed?.state;
  const gone = state === 'absent' || state === 'terminated' || state === 'shutting-down';

  if (w.status === 'terminated') return { reason: 'terminated' };

  // Termination wins over everything: a worker asked to go goes, from any status.
  if (w.desired_status === 'terminated') {
    if (!w.instance_id || state === 'absent' || state === 'terminated')
      return { next: move('terminated', 'instance terminated'), reason: 'instance terminated' };
    if (w.pods.length && w.status === 'running')
      return { next: move('draining', 'draining before termination'), reason: 'draining before termination' };
    if (w.pods.length && w.status === 'draining') return { reason: `draining: ${w.pods.length} pod(s) left` };
    if (w.status === 'failed')
      return { action: { kind: 'terminate_instance' }, reason: 'terminating failed worker' };
    return {
      ...(w.status !== 'stopping' ? { next: move('stopping', 'terminate requested') } : {}),
      action: { kind: 'terminate_instance' },
      reason: 'terminate requested',
    };
  }

  switch (w.status) {
    case 'pending':
      if (w.desired_status !== 'running')
        return { next: move('terminated', 'never launched'), reason: 'never launched' };
      return {
        next: move('provisioning', 'launching from template ' + w.template, { launched_at: iso(now) }),
        action: { kind: 'run_instance' },
        reason: 'launching from template ' + w.template,
      };

    case 'provisioning': {
      if (!observed) {
        // The launch was asked for but its answer was lost: ask again (the client token makes it one).
        if (since(w.launched_at, now) > timings.launch_timeout_minutes * MIN)
          return fail(w, move, 'no instance after the launch timeout');
        return {
          action: w.instance_id ? { kind: 'start_instance' } : { kind: 'run_instance' },
          reason: 'instance not seen yet',
        };
      }
      if (gone) return fail(w, move, `instance ${w.instance_id} is ${state}`);
      if (state === 'running')
        return {
          next: move('starting', 'instance running, CML booting', {
            booted_at: iso(now),
            ...(observed.private_ip ? { address: observed.private_ip } : {}),
          }),
          action: { kind: 'probe' },
          reason: 'instance running, CML booting',
        };
      if (state === 'stopped' || state === 'stopping')
        return { action: { kind: 'start_instance' }, reason: `instance ${state}, starting it` };
      if (since(w.launched_at, now) > timings.launch_timeout_minutes * MIN)
        return fail(w, move, `instance still ${state} after ${timings.launch_timeout_minutes} min`);
      return { reason: `instance ${state}` };
    }

    case 'starting':
      if (!observed || gone || state === 'stopped' || state === 'stopping')
        return fail(w, move, `instance ${w.instance_id ?? '?'} is ${state ?? 'unknown'} while CML boots`);
      if (w.desired_status === 'stopped')
        return {
          next: move('stopping', 'stop requested while booting'),
          action: { kind: 'stop_instance' },
          reason: 'stop requested while booting',
        };
      if (probe === true) return { next: move('running', 'CML answers'), reason: 'CML answers' };
      if (since(w.booted_at, now) > timings.boot_timeout_minutes * MIN)
        return fail(w, move, `CML did not answer within ${timings.boot_timeout_minutes} min`);
      return { action: { kind: 'probe' }, reason: 'waiting for CML' };

    case 'running':
    case 'draining': {
      if (!observed || gone || state === 'stopped' || state === 'stopping')
        return fail(w, move, `instance ${w.instance_id ?? '?'} is ${state ?? 'unknown'}`);
      if (w.desired_status === 'running')
        return w.status === 'draining'
          ? { next: move('running', 'drain cancelled'), reason: 'drain cancelled' }
          : { reason: 'running' };
      if (w.pods.length)
        return w.status === 'running'
          ? {
              next: move('draining', `draining ${w.pods.length} pod(s)`),
              reason: `draining ${w.pods.length} pod(s)`,
            }
          : { reason: `draining: ${w.pods.length} pod(s) left` };
      return {
        next: move('stopping', 'idle, stopping'),
        action: { kind: 'stop_instance' },
        reason: 'idle, stopping',
      };
    }

    case 'stopping':
      if (!observed || state === 'absent' || state === 'terminated')
        return {
          next: move('terminated', `instance ${state ?? 'unknown'}`),
          reason: `instance ${state ?? 'unknown'}`,
        };
      if (state === 'stopped')
        return { next: move('stopped', 'instance stopped'), reason: 'instance stopped' };
      if (state === 'stopping' || state === 'shutting-down') return { reason: `instance ${state}` };
      return { action: { kind: 'stop_instance' }, reason: `instance ${state}, stopping it` };

    case 'stopped':
      if (state === 'absent' || state === 'terminated')
        return { next: move('terminated', `instance ${state}`), reason: `instance ${state}` };
      if (w.desired_status === 'running')
        return {
          next: move('provisioning', 'starting stopped instance', { launched_at: iso(now) }),
          action: { kind: 'start_instance' },
          reason: 'starting stopped instance',
        };
      return { reason: 'stopped' };

    case 'failed':
      // A failed worker's instance is not trusted again: terminate it (its pods were handled on failing).
      if (w.instance_id && state && !gone)
        return { action: { kind: 'terminate_instance' }, reason: 'terminating failed worker' };
      return { reason: w.failure ?? 'failed' };
  }
  return { reason: w.status };
}

function fail(
  w: WorkerRecord,
  move: (to: WorkerStatus, reason: string, extra?: Partial<WorkerRecord>) => WorkerRecord,
  reason: string,
): WorkerStep {
  return {
    next: move('failed', reason, { failure: reason }),
    ...(w.instance_id ? { action: { kind: 'terminate_instance' as const } } : {}),
    reason,
    ...(w.pods.length ? { lost_pods: [...w.pods] } : {}),
  };
}

function since(at: string | undefined, now: number): number {
  return at ? now - Date.parse(at) : 0;
}

/** The tags that tie an instance to its stage and worker (and let discovery find it). */
export const WORKER_TAGS = { stage: 'lcm:stage', worker: 'lcm:worker-id', template: 'lcm:template' } as const;

/**
 * What a CML worker listens on for the product: the CML API (HTTPS) and the console port range
 * each worker's pods are given ports from. The stage's security groups open exactly these, from
 * the CML-facing functions and tasks only (infra/system.ts, D120).
 */
export const WORKER_PORTS = { api: 443, consoles: { start: 2000, end: 9999 } } as const;

/**
 * A worker lost while a part held a pod on it: before the candidate starts the pod is placed
 * again (nothing of the candidate's is on it); while the candidate works or the lab is being
 * read the part fails with the reason (the work is gone); after collection the pod is no longer
 * needed and is simply released.
 */
export type PodLossAction = 'replace' | 'fail_part' | 'release';

export function podLossAction(partStatus: string): PodLossAction {
  switch (partStatus) {
    case 'pending':
    case 'instantiating':
    case 'waiting':
      return 'replace';
    case 'monitoring':
    case 'collecting':
      return 'fail_part';
    default:
      return 'release';
  }
}
