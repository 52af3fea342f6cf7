/** The catalog: session definitions, part definitions, forms, worker templates. */
import type { PodType } from '../domain/lifecycle.ts';
import type { ParsedFqn } from './fqn.ts';

export type Profile = 'lablet' | 'practicelab' | 'expertlab' | 'expertdesign';

export interface Requirements {
  track_types?: string[];
  track_levels?: string[];
  track_acronyms?: string[];
  exam_versions?: string[];
  module_acronyms?: string[];
  /** How many parts of one session this selector may fill (each with a different form). */
  parts_count?: number;
  /** true: the form must carry a pod (pod_type ≠ none); false: it must not. */
  requires_pod?: boolean;
}

export interface PartDefinition {
  name: string;
  order: number;
  selector_pattern: string;
  requirements?: Requirements;
  gates_next: boolean;
  duration_minutes: number;
  lead_time_minutes?: number;
  review?: 'auto' | 'manual';
  /** A manual review undecided this long after it entered `reviewing` is escalated (never dropped). */
  review_deadline_minutes?: number;
}

export interface SessionDefinition {
  session_type: string;
  version: string;
  title: string;
  profile: Profile;
  addressed_by: 'fqn' | 'session_type';
  part_execution: 'single' | 'sequential' | 'parallel';
  session_lifecycle: string[];
  parts: PartDefinition[];
  timeslot_policy: {
    default_duration_minutes: number;
    lead_time_minutes: number;
    teardown_buffer_minutes: number;
    /** How far ahead a session may start (default DEFAULT_BOOKING_HORIZON_DAYS). */
    booking_horizon_days?: number;
    /** How much later than booked a session may be extended (default DEFAULT_MAX_EXTENSION_MINUTES). */
    max_extension_minutes?: number;
    /** How long each part may be paused in total (default DEFAULT_MAX_PAUSE_MINUTES, shared/domain/pause.ts). */
    max_pause_minutes?: number;
  };
  cut_score: number;
  abort_on_part_failure?: boolean;
  metadata?: Record<string, unknown>;
}

/** A form's pod reference; `status` is `ready` once content sync confirmed it. */
export interface PodRef {
  pod_type: PodType;
  status: 'pending' | 'ready' | 'failed';
  definition_id?: string;
  version?: string;
  content_hash?: string;
  /** phase → registered state machine, copied from the pod definition when sync confirms the ref. */
  state_machines?: Record<string, string>;
}

/** A form: its FQN and the six taxonomy fields parsed from it, and what delivers it. */
export interface Form extends ParsedFqn {
  version: string;
  title?: string;
  status: 'draft' | 'published' | 'deprecated';
  content_id: string;
  content_ref?: string;
  pod_ref?: PodRef;
  exposure_count?: number;
}

export interface WorkerTemplate {
  name: string;
  instance_type: string;
  ami_name_pattern: string;
  host_type: 'cml_on_aws';
  cml_version: string;
  license: 'personal' | 'enterprise' | 'evaluation';
  capacity: { cpu_cores: number; memory_gb: number; storage_gb: number; max_nodes: number };
  cost_per_hour_usd: number;
  max_per_region: number;
}

export const hasPod = (f: Pick<Form, 'pod_ref'>) => !!f.pod_ref && f.pod_ref.pod_type !== 'none';
export const formKey = (f: Pick<Form, 'fqn' | 'version'>) => `${f.fqn}@${f.version}`;
