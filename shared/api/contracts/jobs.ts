import { KiB, defineContracts, idParam } from '../contract.ts';

const jobError = {
  type: 'object',
  required: ['type', 'status', 'title', 'detail'],
  properties: {
    type: { type: 'string' },
    kind: { type: 'string' },
    status: { type: 'integer' },
    title: { type: 'string' },
    detail: { type: 'string' },
    step_id: { type: 'string' },
  },
};

const jobSchema = {
  type: 'object',
  required: ['id', 'job', 'pod_definition_id', 'status', 'desired_status', 'state_version', 'metadata'],
  properties: {
    id: { type: 'string' },
    job: { type: 'string' },
    pod_definition_id: { type: 'string' },
    status: { enum: ['submitted', 'running', 'completed', 'failed', 'cancelled'] },
    desired_status: { enum: ['completed', 'cancelled'] },
    state_version: { type: 'integer' },
    metadata: { type: 'object' },
    progress: {
      type: 'object',
      properties: {
        step_index: { type: 'integer' },
        steps_total: { type: 'integer' },
        steps_completed: { type: 'integer' },
        step_id: { type: 'string' },
        status: { type: 'string' },
      },
    },
    outputs: {
      type: 'object',
      description:
        'Captured vars, secrets masked. When they exceed 32 KiB, the largest values are replaced by {ref, pointer, bytes, preview}: the whole document is at outputs_ref (outputs_url)',
    },
    outputs_ref: {
      type: 'string',
      description: 'The whole outputs document in the artefacts bucket (s3://…), when too large for the job',
    },
    outputs_url: {
      type: 'string',
      description: 'A link to GET that document, valid for 15 minutes from this answer',
    },
    steps: { type: 'array' },
    reports: { type: 'array' },
    report_ref: { type: 'string' },
    error: jobError,
    run: {
      type: 'integer',
      description:
        'Which run this is: a phase retry runs a failed job again, or takes over one whose runner died',
    },
    runs: {
      type: 'array',
      description: 'Earlier runs (newest last, at most 10) and how each ended',
      items: {
        type: 'object',
        properties: {
          run: { type: 'integer' },
          status: { type: 'string' },
          started_at: { type: 'string' },
          ended_at: { type: 'string' },
          error: jobError,
        },
      },
    },
  },
};

export const jobsContracts = defineContracts({
  submit: {
    method: 'POST',
    path: '/v1/jobs',
    scope: 'author',
    maxBodyBytes: 64 * KiB,
    operationId: 'submitJob',
    summary: "Run one of a pod definition's jobs (asynchronous)",
    description:
      'Validates that the pod definition is synced and defines the job, stores the job as submitted and starts it. The job belongs to the calling client: only it reads or cancels it (exam jobs started by part lifecycles are not reachable here). Honours Idempotency-Key (24 h of the service clock, per client): a replay answers the same job as it is now, also when the first request failed after storing it, and starts its runner again if the job is still submitted a minute after it was stored; two submissions with one key at once store one job; the same key with another body is a 422; a job whose runner could not be started frees its key. If the runner cannot be started the job is marked failed and the answer is a 503. The input takes no credentials: connectors name them by reference (secret: cml/devices) and the runner resolves them; a value under a secret-looking key (password, enable_password, token, secret, api_key, …) anywhere in input is refused with 422, naming where. Events lcm.scenario_engine.job.* echo metadata.',
    tags: ['jobs'],
    headers: [
      {
        name: 'Idempotency-Key',
        required: false,
        description: 'Makes retries safe for 24 h: the same key and body answer the same job',
        schema: { type: 'string', minLength: 1, maxLength: 128 },
      },
    ],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['job', 'pod_definition_id'],
      properties: {
        job: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}@v[0-9]+$', description: 'name@version' },
        pod_definition_id: { type: 'string', pattern: '^pd_[0-9a-z]{6,64}$' },
        input: {
          type: 'object',
          additionalProperties: false,
          properties: {
            session: { type: 'object' },
            runtime_env: { type: 'object' },
            vars: { type: 'object' },
          },
        },
        metadata: { type: 'object', maxProperties: 32 },
      },
    },
    responses: {
      202: {
        description: 'Accepted: poll GET /v1/jobs/{id} or watch the job events',
        schema: {
          type: 'object',
          required: ['job_id', 'status'],
          properties: { job_id: { type: 'string' }, status: { type: 'string' } },
        },
      },
      404: { description: 'No such pod definition, or it has no such job' },
      409: { description: 'The pod definition is not ready' },
      422: { description: 'The Idempotency-Key was used with a different body' },
      503: { description: 'The job runner could not be started (the job is marked failed; submit again)' },
    },
  },
  get: {
    method: 'GET',
    path: '/v1/jobs/{id}',
    scope: 'author',
    operationId: 'getJob',
    summary: 'A job: status, progress, captured outputs (secrets masked), error',
    tags: ['jobs'],
    params: idParam('id', '^job_[0-9a-z]{6,64}$'),
    query: { type: 'object', additionalProperties: false, properties: {} },
    responses: { 200: { description: 'The job', schema: jobSchema }, 404: { description: 'No such job' } },
  },
  cancel: {
    method: 'DELETE',
    path: '/v1/jobs/{id}',
    scope: 'author',
    operationId: 'cancelJob',
    summary: 'Cancel a job: a submitted job ends at once, a running one between steps',
    tags: ['jobs'],
    params: idParam('id', '^job_[0-9a-z]{6,64}$'),
    query: { type: 'object', additionalProperties: false, properties: {} },
    responses: {
      202: { description: 'Cancellation requested (or the job had already ended)', schema: jobSchema },
      404: { description: 'No such job' },
    },
  },
  functions: {
    method: 'GET',
    path: '/v1/scenario-functions',
    scope: 'author',
    operationId: 'listScenarioFunctions',
    summary: 'The job DSL function catalogue with input and output schemas',
    tags: ['jobs'],
    query: { type: 'object', additionalProperties: false, properties: {} },
    responses: {
      200: {
        description: 'Every function a step may use',
        schema: {
          type: 'object',
          required: ['items'],
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'version', 'input', 'output'],
                properties: {
                  name: { type: 'string' },
                  version: { type: 'string' },
                  uses: { type: 'string' },
                  description: { type: 'string' },
                  needs_target: { type: 'boolean' },
                  input: { type: 'object' },
                  output: { type: 'object' },
                },
              },
            },
          },
        },
      },
    },
  },
});
