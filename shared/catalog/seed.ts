/**
 * Loading the seed catalog into a stage, idempotently: session definitions, forms, worker
 * templates, the fleet's warm minimum and scaling settings, and the standard lifecycle's state machines (for forms whose content ships
 * no lifecycle, or is not synced yet). Unchanged items are not rewritten; counters and confirmed
 * pod refs the running system owns are kept.
 */
import { SfnRegistrar } from '../adapters/state-machines.ts';
import { POD_TYPES } from '../domain/lifecycle.ts';
import { stateMachineArn, type ArnScope } from '../runtime/arns.ts';
import { sfnClient } from '../runtime/aws-sfn.ts';
import { env } from '../runtime/env.ts';
import { seedItems } from '../store/catalog-repo.ts';
import { keys } from '../store/keys.ts';
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
  // Workers are not seeded: the fleet reconcile pass launches them from the templates, starting
  // with this warm minimum (D125).
  const fleet = await seedItems(
    store,
    [{ key: keys.fleetConfig(), entity: 'fleet_config', doc: { ...seeds.fleet } }],
    now,
  );
  const standard_state_machines = o.machines ? await registerStandardMachines(o.machines) : 0;
  return { definitions, forms, templates, fleet, standard_state_machines };
}
