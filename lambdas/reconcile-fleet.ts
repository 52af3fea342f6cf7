/** The fleet's scheduled tick: one reconcile pass over the CML workers (shared/fleet/reconcile.ts). */
import { fleetTick } from '../shared/fleet/service.ts';
import { logger } from '../shared/observability/logger.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';

export async function handler() {
  const report = await fleetTick(runtimeClock(), (msg, data) => logger.info(msg, data));
  logger.info('fleet pass', {
    workers: report.workers,
    decisions: report.decisions.length,
    errors: report.errors,
  });
  return report;
}
