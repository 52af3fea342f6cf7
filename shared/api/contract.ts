/**
 * A route's contract: method, path, schemas and answers. Handlers validate with these schemas,
 * and the OpenAPI document is generated from the same objects, so the two cannot disagree.
 */
import type { JsonSchema } from './schema.ts';

export const KiB = 1024;
/** The largest body a route accepts unless its contract says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 64 * KiB;

/** Who may call a route: the OAuth scope (`lcm/<scope>`) its token must carry, or none. */
export const API_SCOPES = ['public', 'scheduler', 'operator', 'author', 'integration'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
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
