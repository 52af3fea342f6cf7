import { KiB, defineContracts } from '../contract.ts';
import type { JsonSchema } from '../schema.ts';

export const inboundCloudEventSchema: JsonSchema = {
  type: 'object',
  required: ['specversion', 'id', 'source', 'type'],
  properties: {
    specversion: { const: '1.0' },
    id: { type: 'string', minLength: 1, maxLength: 256 },
    source: { type: 'string', minLength: 1, maxLength: 256 },
    type: { type: 'string', minLength: 1, maxLength: 256 },
    subject: { type: 'string', maxLength: 256, description: 'sessions/<session id>/parts/<order>' },
    time: { type: 'string', format: 'date-time' },
    datacontenttype: { type: 'string' },
    data: {
      type: 'object',
      properties: {
        session_id: { type: 'string', maxLength: 64 },
        part_order: { type: 'integer', minimum: 1, maximum: 99 },
        reason: { type: 'string', maxLength: 500 },
      },
    },
  },
};

export const inboundContracts = defineContracts({
  postEvent: {
    method: 'POST',
    path: '/v1/events',
    scope: 'integration',
    maxBodyBytes: 64 * KiB,
    operationId: 'postEvent',
    summary: 'Deliver a CloudEvent from the lab delivery system or a grader',
    description:
      'Structured-mode CloudEvents 1.0. Sources must be allow-listed (lds.*, grader.*); delivery is idempotent by (source, id). Known types become commands (lds.session.running.v1 → the part is monitored; lds.session.ended.v1 → the part is collected); unknown types are acknowledged and ignored.',
    tags: ['events'],
    body: inboundCloudEventSchema,
    responses: {
      202: {
        description: 'Accepted (applied, ignored, or a duplicate)',
        schema: {
          type: 'object',
          required: ['outcome'],
          properties: { outcome: { enum: ['applied', 'ignored', 'duplicate'] }, detail: { type: 'string' } },
        },
      },
      403: { description: 'The source is not allow-listed' },
    },
  },
});
