/**
 * A route's contract: method, path, schemas and answers. Handlers validate with these schemas,
 * and the OpenAPI document is generated from the same objects, so the two cannot disagree.
 */
import type { JsonSchema } from './schema.ts';

export const KiB = 1024;
/** The largest body a route accepts unless its contract says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 64 * KiB;

/**
 * Who may call a route: the OAuth scope (`lcm/<scope>`) its token must carry (roles as scopes),
 * or none for `public`. Each with what it is for (the OpenAPI document lists these).
 */
export const SCOPE_DESCRIPTIONS = {
  public: 'No token',
  scheduler: 'Schedule, read, cancel and extend sessions; read the catalog',
  proctor: 'Act for a candidate in the room: end a part, admit, pause and resume',
  reviewer: 'Find the parts awaiting a manual review and decide them',
  author: 'Publish content, read pod definitions, run jobs',
  integration: 'Deliver CloudEvents from the lab delivery system and graders',
  operator: 'Operate the platform (workers, dead letters, deep health) and sessions',
  auditor: 'Read everything, change nothing',
} as const;
export type ApiScope = keyof typeof SCOPE_DESCRIPTIONS;
export const API_SCOPES = Object.keys(SCOPE_DESCRIPTIONS) as ApiScope[];
/** A token carries a scope as `lcm/<scope>` (the authorizer checks it; the OpenAPI document names it). */
export const SCOPE_PREFIX = 'lcm/';

export interface RouteContract {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  scope: ApiScope;
  /** Largest accepted body in bytes (default DEFAULT_MAX_BODY_BYTES). */
  maxBodyBytes?: number;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: JsonSchema;
  query?: JsonSchema;
  body?: JsonSchema;
  /** Headers the route reads (documented; e.g. Idempotency-Key). */
  headers?: { name: string; required: boolean; description: string; schema: JsonSchema }[];
  responses: Record<number, { description: string; schema?: JsonSchema }>;
  /**
   * A throttle of the route's own (API Gateway route settings), instead of the stage's default
   * shared by every route: for routes anyone may call.
   */
  throttle?: { rateLimit: number; burstLimit: number };
}

/** API Gateway's route key: `<METHOD> <path>`. */
export const routeKey = (c: Pick<RouteContract, 'method' | 'path'>) => `${c.method} ${c.path}`;

export const defineContracts = <T extends Record<string, RouteContract>>(contracts: T): T => contracts;

/** Shared schema fragments. */
export const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'Stable problem type URN (urn:lcm:problem:<kind>)' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    pointer: { type: 'string', description: 'JSON pointer to the first failing field' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'detail'],
        properties: {
          pointer: { type: 'string' },
          detail: { type: 'string' },
          rule: { type: 'string' },
          file: { type: 'string' },
        },
      },
    },
  },
};

export const idParam = (name: string, pattern?: string): JsonSchema => ({
  type: 'object',
  required: [name],
  additionalProperties: false,
  properties: { [name]: { type: 'string', minLength: 1, maxLength: 128, ...(pattern ? { pattern } : {}) } },
});
