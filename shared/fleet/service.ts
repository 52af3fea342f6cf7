/**
 * The fleet reconcile pass's ports, wired from the environment: the state table, EC2 through the
 * SDK (AWS, or the local runtime's EC2 endpoint through AWS_ENDPOINT_URL_EC2), the stored worker
 * templates and fleet settings (seeds/workers.yaml), the booked pods read from the session views,
 * and CML's readiness probe over HTTP. The scheduled entry (a Lambda in AWS, the local runtime's
 * clock tick) calls `runFleetPass`; nothing else differs between the two.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Ec2Workers } from '../adapters/ec2.ts';
import { podDefinitionDocument } from '../content/pod-definitions.ts';
import type { Clock } from '../domain/clock.ts';
import type { PodBooking } from '../domain/scaling.ts';
import type { WorkerRecord, WorkerTemplate } from '../domain/worker.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { s3SdkOnFirstUse } from '../runtime/aws-s3-on-first-use.ts';
import { ec2Client } from '../runtime/aws-ec2.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { ENV, env, envOptional } from '../runtime/env.ts';
import { PARTITIONS } from '../store/keys.ts';
import { StateStore, type StoredItem } from '../store/state-store.ts';
import { ViewStore } from '../store/views.ts';
import { fleetConfig } from './availability-service.ts';
import { bookedDemand, cachedDemand } from './demand.ts';
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
  const config = await fleetConfig(store);
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
 * The booked pods that are not gone, from the active sessions' tree views (shared/fleet/demand.ts,
 * the same reading the availability answer uses): pending sessions within the booking horizon.
 */
export function readBookings(
  store: StateStore,
  now: number,
  views = new ViewStore(documentClient(), env('viewsTable')),
): Promise<PodBooking[]> {
  return bookedDemand(
    views,
    cachedDemand((id) => podDefinitionDocument(id, s3SdkOnFirstUse, store)),
    {
      pendingUntil: now + BOOKING_HORIZON_MS,
    },
  );
}

/**
 * Where the stage launches workers, from the variables the topology's `fleet` grant sets (the
 * stage's worker subnets, the workers' security group and instance profile; D120).
 */
export function fleetNetworkFromEnv(): FleetSettings['network'] {
  const subnets = env('workerSubnets').split(',').filter(Boolean);
  if (!subnets.length) throw new Error(`${ENV.workerSubnets} names no subnet`);
  const profile = envOptional('workerInstanceProfileArn');
  return {
    subnet_id: subnets[0]!,
    security_group_ids: env('workerSecurityGroups').split(',').filter(Boolean),
    ...(profile ? { instance_profile_arn: profile } : {}),
    public_ip: envOptional('workerPublicIp') === 'true',
  };
}
