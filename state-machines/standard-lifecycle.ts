/**
 * The product's standard lifecycle, for content that ships no lifecycle.yaml: instantiate (lab,
 * ports, tags, start, lab-delivery registration, ready), collect, grade (rubric), archive (stop,
 * wipe, release). Jobs apply only when the package defines them (post_init@v1, collect@v1,
 * grade@v1). This object is the one copy: the validator, the compiler, seeding (which registers
 * its machines) and the planner (which names them on each part) all read it; `npx lcm lifecycle
 * standard` prints it as YAML.
 */
import { phasesFor, type Lifecycle, type PodType } from '../shared/domain/lifecycle.ts';
import { standardMachineName } from '../shared/domain/names.ts';

export const STANDARD_LIFECYCLE: Lifecycle = {
  kind: 'Lifecycle',
  spec: {
    phases: [
      {
        name: 'instantiate',
        native_steps_by_pod_type: {
          cml_on_aws: ['lab_resolve', 'ports_alloc', 'tags_sync', 'lab_start', 'lds_register', 'mark_ready'],
          proxmox: ['ports_alloc', 'lds_register', 'mark_ready'],
          vmware: ['ports_alloc', 'lds_register', 'mark_ready'],
          roc_radkit: ['lds_register', 'mark_ready'],
          none: ['lds_register', 'mark_ready'],
        },
        jobs: [{ definition: 'post_init@v1', process_type: 'Initialization' }],
        retry: { max_attempts: 2, backoff_seconds: 5 },
        timeout_seconds: 1800,
      },
      {
        name: 'collect',
        // Web-only parts have no devices to collect from.
        pod_types: ['cml_on_aws', 'proxmox', 'vmware', 'roc_radkit'],
        jobs: [{ definition: 'collect@v1' }],
        timeout_seconds: 900,
      },
      {
        name: 'grade',
        native_steps_by_pod_type: { cml_on_aws: [], proxmox: [], vmware: [], roc_radkit: [], none: [] },
        jobs: [{ definition: 'grade@v1', process_type: 'Grading', rubric: 'rubric' }],
        timeout_seconds: 900,
      },
      {
        name: 'archive',
        native_steps_by_pod_type: {
          cml_on_aws: ['lab_stop', 'lab_wipe', 'archive', 'ports_release', 'lds_release'],
          proxmox: ['archive', 'ports_release', 'lds_release'],
          vmware: ['archive', 'ports_release', 'lds_release'],
          roc_radkit: ['archive', 'lds_release'],
          none: ['archive', 'lds_release'],
        },
        retry: { max_attempts: 3, backoff_seconds: 5 },
        timeout_seconds: 900,
      },
    ],
  },
};

/** phase → registered state machine, for a part of `podType` whose content ships no lifecycle. */
export function standardPhases(stage: string, podType: PodType): Record<string, string> {
  return Object.fromEntries(
    phasesFor(STANDARD_LIFECYCLE, podType).map((p) => [p.name, standardMachineName(stage, podType, p.name)]),
  );
}
