/**
 * The standard lifecycle (state-machines/standard-lifecycle.yaml), for content that ships none.
 * Kept as data here so the validator and the compiler share one copy; a test checks it equals the
 * YAML file.
 */
import type { Lifecycle } from './validate.ts';

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
      { name: 'collect', jobs: [{ definition: 'collect@v1' }], timeout_seconds: 900 },
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
