import { POD_TYPES } from '../../domain/lifecycle.ts';
import { KiB, defineContracts } from '../contract.ts';

const podDefinitionSchema = {
  type: 'object',
  required: ['id', 'name', 'pod_type', 'status', 'content_hash'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    pod_type: { enum: [...POD_TYPES] },
    host_type: { type: ['string', 'null'] },
    status: { enum: ['defined', 'synchronizing', 'ready', 'failed', 'superseded', 'expired'] },
    content_hash: { type: 'string' },
    source_uri: { type: 'string' },
    state_machines: { type: 'object', additionalProperties: { type: 'string' } },
    error_message: { type: 'string' },
    error_detail: { type: 'array', maxItems: 100, description: 'The first 100 diagnostics' },
    diagnostics_total: { type: 'integer', description: 'How many diagnostics the package had in all' },
    superseded_by: { type: 'string' },
  },
};

export const contentContracts = defineContracts({
  sync: {
    method: 'POST',
    path: '/v1/content/sync',
    scope: 'author',
    maxBodyBytes: 4 * KiB,
    operationId: 'syncContent',
    summary: 'Sync a PAv1 package from the content bucket (asynchronous)',
    description:
      'Hashes the package, derives the deterministic pod definition id, and syncs it in the background: validation, state machine registration, supersession, events. Syncing identical bytes is a no-op; force re-runs a failed sync.',
    tags: ['content'],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['source_uri'],
      properties: {
        source_uri: {
          type: 'string',
          pattern: '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\\.zip$',
          maxLength: 1024,
        },
        name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' },
        force: { type: 'boolean' },
      },
    },
    responses: {
      202: {
        description: 'Accepted: the pod definition id to poll',
        schema: {
          type: 'object',
          required: ['pod_definition_id', 'status'],
          properties: { pod_definition_id: { type: 'string' }, status: { type: 'string' } },
        },
      },
      404: { description: 'No object at source_uri' },
      422: { description: 'Not a package this product can read' },
    },
  },
  list: {
    method: 'GET',
    path: '/v1/pod-definitions',
    scope: 'author',
    operationId: 'listPodDefinitions',
    summary: 'Pod definitions by name (newest first)',
    tags: ['content'],
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 64 },
        limit: { type: 'integer', minimum: 1, maximum: 100 },
      },
    },
    responses: {
      200: {
        description: 'The definitions',
        schema: {
          type: 'object',
          required: ['items'],
          properties: { items: { type: 'array', items: podDefinitionSchema } },
        },
      },
    },
  },
  get: {
    method: 'GET',
    path: '/v1/pod-definitions/{id}',
    scope: 'author',
    operationId: 'getPodDefinition',
    summary: 'One pod definition, with its diagnostics if its sync failed',
    tags: ['content'],
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'string', pattern: '^pd_[0-9a-f]{16}$' } },
    },
    responses: {
      200: { description: 'The definition', schema: podDefinitionSchema },
      404: { description: 'No such pod definition' },
    },
  },
});
