/**
 * The scheduler's availability question with ports from the environment, and the stage's fleet
 * configuration. Apart from `service.ts` (the reconcile pass's ports, EC2 among them): the workers
 * API answers availability and never calls EC2, and importing this from `service.ts` loaded
 * `@aws-sdk/client-ec2` into its cold start (D187).
 */
import type { Clock } from '../domain/clock.ts';
import { DEFAULT_FLEET_CONFIG, type FleetConfig } from '../domain/scaling.ts';
import { podDefinitionDocument } from '../content/pod-definitions.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { s3SdkOnFirstUse } from '../runtime/aws-s3-on-first-use.ts';
import { env } from '../runtime/env.ts';
import { keys } from '../store/keys.ts';
import { StateStore, type StoredItem } from '../store/state-store.ts';
import { ViewStore } from '../store/views.ts';
import { availability, type AvailabilityQuery } from './availability.ts';
import { cachedDemand } from './demand.ts';

/** The stage's fleet configuration: the defaults, overridden by the stored item (seeds/workers.yaml). */
export async function fleetConfig(store: StateStore): Promise<FleetConfig> {
  const stored = await store.get<StoredItem & Partial<FleetConfig>>(keys.fleetConfig());
  const config: FleetConfig = { ...DEFAULT_FLEET_CONFIG };
  for (const k of Object.keys(DEFAULT_FLEET_CONFIG) as (keyof FleetConfig)[])
    if (stored?.[k] !== undefined) (config as unknown as Record<string, unknown>)[k] = stored[k];
  return config;
}

/** The scheduler's question (GET /v1/availability), with the stage's fleet configuration. */
export async function availabilityAnswer(clock: Clock, q: AvailabilityQuery) {
  const store = new StateStore(documentClient(), env('stateTable'));
  return availability(
    {
      store,
      views: new ViewStore(documentClient(), env('viewsTable')),
      clock,
      demandOf: cachedDemand((id) => podDefinitionDocument(id, s3SdkOnFirstUse, store)),
      config: await fleetConfig(store),
    },
    q,
  );
}
