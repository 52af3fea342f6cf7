/**
 * Loading the seed catalog into a stage, idempotently: session definitions, forms, worker
 * templates, workers, and the standard lifecycle's state machines (for forms whose content ships
 * no lifecycle, or is not synced yet). Unchanged items are not rewritten; counters and confirmed
 * pod refs the running system owns are kept.
 */
import { SfnRegistrar } from '../adapters/state-machines.ts';
import { POD_TYPES } from '../domain/lifecycle.ts';
import { stateMachineArn, type ArnScope } from '../runtime/arns.ts';
import { sfnClient } from '../runtime/aws.ts';
import { env } from '../runtime/env.ts';
import { seedItems } from '../store/catalog-repo.ts';
import { keys, PARTITIONS } from '../store/keys.ts';
import type { StateStore } from '../store/state-store.ts';
import { compileLifecycle } from '../../state-machines/compile.ts';
import { STANDARD_LIFECYCLE } from '../../state-machines/standard-lifecycle.ts';
import { loadSeeds } from './seeds.ts';
import { formKey } from './types.ts';

export interface SeedOptions {
  store: StateStore;
  /** The folder of the seed YAML files. */
  dir: string;
  now: string;
  /** Local runtime: where simulated workers really are (their CML API and console address). */
  workers?: { address?: string; cml_url?: string };
  /** Where to register the standard machines; absent: not registered (tests of the catalog alone). */
  machines?: ArnScope;
}

/** The standard lifecycle's machines: one per pod type and phase that pod type runs. */
async function registerStandardMachines(scope: ArnScope): Promise<number> {
  const registrar = new SfnRegistrar(sfnClient(), env('stateMachineRoleArn'), (n) =>
    stateMachineArn(scope, n),
  );
  let n = 0;
  for (const podType of POD_TYPES)
    for (const m of compileLifecycle(STANDARD_LIFECYCLE, {
      stage: env('stage'),
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

export async function seedCatalog(o: SeedOptions) {
  const { store, now } = o;
  const seeds = await loadSeeds(o.dir);
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
        ...(o.workers?.address ? { address: o.workers.address } : {}),
        ...(o.workers?.cml_url ? { cml_url: o.workers.cml_url } : {}),
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
  const standard_state_machines = o.machines ? await registerStandardMachines(o.machines) : 0;
  return { definitions, forms, templates, workers, standard_state_machines };
}
