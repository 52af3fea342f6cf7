/**
 * The fleet reconcile pass's ports, wired from the environment: the state table, EC2 through the
 * SDK (AWS, or the local runtime's EC2 endpoint through AWS_ENDPOINT_URL_EC2), the stored worker
 * templates and fleet settings (seeds/workers.yaml), the booked pods read from the session views,
 * and CML's readiness probe over HTTP. The scheduled entry (a Lambda in AWS, the local runtime's
 * clock tick) calls `runFleetPass`; nothing else differs between the two.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Ec2Workers } from '../adapters/ec2.ts';
import { podDefinitionDocument } from '../content/service.ts';
import type { Clock } from '../domain/clock.ts';
import type { HostType } from '../domain/lifecycle.ts';
import { placementTarget, type Licence } from '../domain/placement.ts';
import { DEFAULT_FLEET_CONFIG, type FleetConfig, type PodBooking } from '../domain/scaling.ts';
import { POD_GONE, SESSION_STATUSES, SESSION_TERMINAL } from '../domain/session.ts';
import { cleanupDeadline, provisionAt } from '../domain/timeslot.ts';
import type { WorkerRecord, WorkerTemplate } from '../domain/worker.ts';
import { documentClient, ec2Client } from '../runtime/aws.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env } from '../runtime/env.ts';
import { keys, PARTITIONS, viewKeys } from '../store/keys.ts';
import { StateStore, type StoredItem } from '../store/state-store.ts';
import { ViewStore } from '../store/views.ts';
import {
  DEFAULT_FLEET_SETTINGS,
  reconcileFleet,
  type Ec2Port,
  type FleetPassReport,
  type FleetPorts,
  type FleetSettings,
} from './reconcile.ts';

export interface FleetPassOptions {
  /** Where workers are launched (the stage's subnet and security group). */
  network: FleetSettings['network'];
  /** Overrides of the stored settings (tests, the local runtime's CML address pattern). */
  settings?: Partial<FleetSettings>;
  ec2?: Ec2Port;
  clock?: Clock;
  /**
   * The DynamoDB client (default: the environment's). The local runtime passes one that is not
   * metered: the pass costs per minute, not per session, as the scheduled ticks do.
   */
  dynamo?: DynamoDBDocumentClient;
  /** How long the readiness probe waits for CML (default 5 s). */
  probeTimeoutMs?: number;
  log?: FleetPorts['log'];
}

const ACTIVE = SESSION_STATUSES.filter((s) => !SESSION_TERMINAL.has(s));
/** Booked sessions further ahead than this do not matter to this pass (look-ahead is an hour). */
const BOOKING_HORIZON_MS = 24 * 3600_000;

/** One pass of the fleet reconcile loop with ports from the environment. */
export async function runFleetPass(o: FleetPassOptions): Promise<FleetPassReport> {
  return reconcileFleet(await fleetPorts(o));
}

export async function fleetPorts(o: FleetPassOptions): Promise<FleetPorts> {
  const dynamo = o.dynamo ?? documentClient();
  const store = new StateStore(dynamo, env('stateTable'));
  const clock = o.clock ?? runtimeClock();
  const stored = await store.get<StoredItem & Partial<FleetConfig>>(keys.fleetConfig());
  const config: FleetConfig = { ...DEFAULT_FLEET_CONFIG };
  for (const k of Object.keys(DEFAULT_FLEET_CONFIG) as (keyof FleetConfig)[])
    if (stored?.[k] !== undefined) (config as unknown as Record<string, unknown>)[k] = stored[k];
  const settings: FleetSettings = { ...config, ...DEFAULT_FLEET_SETTINGS, network: o.network, ...o.settings };
  const timeout = o.probeTimeoutMs ?? 5_000;
  let n = 0;
  return {
    store,
    ec2: o.ec2 ?? new Ec2Workers(ec2Client(), env('stage')),
    clock,
    settings,
    probe: (w) => cmlAnswers(w, timeout),
    templates: async () =>
      (await store.queryPartition<StoredItem & WorkerTemplate>(PARTITIONS.workerTemplates)).map((t) => t),
    bookings: () => readBookings(store, clock.now(), new ViewStore(dynamo, env('viewsTable'))),
    newWorkerId: () =>
      `wrk_${clock.now().toString(36)}${(++n).toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    ...(o.log ? { log: o.log } : {}),
  };
}

/** CML answers its system information endpoint (no credentials needed), within the timeout. */
async function cmlAnswers(w: WorkerRecord, timeoutMs: number): Promise<boolean> {
  if (!w.address) return false;
  const base = w.cml_url ?? `https://${w.address}`;
  try {
    const res = await fetch(`${base}/api/v0/system_information`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      return false;
    }
    return ((await res.json()) as { ready?: boolean }).ready === true;
  } catch {
    return false;
  }
}

/**
 * The booked pods that are not gone, from the active sessions' tree views: each with its part's
 * provision time and cleanup deadline, its worker once placed, and what its content needs.
 */
export async function readBookings(
  store: StateStore,
  now: number,
  views = new ViewStore(documentClient(), env('viewsTable')),
): Promise<PodBooking[]> {
  const out: PodBooking[] = [];
  const needsOf = new Map<
    string,
    Promise<PodBooking['needs'] & { host_type?: HostType; license?: Licence }>
  >();
  for (const status of ACTIVE) {
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await views.listSessions({
        index: 'by_status',
        partition: viewKeys.byStatus(status),
        ...(status === 'pending' ? { to: new Date(now + BOOKING_HORIZON_MS).toISOString() } : {}),
        limit: 100,
        cursor,
      });
      for (const tree of page.items)
        for (const pod of tree.pods) {
          if (POD_GONE.has(pod.status)) continue;
          const part = tree.parts.find((p) => p.order === pod.part_order);
          if (!part) continue;
          const defId = pod.pod_definition_id ?? part.pod_definition_id;
          let needs = needsOf.get(defId ?? '');
          if (!needs) needsOf.set(defId ?? '', (needs = podNeeds(defId, store)));
          const n = await needs.catch(() => undefined);
          if (!n) continue;
          let target: { host_type: HostType; license?: Licence };
          try {
            target = placementTarget(pod.pod_type, {
              host_type: n.host_type ?? null,
              license: n.license ?? null,
            });
          } catch {
            continue; // web-only content runs on no worker
          }
          out.push({
            pod_id: pod.id,
            session_id: pod.session_id,
            host_type: target.host_type,
            ...(target.license ? { license: target.license } : {}),
            needs: { cpu_cores: n.cpu_cores, memory_gb: n.memory_gb, nodes: n.nodes, ports: n.ports },
            provision_at: provisionAt(part.timeslot),
            release_at: cleanupDeadline(part.timeslot),
            ...(pod.host_id ? { host_id: pod.host_id } : {}),
          });
        }
      cursor = page.cursor;
    } while (cursor);
  }
  return out;
}

interface TopologyDoc {
  nodes?: { cpus?: number; ram?: number }[];
}

/** What a pod definition's content asks of a worker (as the native steps' placement counts it). */
async function podNeeds(
  id: string | undefined,
  store: StateStore,
): Promise<PodBooking['needs'] & { host_type?: HostType; license?: Licence }> {
  if (!id) return { cpu_cores: 1, memory_gb: 1, nodes: 1, ports: 1 };
  const d = await podDefinitionDocument(id, store);
  const nodes = (d.topology as TopologyDoc | null)?.nodes ?? [];
  const host = d.host_type as HostType | null | undefined;
  const license = (d.manifest as { license?: Licence } | undefined)?.license;
  return {
    cpu_cores: Math.max(
      1,
      nodes.reduce((s, x) => s + (x.cpus ?? 1), 0),
    ),
    memory_gb: Math.max(1, Math.ceil(nodes.reduce((s, x) => s + (x.ram ?? 512), 0) / 1024)),
    nodes: Math.max(1, nodes.length),
    ports: ((d.ports as string[] | undefined) ?? []).length,
    ...(host ? { host_type: host } : {}),
    ...(license ? { license } : {}),
  };
}
