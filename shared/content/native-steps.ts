/**
 * The product's native steps: short, product-owned work a lifecycle phase runs before its jobs
 * (CONTENT.md §5). An unknown name in a lifecycle fails validation. The native-steps function
 * implements each.
 */
export const NATIVE_STEPS = {
  lab_resolve: "Find or import the pod's lab on its worker (placement happens in ports_alloc)",
  ports_alloc: 'Place the pod on a worker and allocate its console ports atomically',
  tags_sync: "Write the allocated ports into the lab's node tags",
  lab_start: 'Start the lab and wait for convergence',
  lds_register: 'Register the part with the lab delivery system: devices and launch URL',
  mark_ready: 'Mark the pod ready',
  lab_stop: 'Stop the lab',
  lab_wipe: 'Wipe the lab',
  archive: 'Archive evidence and reports to the artefacts bucket',
  ports_release: "Release the pod's ports and worker capacity",
  lds_release: "Release the part's lab delivery session",
  record_ungraded: 'Record that the part has no rubric to grade against',
} as const;

export type NativeStep = keyof typeof NATIVE_STEPS;
export const isNativeStep = (s: string): s is NativeStep => Object.hasOwn(NATIVE_STEPS, s);

/** Phase names → the part status they run in (CONTENT.md §5). */
export const PHASE_NAMES = [
  'instantiate',
  'post_init',
  'ready',
  'monitor',
  'collect',
  'grade',
  'review',
  'submit',
  'teardown',
  'archive',
] as const;
