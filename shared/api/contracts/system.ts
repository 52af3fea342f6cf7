import { defineContracts } from '../contract.ts';

export const systemContracts = defineContracts({
  health: {
    method: 'GET',
    path: '/v1/health',
    scope: 'public',
    operationId: 'getHealth',
    summary: 'Health of the service and each of its dependencies',
    tags: ['system'],
    query: { type: 'object', additionalProperties: false, properties: {} },
    responses: {
      200: {
        description: 'Every component answered',
        schema: {
          type: 'object',
          required: ['status', 'components'],
          properties: {
            status: { enum: ['ok', 'degraded'] },
            time: { type: 'string', format: 'date-time' },
            components: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                required: ['status'],
                properties: {
                  status: { enum: ['ok', 'down'] },
                  latency_ms: { type: 'number' },
                  detail: { type: 'string' },
                },
              },
            },
          },
        },
      },
      503: { description: 'At least one component is down' },
    },
  },
  openapi: {
    method: 'GET',
    path: '/v1/openapi.json',
    scope: 'public',
    operationId: 'getOpenApi',
    summary: 'This OpenAPI 3.1 document',
    tags: ['system'],
    query: { type: 'object', additionalProperties: false, properties: {} },
    responses: { 200: { description: 'The OpenAPI document', schema: { type: 'object' } } },
  },
});
