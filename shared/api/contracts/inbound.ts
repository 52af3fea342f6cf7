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
        lds_session_id: {
          type: 'string',
          maxLength: 200,
          description: "The lab delivery system's own session id (one per LCM session, D160)",
        },
        external_ref: {
          type: 'string',
          maxLength: 200,
          description: 'The reference the LDS session was created under: the LCM session id',
        },
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
      "Structured-mode CloudEvents 1.0, delivered as Standard Webhooks: webhook-signature is HMAC-SHA256 (v1) over \"<webhook-id>.<webhook-timestamp>.<body>\" with the calling client's secret, and webhook-timestamp is within 5 minutes of now (else 401). Each client may send only the exact sources it is registered for (else 403). Delivery is idempotent by webhook-id for as long as the event archive keeps events (30 days): a replay answers duplicate, the same id with another body is a 422. Known types become commands (lds.session.running.v1 → the part is monitored; lds.session.paused.v1 / resumed.v1 → the part is paused / resumed; lds.session.ended.v1 → the part is collected; grader.grading.completed.v1 / failed.v1 → the part's report). The part is named by subject sessions/<id>/parts/<n> or data.session_id + data.part_order; an LDS event may name only data.lds_session_id (else data.external_ref, the session id) with data.part_order, or no part: the session's one open part (422 when there is not exactly one). Unknown types are acknowledged and ignored.",
    tags: ['events'],
    headers: [
      {
        name: 'webhook-id',
        required: false,
        description: 'The delivery id (deduplication key); required by the signature check (401 without it)',
        schema: { type: 'string', minLength: 1, maxLength: 256 },
      },
      {
        name: 'webhook-timestamp',
        required: false,
        description: 'Unix seconds when the delivery was signed; within 5 minutes of now',
        schema: { type: 'string', maxLength: 12 },
      },
      {
        name: 'webhook-signature',
        required: false,
        description: 'Space-separated v1,<base64 HMAC-SHA256> signatures (several while a secret rotates)',
        schema: { type: 'string', maxLength: 2048 },
      },
    ],
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
      401: {
        description: 'Missing or invalid signature, stale timestamp, or no webhook secret for this client',
      },
      403: { description: 'The client may not send events of this source' },
      422: { description: 'The webhook-id was delivered before with another body' },
    },
  },
});
