/**
 * RFC 9457 problem details. Every error that crosses the API, a job step or an event is one of
 * these, with a stable `type` a client can switch on. The catalogue below is the single source
 * of truth for types, titles and statuses; docs/decisions.md explains the URN scheme.
 */
export const PROBLEM_TYPES = {
  'validation-error': { status: 422, title: 'The request does not satisfy the schema' },
  'bad-request': { status: 400, title: 'The request cannot be processed' },
  'malformed-json': { status: 400, title: 'The body is not valid JSON' },
  'unsupported-media-type': { status: 415, title: 'The body must be application/json' },
  'payload-too-large': { status: 413, title: 'The body is larger than allowed' },
  'not-found': { status: 404, title: 'No such resource' },
  'route-not-found': { status: 404, title: 'No such route' },
  'method-not-allowed': { status: 405, title: 'The route does not accept this method' },
  conflict: { status: 409, title: 'The resource changed concurrently' },
  'state-conflict': { status: 409, title: 'The resource is not in a state that allows this' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used with a different body' },
  'idempotency-in-progress': { status: 409, title: 'A request with this Idempotency-Key is in progress' },
  'unknown-session-type': { status: 422, title: 'No session definition has this session_type' },
  'unknown-form': { status: 422, title: 'No form has this FQN' },
  'malformed-fqn': { status: 422, title: 'The FQN does not have six tokens of the expected shape' },
  'invalid-timeslot': { status: 422, title: 'The timeslot is not valid' },
  'window-outside-session': { status: 422, title: 'A part window lies outside the session timeslot' },
  'windows-do-not-fit': { status: 422, title: 'The part windows do not fit together in the session' },
  'empty-pool': { status: 409, title: 'No eligible form for one or more parts' },
  'capacity-unavailable': { status: 409, title: 'The capacity this change needs is not there' },
  'ambiguous-addressing': {
    status: 422,
    title: 'The request addresses the session both by type and by a form the type does not use',
  },
  'parts-count-exceeded': {
    status: 422,
    title: "The definition fills more parts from one selector than the selector's parts_count admits",
  },
  'unknown-pod-type': { status: 400, title: 'The pod type is not known' },
  'pod-type-changed': { status: 409, title: 'The pod type changed under the same definition' },
  'content-invalid': { status: 422, title: 'The content package is not valid' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'The caller lacks the scope for this route' },
  'expression-error': { status: 400, title: 'A jq expression failed' },
  timeout: { status: 408, title: 'The operation timed out' },
  'communication-error': { status: 503, title: 'A downstream system could not be reached' },
  cancelled: { status: 499, title: 'The operation was cancelled' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemType = keyof typeof PROBLEM_TYPES;
export const PROBLEM_TYPE_PREFIX = 'urn:lcm:problem:';

export interface ProblemError {
  /** JSON pointer (RFC 6901) into the request or document. */
  pointer: string;
  detail: string;
  rule?: string;
  file?: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** The first failing field, as a JSON pointer. */
  pointer?: string;
  errors?: ProblemError[];
  [extension: string]: unknown;
}

export class Problem extends Error {
  readonly kind: ProblemType;
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: ProblemError[];
  readonly extensions: Record<string, unknown>;

  constructor(
    kind: ProblemType,
    detail?: string,
    opts: { errors?: ProblemError[]; extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(detail ?? PROBLEM_TYPES[kind].title, { cause: opts.cause });
    this.name = 'Problem';
    this.kind = kind;
    this.status = PROBLEM_TYPES[kind].status;
    this.title = PROBLEM_TYPES[kind].title;
    this.detail = detail;
    this.errors = opts.errors;
    this.extensions = opts.extensions ?? {};
  }

  get type(): string {
    return PROBLEM_TYPE_PREFIX + this.kind;
  }

  toJSON(instance?: string): ProblemDocument {
    const doc: ProblemDocument = { type: this.type, title: this.title, status: this.status };
    if (this.detail) doc.detail = this.detail;
    if (instance) doc.instance = instance;
    if (this.errors?.length) {
      doc.pointer = this.errors[0]!.pointer;
      doc.errors = this.errors;
    }
    return { ...this.extensions, ...doc };
  }
}

export const isProblem = (e: unknown): e is Problem => e instanceof Problem;

/** Maps anything thrown to a Problem; unknown errors become `internal` without leaking details. */
export function toProblem(e: unknown): Problem {
  if (isProblem(e)) return e;
  return new Problem('internal', 'An unexpected error occurred', { cause: e });
}
