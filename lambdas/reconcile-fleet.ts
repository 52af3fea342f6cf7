/**
 * The fleet's scheduled tick: one reconcile pass over the CML workers (shared/fleet/reconcile.ts),
 * launching into the stage's network the topology's `fleet` grant names.
 */
import { fleetNetworkFromEnv, runFleetPass } from '../shared/fleet/service.ts';
import { logger } from '../shared/observability/logger.ts';

export async function handler() {
  const report = await runFleetPass({
    network: fleetNetworkFromEnv(),
    log: (msg, data) => logger.info(msg, data),
  });
  logger.info('fleet pass', {
    workers: report.workers,
    decisions: report.decisions.length,
    errors: report.errors,
  });
  return report;
}
