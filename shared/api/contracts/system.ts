import { defineContracts } from '../contract.ts';

const componentsSchema = {
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
} as const;

export const systemContracts = defineContracts({
  health: {
    method: 'GET',
    path: '/v1/health',
    scope: 'public',
    operationId: 'getHealth',
    summary: 'Liveness: the API answers (no dependency is called)',
    description:
      'Shallow by design: anyone may call it, so it calls nothing behind the API and has a throttle of its own. The dependencies are checked by GET /v1/health/deep (operator scope).',
    tags: ['system'],
    query: { type: 'object', additionalProperties: false, properties: {} },
    throttle: { rateLimit: 10, burstLimit: 20 },
    responses: {
      200: {
        description: 'The API answers',
        schema: {
          type: 'object',
          required: ['status'],
          properties: {
            status: { enum: ['ok', 'degraded'] },
            time: { type: 'string', format: 'date-time' },
            version: { type: 'string' },
            components: componentsSchema,
          },
        },
      },
      503: { description: 'The local runtime reports one of its emulators down (local only)' },
    },
  },
  healthDeep: {
    method: 'GET',
    path: '/v1/health/deep',
    scope: 'operator',
    operationId: 'getHealthDeep',
    summary: 'Health of the service and each of its dependencies (tables, buckets, bus, Step Functions)',
    tags: ['system'],
    query: { type: 'object', additionalProperties: false, properties: {} },
    throttle: { rateLimit: 2, burstLimit: 5 },
    responses: {
      200: {
        description: 'Every component answered',
        schema: {
          type: 'object',
          required: ['status', 'components'],
          properties: {
            status: { enum: ['ok', 'degraded'] },
            time: { type: 'string', format: 'date-time' },
            components: componentsSchema,
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
    throttle: { rateLimit: 10, burstLimit: 20 },
    responses: { 200: { description: 'The OpenAPI document', schema: { type: 'object' } } },
  },
});
