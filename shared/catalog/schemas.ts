/** JSON Schemas (draft 2020-12) of the seed files; the loader validates each file against these. */
import type { JsonSchema } from '../api/schema.ts';
import { POD_TYPES } from '../domain/lifecycle.ts';

const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' };
const strings = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true };
const podType = { enum: [...POD_TYPES] };
const minutes = { type: 'integer', minimum: 0, maximum: 1440 };

export const requirementsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    track_types: strings,
    track_levels: strings,
    track_acronyms: strings,
    exam_versions: strings,
    module_acronyms: strings,
    parts_count: { type: 'integer', minimum: 1, maximum: 20 },
    requires_pod: { type: 'boolean' },
  },
};

export const sessionDefinitionsFileSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['definitions'],
  properties: {
    definitions: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'session_type',
          'version',
          'title',
          'profile',
          'addressed_by',
          'part_execution',
          'session_lifecycle',
          'timeslot_policy',
          'cut_score',
          'parts',
        ],
        properties: {
          session_type: name,
          version: { type: 'string', minLength: 1 },
          title: { type: 'string', minLength: 1 },
          profile: { enum: ['lablet', 'practicelab', 'expertlab', 'expertdesign'] },
          addressed_by: { enum: ['fqn', 'session_type'] },
          part_execution: { enum: ['single', 'sequential', 'parallel'] },
          session_lifecycle: {
            type: 'array',
            items: { enum: ['admit', 'run_parts', 'aggregate', 'submit', 'finalize'] },
            minItems: 1,
          },
          timeslot_policy: {
            type: 'object',
            additionalProperties: false,
            required: ['default_duration_minutes', 'lead_time_minutes', 'teardown_buffer_minutes'],
            properties: {
              default_duration_minutes: { type: 'integer', minimum: 1, maximum: 1440 },
              lead_time_minutes: minutes,
              teardown_buffer_minutes: minutes,
              booking_horizon_days: { type: 'integer', minimum: 1, maximum: 730 },
              max_extension_minutes: minutes,
              max_pause_minutes: { ...minutes, description: 'How long each part may be paused in total' },
            },
          },
          cut_score: { type: 'number', minimum: 0, maximum: 100 },
          abort_on_part_failure: { type: 'boolean' },
          metadata: { type: 'object' },
          parts: {
            type: 'array',
            minItems: 1,
            maxItems: 20,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'order', 'selector_pattern', 'gates_next', 'duration_minutes'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 64 },
                order: { type: 'integer', minimum: 1, maximum: 20 },
                selector_pattern: { type: 'string', minLength: 1, maxLength: 200 },
                requirements: requirementsSchema,
                gates_next: { type: 'boolean' },
                duration_minutes: { type: 'integer', minimum: 1, maximum: 1440 },
                lead_time_minutes: minutes,
                review: { enum: ['auto', 'manual'] },
                review_deadline_minutes: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 30 * 1440,
                  description: 'A manual review undecided this long after grading is escalated',
                },
              },
            },
          },
        },
      },
    },
  },
};

export const formsFileSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['forms'],
  properties: {
    forms: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['fqn', 'version', 'status', 'content_id'],
        properties: {
          fqn: { type: 'string', minLength: 11, maxLength: 200 },
          version: { type: 'string', pattern: '^[0-9A-Za-z.+-]{1,32}$' },
          title: { type: 'string' },
          status: { enum: ['draft', 'published', 'deprecated'] },
          content_id: { type: 'string', minLength: 1, maxLength: 128 },
          content_ref: { type: 'string' },
          exposure_count: { type: 'integer', minimum: 0 },
          pod_ref: {
            type: 'object',
            additionalProperties: false,
            required: ['pod_type', 'status'],
            properties: {
              pod_type: podType,
              status: { enum: ['pending', 'ready', 'failed'] },
              definition_id: { type: 'string' },
              version: { type: 'string' },
              content_hash: { type: 'string' },
            },
          },
        },
      },
    },
  },
};

const capacity = {
  type: 'object',
  additionalProperties: false,
  required: ['cpu_cores', 'memory_gb', 'max_nodes'],
  properties: {
    cpu_cores: { type: 'integer', minimum: 1 },
    memory_gb: { type: 'integer', minimum: 1 },
    storage_gb: { type: 'integer', minimum: 1 },
    max_nodes: { type: 'integer', minimum: 1 },
  },
};

export const workerTemplatesFileSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['templates'],
  properties: {
    templates: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'name',
          'instance_type',
          'ami_name_pattern',
          'host_type',
          'cml_version',
          'license',
          'capacity',
          'cost_per_hour_usd',
          'max_per_region',
        ],
        properties: {
          name,
          instance_type: { type: 'string', pattern: '^[a-z0-9]+\\.[a-z0-9]+$' },
          ami_name_pattern: { type: 'string', minLength: 1 },
          host_type: { const: 'cml_on_aws' },
          cml_version: { type: 'string' },
          license: { enum: ['personal', 'enterprise', 'evaluation'] },
          capacity: { ...capacity, required: ['cpu_cores', 'memory_gb', 'storage_gb', 'max_nodes'] },
          cost_per_hour_usd: { type: 'number', minimum: 0 },
          max_per_region: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
};

/**
 * seeds/workers.yaml: the CML fleet's warm minimum and scaling settings. Workers themselves are
 * launched from the templates by the fleet reconcile pass (none is listed: D125).
 */
export const workersFileSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['fleet'],
  properties: {
    fleet: {
      type: 'object',
      additionalProperties: false,
      required: ['warm'],
      properties: {
        region: { type: 'string', minLength: 1 },
        warm: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['template', 'region', 'count'],
            properties: {
              template: name,
              region: { type: 'string', minLength: 1 },
              count: { type: 'integer', minimum: 0, maximum: 100 },
            },
          },
        },
        boot_minutes: { type: 'integer', minimum: 1, maximum: 120 },
        margin_minutes: { type: 'integer', minimum: 0, maximum: 60 },
        look_ahead_minutes: { type: 'integer', minimum: 0, maximum: 1440 },
        cooldown_minutes: { type: 'integer', minimum: 0, maximum: 1440 },
        max_workers_per_region: { type: 'integer', minimum: 0, maximum: 1000 },
        scale_down_to: { enum: ['stopped', 'terminated'] },
      },
    },
  },
};
