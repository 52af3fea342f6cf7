import { SESSION_STATUSES } from '../../domain/session.ts';
import { KiB, defineContracts } from '../contract.ts';
import type { JsonSchema } from '../schema.ts';

const dateTime: JsonSchema = { type: 'string', format: 'date-time', maxLength: 40 };
const minutes: JsonSchema = { type: 'integer', minimum: 0, maximum: 1440 };
export const SESSION_ID_PATTERN = '^ses_[0-9a-z]{26}$';

const window: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['start', 'end'],
  properties: { start: dateTime, end: dateTime },
};

export const createSessionBody: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['timeslot', 'candidate'],
  description:
    'Give session_type (multi-part types), fqn (types addressed by FQN), or both when the type is addressed by FQN.',
  properties: {
    session_type: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      description: 'A session definition key (multi-part types), e.g. CCIE-EI-Lab-Exam',
    },
    fqn: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'The form FQN for single-part types addressed by FQN (six tokens, optionally @version)',
    },
    timeslot: {
      type: 'object',
      additionalProperties: false,
      required: ['start', 'end'],
      properties: {
        start: dateTime,
        end: dateTime,
        lead_time_minutes: minutes,
        teardown_buffer_minutes: minutes,
      },
    },
    candidate: {
      type: 'object',
      additionalProperties: false,
      required: ['candidate_id'],
      properties: {
        candidate_id: { type: 'string', minLength: 1, maxLength: 128 },
        first_name: { type: 'string', maxLength: 100 },
        last_name: { type: 'string', maxLength: 100 },
        email: { type: 'string', format: 'email', maxLength: 254 },
      },
    },
    reservation_id: { type: 'string', minLength: 1, maxLength: 128 },
    parts: {
      type: 'array',
      maxItems: 20,
      description: 'Optional per-part choices: a pinned form (fqn or fqn@version) and/or an explicit window',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['order'],
        properties: {
          order: { type: 'integer', minimum: 1, maximum: 20 },
          form: { type: 'string', minLength: 1, maxLength: 220 },
          window,
        },
      },
    },
    metadata: {
      type: 'object',
      maxProperties: 32,
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
  },
};

/** Set on a part while a pod of it waits for a worker that is booting (D150, D195). */
export const capacityWaitSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['since', 'until', 'reason'],
  description:
    'The part waits for capacity: its placing phase runs again every minute until a worker takes its pods or until passes (then the part fails with no_capacity). Absent when not waiting.',
  properties: {
    since: { ...dateTime, description: 'When the wait started (the first placement that had to wait)' },
    until: { ...dateTime, description: 'The end of the wait: no worker by then fails the part' },
    reason: { type: 'string', maxLength: 500, description: 'Why, as of the latest attempt' },
  },
};

export const sessionTreeSchema: JsonSchema = {
  type: 'object',
  required: ['session', 'parts', 'pods'],
  properties: {
    session: { type: 'object' },
    parts: {
      type: 'array',
      items: { type: 'object', properties: { waiting_for_capacity: capacityWaitSchema } },
    },
    pods: { type: 'array', items: { type: 'object' } },
  },
};

const sessionParams: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: SESSION_ID_PATTERN } },
};
const partParams: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'n'],
  properties: {
    id: { type: 'string', pattern: SESSION_ID_PATTERN },
    n: { type: 'string', pattern: '^[1-9][0-9]?$' },
  },
};
const reason: JsonSchema = { type: 'string', maxLength: 500 };

export const sessionsContracts = defineContracts({
  create: {
    method: 'POST',
    path: '/v1/sessions',
    scope: 'scheduler',
    maxBodyBytes: 32 * KiB,
    operationId: 'createSession',
    summary: 'Schedule a session in a timeslot',
    description:
      "Resolves each part's form (pinned fqn@version), lays out part windows, validates the timeslot rules and writes the whole tree in one transaction. Honours Idempotency-Key (24 h of the service clock, per client): the same key and body answer the first answer again, with Idempotent-Replayed: true, also when the first request failed after its write (the key is recorded in the tree's own transaction); two requests with one key at once book one session and both answer it; the same key with another body is a 422.",
    tags: ['sessions'],
    headers: [
      {
        name: 'Idempotency-Key',
        required: false,
        description: 'Makes retries safe for 24 h',
        schema: { type: 'string', minLength: 1, maxLength: 128 },
      },
    ],
    body: createSessionBody,
    responses: {
      201: {
        description:
          'Scheduled: the session tree; with the header Idempotent-Replayed: true, the first answer to this Idempotency-Key',
        schema: sessionTreeSchema,
      },
      409: { description: 'No eligible form for one or more parts (errors[] has the reasons per part)' },
      422: {
        description:
          'Invalid request (unknown session type, malformed FQN, windows that do not fit, …), or the Idempotency-Key was used with a different body',
      },
    },
  },
  list: {
    method: 'GET',
    path: '/v1/sessions',
    scope: 'scheduler',
    operationId: 'listSessions',
    summary: 'List sessions by status, type, candidate and time window (cursor pagination)',
    tags: ['sessions'],
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: [...SESSION_STATUSES] },
        session_type: { type: 'string', maxLength: 64 },
        candidate_id: { type: 'string', maxLength: 128 },
        from: { ...dateTime, description: 'Timeslot start at or after' },
        to: { ...dateTime, description: 'Timeslot start at or before' },
        limit: { type: 'integer', minimum: 1, maximum: 100 },
        cursor: { type: 'string', maxLength: 2048 },
      },
    },
    responses: {
      200: {
        description: 'One page',
        schema: {
          type: 'object',
          required: ['items'],
          properties: { items: { type: 'array', items: sessionTreeSchema }, next_cursor: { type: 'string' } },
        },
      },
    },
  },
  get: {
    method: 'GET',
    path: '/v1/sessions/{id}',
    scope: 'scheduler',
    operationId: 'getSession',
    summary: 'The session tree (session, parts, pods), from the views table',
    tags: ['sessions'],
    params: sessionParams,
    responses: {
      200: { description: 'The tree', schema: sessionTreeSchema },
      404: { description: 'No such session' },
    },
  },
  cancel: {
    method: 'POST',
    path: '/v1/sessions/{id}/cancel',
    scope: 'scheduler',
    maxBodyBytes: 4 * KiB,
    operationId: 'cancelSession',
    summary: 'Ask for the session to be cancelled (intent; the reconciler tears down)',
    tags: ['sessions'],
    params: sessionParams,
    body: { type: 'object', additionalProperties: false, properties: { reason } },
    responses: {
      202: { description: 'Intent recorded' },
      404: { description: 'No such session' },
      409: { description: 'The session has already ended' },
    },
  },
  extend: {
    method: 'POST',
    path: '/v1/sessions/{id}/extend',
    scope: 'scheduler',
    maxBodyBytes: 4 * KiB,
    operationId: 'extendSession',
    summary: 'Move the end of the session later (intent; the reconciler applies it)',
    tags: ['sessions'],
    params: sessionParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['end'],
      properties: { end: dateTime, reason },
    },
    responses: {
      202: { description: 'Intent recorded' },
      404: { description: 'No such session' },
      409: {
        description:
          'The session has already ended, or a worker holding its pods is going away (capacity-unavailable)',
      },
      422: {
        description:
          "The new end is not later than the current one, or later than the definition's maximum extension (extend.max)",
      },
    },
  },
  admit: {
    method: 'POST',
    path: '/v1/sessions/{id}/admit',
    scope: 'proctor',
    maxBodyBytes: 4 * KiB,
    operationId: 'admitSession',
    summary: 'A proctor admits the candidate: the session-scoped gate before the first part opens',
    description:
      "For a session whose definition's `session_lifecycle` has `proctor_admit`: the session stays `admitting` (pods still provision early) and no part opens until a proctor admits; admitted before the start, it runs at the start; after, at once. The token's subject is recorded as `admitted.by`. Admitting twice changes nothing.",
    tags: ['sessions'],
    params: sessionParams,
    body: { type: 'object', additionalProperties: false, properties: {} },
    responses: {
      202: { description: 'Admission recorded' },
      404: { description: 'No such session' },
      409: { description: 'The session has no admission gate, or has ended' },
    },
  },
  endPart: {
    method: 'POST',
    path: '/v1/sessions/{id}/parts/{n}/end',
    scope: 'proctor',
    maxBodyBytes: 4 * KiB,
    operationId: 'endPart',
    summary: 'A proctor ends a part for the candidate: waiting → monitoring → collecting',
    tags: ['sessions'],
    params: partParams,
    body: { type: 'object', additionalProperties: false, properties: { reason } },
    responses: {
      202: { description: 'Intent recorded' },
      404: { description: 'No such part' },
      409: { description: 'The part is not running' },
    },
  },
  pausePart: {
    method: 'POST',
    path: '/v1/sessions/{id}/parts/{n}/pause',
    scope: 'proctor',
    maxBodyBytes: 4 * KiB,
    operationId: 'pausePart',
    summary: 'A proctor pauses a running part: its clock stops until it is resumed',
    description:
      "Intent: the reconciler stops the part's clock from the instant of the request (no deadline fires while paused) and tells the lab delivery system. A part may be paused at most the definition's `timeslot_policy.max_pause_minutes` in total; at that point it resumes by itself. Asking again while paused changes nothing.",
    tags: ['sessions'],
    params: partParams,
    body: { type: 'object', additionalProperties: false, properties: { reason } },
    responses: {
      202: { description: 'Intent recorded' },
      404: { description: 'No such part' },
      409: { description: 'The part is not running (only a waiting or monitored part can be paused)' },
      422: { description: 'The part has used its pause allowance (pause.max)' },
    },
  },
  resumePart: {
    method: 'POST',
    path: '/v1/sessions/{id}/parts/{n}/resume',
    scope: 'proctor',
    maxBodyBytes: 4 * KiB,
    operationId: 'resumePart',
    summary: 'A proctor resumes a paused part: its deadline moves by exactly the pause',
    description:
      "Intent: the reconciler ends the pause at the instant of the request and moves the part's deadline and window end by the pause (in a sequential session the later parts and the session's end too), and pushes the new end to the lab delivery system.",
    tags: ['sessions'],
    params: partParams,
    body: { type: 'object', additionalProperties: false, properties: {} },
    responses: {
      202: { description: 'Intent recorded' },
      404: { description: 'No such part' },
      409: { description: 'The part is not paused' },
    },
  },
  reviewPart: {
    method: 'POST',
    path: '/v1/sessions/{id}/parts/{n}/review',
    scope: 'reviewer',
    maxBodyBytes: 16 * KiB,
    operationId: 'reviewPart',
    summary: 'A reviewer completes a manual review (the decision records the reviewer)',
    description:
      "Accepted while the part awaits its manual review, also after the session's cleanup deadline (a review holds the session open; its pods are torn down at the deadline, its result kept). The token's subject is recorded as `review_decision.by` and on the part's report.",
    tags: ['sessions'],
    params: partParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['decision'],
      properties: {
        decision: { enum: ['accept', 'reject'] },
        points_awarded: { type: 'number', minimum: 0 },
        comment: { type: 'string', maxLength: 2000 },
      },
    },
    responses: {
      202: { description: 'Decision recorded' },
      404: { description: 'No such part' },
      409: { description: 'The part is not awaiting review' },
    },
  },
  listReviews: {
    method: 'GET',
    path: '/v1/reviews',
    scope: 'reviewer',
    operationId: 'listReviews',
    summary: 'The parts awaiting a manual review, oldest first (by session type, by age)',
    tags: ['sessions'],
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['status'],
      properties: {
        status: { enum: ['awaiting'], description: 'Only `awaiting` (undecided) reviews are listed' },
        session_type: { type: 'string', maxLength: 64 },
        older_than_minutes: {
          type: 'integer',
          minimum: 0,
          maximum: 525600,
          description: 'Only reviews waiting at least this long',
        },
        limit: { type: 'integer', minimum: 1, maximum: 100 },
        cursor: { type: 'string', maxLength: 2048 },
      },
    },
    responses: {
      200: {
        description: 'One page of awaiting reviews',
        schema: {
          type: 'object',
          required: ['items'],
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                required: ['session_id', 'session_type', 'part_order', 'reviewing_since', 'escalated'],
                properties: {
                  session_id: { type: 'string' },
                  session_type: { type: 'string' },
                  candidate_id: { type: 'string' },
                  part_order: { type: 'integer' },
                  part_name: { type: 'string' },
                  form: { type: 'object' },
                  reviewing_since: dateTime,
                  review_due: dateTime,
                  escalated: { type: 'boolean' },
                  score_report: { type: 'object' },
                },
              },
            },
            next_cursor: { type: 'string' },
          },
        },
      },
    },
  },
});
