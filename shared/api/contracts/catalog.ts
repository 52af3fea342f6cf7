import { defineContracts } from '../contract.ts';

const list = { type: 'string', maxLength: 200, description: 'Comma-separated whitelist' };

export const catalogContracts = defineContracts({
  listDefinitions: {
    method: 'GET',
    path: '/v1/session-definitions',
    scope: 'scheduler',
    operationId: 'listSessionDefinitions',
    summary: 'Every session definition a scheduler can ask for',
    tags: ['catalog'],
    query: {
      type: 'object',
      additionalProperties: false,
      properties: { profile: { enum: ['lablet', 'practicelab', 'expertlab', 'expertdesign'] } },
    },
    responses: {
      200: {
        description: 'The definitions',
        schema: { type: 'object', required: ['items'], properties: { items: { type: 'array' } } },
      },
    },
  },
  getDefinition: {
    method: 'GET',
    path: '/v1/session-definitions/{type}',
    scope: 'scheduler',
    operationId: 'getSessionDefinition',
    summary: 'One session definition',
    tags: ['catalog'],
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: { type: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } },
    },
    responses: { 200: { description: 'The definition' }, 404: { description: 'No such session type' } },
  },
  previewForms: {
    method: 'GET',
    path: '/v1/forms',
    scope: 'scheduler',
    operationId: 'previewForms',
    summary:
      'Resolution preview: which forms a selector and requirements admit, and why the others were rejected',
    tags: ['catalog'],
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        selector: {
          type: 'string',
          maxLength: 200,
          description: 'Selector pattern, e.g. "* CCDE * COR" (default **)',
        },
        track_type: list,
        track_level: list,
        track_acronym: list,
        exam_version: list,
        module_acronym: list,
        requires_pod: { type: 'boolean' },
        include_rejected: { type: 'boolean' },
        limit: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    responses: {
      200: {
        description: 'Admitted forms (least exposure first) and, on request, the rejected ones with reasons',
        schema: {
          type: 'object',
          required: ['admitted'],
          properties: {
            admitted: { type: 'array' },
            rejected: { type: 'array' },
            counts: { type: 'object' },
          },
        },
      },
    },
  },
});
