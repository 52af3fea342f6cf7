/**
 * Wires the fleet reconcile pass from the environment (the scheduled Lambda in AWS, the same
 * function in the local runtime): EC2 through the SDK (AWS_ENDPOINT_URL_EC2 locally), workers and
 * worker templates from the state table, booked demand from the views, the readiness probe through
 * the CML API. The launch network comes from the variables the topology's `fleet` grant sets.
 */
import { CmlClient } from '../adapters/cml.ts';
import { Ec2Workers } from '../adapters/ec2.ts';
import { cmlCredentials } from '../adapters/secrets.ts';
import { podDefinitionDocument } from '../content/service.ts';
import type { Clock } from '../domain/clock.ts';
import { ID_PREFIX, newId } from '../domain/ids.ts';
import { DEFAULT_FLEET_CONFIG } from '../domain/scaling.ts';
import type { WorkerTemplate } from '../domain/worker.ts';
import { documentClient, ec2Client } from '../runtime/aws.ts';
import { env, envOptional } from '../runtime/env.ts';
import { StateStore } from '../store/state-store.ts';
import { ViewStore } from '../store/views.ts';
import { availability, type AvailabilityQuery } from './availability.ts';
import { bookedDemand, cachedDemand } from './demand.ts';
import { workerTemplates } from './templates.ts';
import { DEFAULT_FLEET_SETTINGS, reconcileFleet, type FleetPorts, type FleetSettings } from './reconcile.ts';

/** The stage's fleet settings: the defaults (D84) and the launch network from the environment. */
export function fleetSettings(): FleetSettings {
  const subnets = env('workerSubnets').split(',').filter(Boolean);
  if (!subnets.length) throw new Error(`${'LCM_WORKER_SUBNETS'} names no subnet`);
  const profile = envOptional('workerInstanceProfileArn');
  return {
    ...DEFAULT_FLEET_CONFIG,
    ...DEFAULT_FLEET_SETTINGS,
    region: process.env.AWS_REGION ?? DEFAULT_FLEET_CONFIG.region,
    network: {
      subnet_id: subnets[0]!,
      security_group_ids: env('workerSecurityGroups').split(',').filter(Boolean),
      ...(profile ? { instance_profile_arn: profile } : {}),
      public_ip: envOptional('workerPublicIp') === 'true',
    },
  };
}

export function fleetPorts(clock: Clock, log?: FleetPorts['log']): FleetPorts {
  const store = new StateStore(documentClient(), env('stateTable'));
  const views = new ViewStore(documentClient(), env('viewsTable'));
  const ec2 = new Ec2Workers(ec2Client(), env('stage'));
  let templates: Promise<WorkerTemplate[]> | undefined;
  return {
    store,
    clock,
    ec2,
    settings: fleetSettings(),
    probe: async (w) => {
      const creds = (await cmlCredentials(clock.now())).cml;
      if (!creds || !(w.cml_url || w.address)) return false;
      const client = new CmlClient({
        baseUrl: w.cml_url ?? `https://${w.address}`,
        username: creds.username,
        password: creds.password,
        timeoutMs: 5_000,
      });
      return client.probe();
    },
    // One read per pass.
    templates: () => (templates ??= workerTemplates(store)),
    bookings: () =>
      bookedDemand(
        views,
        cachedDemand((id) => podDefinitionDocument(id, store)),
      ),
    newWorkerId: () => newId(ID_PREFIX.worker, clock),
    ...(log ? { log } : {}),
  };
}

/** One pass (the scheduled tick). */
export const fleetTick = (clock: Clock, log?: FleetPorts['log']) => reconcileFleet(fleetPorts(clock, log));

/** The scheduler's question (GET /v1/availability), with the stage's fleet configuration. */
export function availabilityAnswer(clock: Clock, q: AvailabilityQuery) {
  const store = new StateStore(documentClient(), env('stateTable'));
  return availability(
    {
      store,
      views: new ViewStore(documentClient(), env('viewsTable')),
      clock,
      demandOf: cachedDemand((id) => podDefinitionDocument(id, store)),
      config: { ...DEFAULT_FLEET_CONFIG, region: process.env.AWS_REGION ?? DEFAULT_FLEET_CONFIG.region },
    },
    q,
  );
}
