/**
 * A part's lifecycle as content describes it (`lifecycle.yaml`): the phases, the native steps the
 * product runs in them, and the jobs. The names here cross every boundary: the validator accepts
 * them, the compiler turns them into state machines, the reconciler walks them in order and the
 * native-steps function implements them. One definition each.
 */

/** Where a pod runs. `roc_radkit` reaches pre-existing devices; `none` is web-only content. */
export const POD_TYPES = ['cml_on_aws', 'proxmox', 'vmware', 'roc_radkit', 'none'] as const;
export type PodType = (typeof POD_TYPES)[number];
export const isPodType = (s: unknown): s is PodType => POD_TYPES.includes(s as PodType);

/** The kind of host a pod needs (a worker's `host_type`). */
export const HOST_TYPES = ['cml_on_aws', 'vmware', 'proxmox', 'native_aws', 'hybrid_hardware'] as const;
export type HostType = (typeof HOST_TYPES)[number];

/**
 * A pod's host type: what the manifest declares, otherwise what its pod type runs on. Device-based
 * content (`roc_radkit`) runs on hybrid hardware; web-only content (`none`) needs no host.
 */
export function hostTypeFor(pod: PodType, declared?: HostType): HostType | null {
  if (declared) return declared;
  if (pod === 'none') return null;
  if (pod === 'roc_radkit') return 'hybrid_hardware';
  return pod;
}

/**
 * Every phase name a lifecycle may use, in the order a part runs them. A part runs the phases its
 * content defines, in this order; a phase the content does not define is passed through.
 */
export const PHASE_ORDER = [
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
export type PhaseName = (typeof PHASE_ORDER)[number];
export const isPhaseName = (s: string): s is PhaseName => PHASE_ORDER.includes(s as PhaseName);

/**
 * The product's native steps: short, product-owned work a phase runs before its jobs. An unknown
 * name in a lifecycle fails validation; the native-steps function implements each.
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

export interface LifecycleJob {
  definition: string;
  process_type?: string;
  rubric?: string;
  report?: string;
  runtime?: 'lambda' | 'fargate';
}

export interface LifecyclePhase {
  name: string;
  native_steps_by_pod_type?: Record<string, string[]>;
  jobs?: LifecycleJob[];
  timeout_seconds?: number;
  retry?: { max_attempts: number; backoff_seconds?: number };
  on_failure?: 'fail' | 'continue';
  /**
   * The pod types this phase runs for (absent: every pod type). The standard lifecycle uses it:
   * web-only parts have no devices to collect from, so they have no collect phase.
   */
  pod_types?: PodType[];
}

export interface Lifecycle {
  kind: 'Lifecycle';
  spec: { phases: LifecyclePhase[] };
}

/** The phases of `lifecycle` that a part of `podType` runs, in document order. */
export const phasesFor = (lifecycle: Lifecycle, podType: PodType): LifecyclePhase[] =>
  lifecycle.spec.phases.filter((p) => !p.pod_types || p.pod_types.includes(podType));
