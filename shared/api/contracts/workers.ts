import { defineContracts, type RouteContract } from '../contract.ts';

const workerId = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } },
};
const reasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
};
const workerView = {
  type: 'object',
  required: ['id', 'status', 'desired_status', 'template', 'region', 'allocation'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    desired_status: { type: 'string' },
    cordoned: { type: 'boolean' },
    template: { type: 'string' },
    region: { type: 'string' },
    instance_id: { type: 'string' },
    address: { type: 'string' },
    allocation: { type: 'object' },
    scaling: { type: 'object' },
    failure: { type: 'string' },
  },
};

const action = (verb: 'cordon' | 'uncordon' | 'drain', summary: string): RouteContract => ({
  method: 'POST',
  path: `/v1/workers/{id}/${verb}`,
  scope: 'operator',
  operationId: `${verb}Worker`,
  summary,
  tags: ['workers'],
  maxBodyBytes: 2048,
  params: workerId,
  body: reasonBody,
  responses: {
    200: { description: 'The worker as it now is', schema: workerView },
    404: { description: 'No such worker' },
    409: { description: 'The worker cannot do that in its status' },
  },
});

export const workersContracts = defineContracts({
  listWorkers: {
    method: 'GET',
    path: '/v1/workers',
    scope: 'operator',
    operationId: 'listWorkers',
    summary: 'Every worker with its status, intent and what it holds (pods, cores, memory, nodes, ports)',
    tags: ['workers'],
    query: {
      type: 'object',
      additionalProperties: false,
      properties: { status: { type: 'string', maxLength: 20 } },
    },
    responses: {
      200: {
        description: 'The workers',
        schema: {
          type: 'object',
          required: ['items'],
          properties: { items: { type: 'array', items: workerView } },
        },
      },
    },
  },
  cordon: action('cordon', 'Take no new pods on this worker; nothing else changes, scaling leaves it alone'),
  uncordon: action('uncordon', 'Let this worker take pods again'),
  drain: action('drain', 'Take no new pods and stop the worker once its pods are gone'),
  availability: {
    method: 'GET',
    path: '/v1/availability',
    scope: 'scheduler',
    operationId: 'getAvailability',
    summary:
      'Can a session of this type starting then be hosted: booked demand, running and startable workers, CML boot time',
    tags: ['workers'],
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['session_type', 'start'],
      properties: {
        session_type: { type: 'string', minLength: 1, maxLength: 64 },
        start: { type: 'string', format: 'date-time', maxLength: 40, description: 'The timeslot start' },
        fqn: {
          type: 'string',
          minLength: 1,
          maxLength: 256,
          description: 'The form, for session types addressed by FQN (lablets)',
        },
      },
    },
    responses: {
      200: {
        description: 'The answer, with the reasons when it is no',
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['session_type', 'start', 'hostable', 'reasons', 'scale_ups', 'pods'],
          properties: {
            session_type: { type: 'string' },
            start: { type: 'string', format: 'date-time' },
            hostable: { type: 'boolean' },
            reasons: {
              type: 'array',
              items: { type: 'string' },
              description:
                'Why not: a part held (no worker fits at its provision time and the bounds stop a scale-up), a worker that could not boot in time, or a booked pod that would lose its place (D205)',
            },
            scale_ups: {
              type: 'integer',
              minimum: 0,
              description:
                'Workers that would be launched, started or kept from draining for it, beyond what the booked demand needs anyway',
            },
            pods: {
              type: 'array',
              items: {
                type: 'object',
                required: ['part_order', 'host_type', 'provision_at', 'needs'],
                properties: {
                  part_order: { type: 'integer' },
                  host_type: { type: 'string' },
                  provision_at: { type: 'string', format: 'date-time' },
                  needs: { type: 'object' },
                },
              },
            },
          },
        },
      },
      422: {
        description:
          'No such session type, an FQN a session type does not take, or a start its timeslot rules refuse (past, beyond the booking horizon)',
      },
    },
  },
});
