import { defineContracts } from '../contract.ts';

const jobSchema = {
  type: 'object',
  required: ['job_id', 'job', 'status'],
  properties: {
    job_id: { type: 'string' },
    job: { type: 'string' },
    pod_definition_id: { type: 'string' },
    status: { enum: ['submitted', 'running', 'completed', 'failed', 'cancelled'] },
    progress: { type: 'object' },
    outputs: { type: 'object' },
    error: { type: 'object' },
    metadata: { type: 'object' },
    report_ref: { type: 'string' },
  },
};

export const jobsContracts = defineContracts({
  submit: {
    method: 'POST',
    path: '/v1/jobs',
    operationId: 'submitJob',
    summary: 'Run a scenario-engine job of a pod definition',
    tags: ['jobs'],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['job', 'pod_definition_id'],
      properties: {
        job: {
          type: 'string',
          pattern: '^[a-z][a-z0-9_]{0,63}@v[0-9]+$',
          description: 'name@version, e.g. grade@v1',
        },
        pod_definition_id: { type: 'string', pattern: '^pd_[0-9a-f]{16}$' },
        input: {
          type: 'object',
          additionalProperties: false,
          properties: {
            session: { type: 'object' },
            runtime_env: { type: 'object' },
            session_id: { type: 'string' },
            part_order: { type: 'integer', minimum: 1 },
          },
        },
        metadata: { type: 'object', maxProperties: 32 },
      },
    },
    responses: {
      202: {
        description: 'Submitted',
        schema: {
          type: 'object',
          required: ['job_id'],
          properties: { job_id: { type: 'string' }, status: { type: 'string' } },
        },
      },
      404: { description: 'No such pod definition or job' },
      409: { description: 'The pod definition is not READY' },
    },
  },
  get: {
    method: 'GET',
    path: '/v1/jobs/{id}',
    operationId: 'getJob',
    summary: 'A job: status, progress, captured outputs (secrets redacted), error',
    tags: ['jobs'],
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'string', pattern: '^job_[0-9a-z]{26}$' } },
    },
    responses: { 200: { description: 'The job', schema: jobSchema }, 404: { description: 'No such job' } },
  },
  cancel: {
    method: 'DELETE',
    path: '/v1/jobs/{id}',
    operationId: 'cancelJob',
    summary: 'Cancel a job; it takes effect between steps and the job ends cancelled',
    tags: ['jobs'],
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'string', pattern: '^job_[0-9a-z]{26}$' } },
    },
    responses: {
      202: { description: 'Cancellation requested' },
      404: { description: 'No such job' },
      409: { description: 'The job has already ended' },
    },
  },
  functions: {
    method: 'GET',
    path: '/v1/scenario-functions',
    operationId: 'listScenarioFunctions',
    summary: 'The job DSL function catalogue, with input and output schemas',
    tags: ['jobs'],
    query: { type: 'object', additionalProperties: false, properties: {} },
    responses: {
      200: {
        description: 'The catalogue',
        schema: { type: 'object', required: ['items'], properties: { items: { type: 'array' } } },
      },
    },
  },
});
