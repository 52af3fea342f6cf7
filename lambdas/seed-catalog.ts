/**
 * Loads the seed catalog idempotently: session definitions, forms, worker templates, the fleet's
 * warm minimum and the standard lifecycle's state machines. Invoked by the local runtime at start and once after
 * a deploy in AWS (README: "Load the seed catalog").
 */
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { seedCatalog } from '../shared/catalog/seed.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { scopeOf } from '../shared/runtime/arns.ts';
import { documentClient } from '../shared/runtime/aws-dynamodb.ts';
import { env, envOptional } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { logger } from '../shared/observability/logger.ts';

export async function handler(_event: unknown = {}, context?: Context) {
  const result = await seedCatalog({
    store: new StateStore(documentClient(), env('stateTable')),
    dir: envOptional('seedsDir') ?? join(import.meta.dirname, '..', 'seeds'),
    now: new Date(runtimeClock().now()).toISOString(),
    ...(context ? { machines: scopeOf(context) } : {}),
  });
  logger.info('seeded', result);
  return result;
}
