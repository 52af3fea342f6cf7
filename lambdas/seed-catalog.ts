/**
 * Loads the seed catalog idempotently: session definitions, forms, worker templates and workers.
 * Invoked by the local runtime at start and by a deploy-time trigger in AWS. Unchanged items are
 * not rewritten; counters and confirmed pod refs the running system owns are kept.
 */
import { join } from 'node:path';
import { loadSeeds } from '../shared/catalog/seeds.ts';
import { formKey } from '../shared/catalog/types.ts';
import { seedItems } from '../shared/store/catalog-repo.ts';
import { keys, PARTITIONS } from '../shared/store/keys.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { documentClient } from '../shared/runtime/aws.ts';
import { env } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { logger } from '../shared/observability/logger.ts';
import { compileLifecycle } from '../state-machines/compile.ts';
import { STANDARD_LIFECYCLE } from '../shared/content/standard-lifecycle.ts';
import { SfnRegistrar } from '../shared/content/adapters.ts';
import { sfnClient } from '../shared/runtime/aws.ts';
import type { PodType } from '../shared/catalog/types.ts';
import type { Context } from 'aws-lambda';

export interface SeedEvent {
  /** Local runtime: where simulated workers really are (their CML API and console address). */
  workers?: { address?: string; cml_url?: string };
}

const POD_TYPES: PodType[] = ['cml_on_aws', 'proxmox', 'vmware', 'roc_radkit', 'none'];

/** The standard lifecycle's machines, for forms whose content ships none (or is not synced yet). */
async function registerStandardMachines(context: Context): Promise<number> {
  const [, , , region, account] = context.invokedFunctionArn.split(':');
  const registrar = new SfnRegistrar(
    sfnClient(),
    env('stateMachineRoleArn'),
    (n) => `arn:aws:states:${region}:${account}:stateMachine:${n}`,
  );
  let n = 0;
  for (const podType of POD_TYPES)
    for (const m of compileLifecycle(STANDARD_LIFECYCLE, {
      podDefinitionId: null,
      podType,
      availableJobs: new Set(),
      standardLifecycle: true,
      targets: { nativeStepsArn: env('nativeStepsFunctionArn'), jobRunnerArn: env('jobRunnerFunctionArn') },
    })) {
      await registrar.register(m.name, m.definition);
      n++;
    }
  return n;
}

export async function handler(event: SeedEvent = {}, context?: Context) {
  const dir = process.env.LCM_SEEDS_DIR ?? join(import.meta.dirname, '..', 'seeds');
  const seeds = await loadSeeds(dir);
  const store = new StateStore(documentClient(), env('stateTable'));
  const now = new Date(runtimeClock().now()).toISOString();
  const definitions = await seedItems(
    store,
    seeds.definitions.map((d) => ({
      key: keys.sessionDefinition(d.session_type),
      entity: 'session_definition',
      doc: { ...d },
    })),
    now,
  );
  const forms = await seedItems(
    store,
    seeds.forms.map((f) => ({
      key: keys.form(f.fqn, f.version),
      entity: 'form',
      doc: { ...f, id: formKey(f) },
    })),
    now,
    (current) => ({
      exposure_count: current.exposure_count ?? 0,
      ...((current.pod_ref as { definition_id?: string } | undefined)?.definition_id
        ? { pod_ref: current.pod_ref }
        : {}),
    }),
  );
  const templates = await seedItems(
    store,
    seeds.workerTemplates.map((t) => ({
      key: keys.workerTemplate(t.name),
      entity: 'worker_template',
      doc: { ...t },
    })),
    now,
  );
  const workers = await seedItems(
    store,
    seeds.workers.map((w) => ({
      key: keys.worker(w.id),
      entity: 'worker',
      index: { gsi1pk: PARTITIONS.allWorkers, gsi1sk: `${w.region}#${w.id}` },
      doc: {
        ...w,
        ...(event.workers?.address ? { address: event.workers.address } : {}),
        ...(event.workers?.cml_url ? { cml_url: event.workers.cml_url } : {}),
        desired_status: w.status,
        allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
        ports_in_use: [],
        pods: [],
        sessions: [],
        state_history: [],
      },
    })),
    now,
    (current) => ({
      allocated: current.allocated,
      ports_in_use: current.ports_in_use,
      pods: current.pods,
      sessions: current.sessions,
    }),
  );
  const standard_state_machines = context ? await registerStandardMachines(context) : 0;
  const result = { definitions, forms, templates, workers, standard_state_machines };
  logger.info('seeded', result);
  return result;
}
