/**
 * Single-table key layout: a session's whole tree in one partition, so one Query reads it and one
 * transaction changes it; catalog items, workers, jobs and idempotency records in their own
 * partitions. One source of truth for every key that
 * crosses a boundary: handlers, the projector and the tests all build keys here.
 *
 *   SESSION#<id>          SESSION | PART#<nn> | POD#<nn>#<i>      one partition per session tree
 *   CATALOG#SESSIONDEF    <session_type>                         session definitions
 *   CATALOG#FORM          <fqn>@<version>                        forms
 *   CATALOG#WORKERTPL     <template name>                        worker templates
 *   CATALOG#FLEET         CONFIG                                 the fleet's warm minimum, scaling settings
 *   PODDEF#<id>           PODDEF                                  pod definitions (gsi1: by name)
 *   WORKER#<id>           WORKER                                  workers (gsi1: all workers)
 *   JOB#<id>              JOB                                     scenario-engine jobs
 *   IDEMPOTENCY#<scope>   <function>#<hash>                       idempotency records (Powertools)
 *   LDS#<lds_session_id>  LDS                                     an LDS session's LCM session (inbound correlation)
 *
 * Views table: SESSION#<id>/TREE (tree documents, listed through three GSIs) and OUTBOX/<hash>
 * (the outbox's idempotency records, one per stream record that announced something).
 */
export interface Key {
  pk: string;
  sk: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

export const keys = {
  session: (id: string): Key => ({ pk: `SESSION#${id}`, sk: 'SESSION' }),
  sessionPartition: (id: string) => `SESSION#${id}`,
  part: (sessionId: string, order: number): Key => ({ pk: `SESSION#${sessionId}`, sk: `PART#${pad(order)}` }),
  pod: (sessionId: string, order: number, index = 0): Key => ({
    pk: `SESSION#${sessionId}`,
    sk: `POD#${pad(order)}#${index}`,
  }),
  sessionDefinition: (type: string): Key => ({ pk: 'CATALOG#SESSIONDEF', sk: type }),
  form: (fqn: string, version: string): Key => ({ pk: 'CATALOG#FORM', sk: `${fqn}@${version}` }),
  workerTemplate: (name: string): Key => ({ pk: 'CATALOG#WORKERTPL', sk: name }),
  /** The fleet's warm minimum and scaling settings (seeds/workers.yaml). */
  fleetConfig: (): Key => ({ pk: 'CATALOG#FLEET', sk: 'CONFIG' }),
  podDefinition: (id: string): Key => ({ pk: `PODDEF#${id}`, sk: 'PODDEF' }),
  podDefinitionByName: (name: string) => `PODDEF_NAME#${name}`,
  worker: (id: string): Key => ({ pk: `WORKER#${id}`, sk: 'WORKER' }),
  job: (id: string): Key => ({ pk: `JOB#${id}`, sk: 'JOB' }),
  /** The pointer from a lab delivery system session to the LCM session it delivers (D160). */
  ldsSession: (ldsSessionId: string): Key => ({ pk: `LDS#${ldsSessionId}`, sk: 'LDS' }),
  /** The partition of one idempotency scope; Powertools writes `<function>#<hash>` sort keys in it. */
  idempotencyPartition: (scope: IdempotencyScope) => `IDEMPOTENCY#${scope}`,
} as const;

/** Scopes of idempotency records: one per command that a client may send twice. */
export type IdempotencyScope = 'create-session' | 'submit-job' | 'inbound-events' | 'inbound-webhooks';

export const PARTITIONS = {
  sessionDefinitions: 'CATALOG#SESSIONDEF',
  forms: 'CATALOG#FORM',
  workerTemplates: 'CATALOG#WORKERTPL',
  allWorkers: 'WORKERS',
} as const;

/** Which session a state-table key belongs to, if any. */
export function sessionIdOfKey(pk: string): string | undefined {
  return pk.startsWith('SESSION#') ? pk.slice('SESSION#'.length) : undefined;
}

export type EntityKind = 'session' | 'part' | 'pod' | 'other';
export function entityOfKey(k: Key): EntityKind {
  if (!k.pk.startsWith('SESSION#')) return 'other';
  if (k.sk === 'SESSION') return 'session';
  if (k.sk.startsWith('PART#')) return 'part';
  if (k.sk.startsWith('POD#')) return 'pod';
  return 'other';
}

/** Views table keys. */
export const viewKeys = {
  sessionTree: (id: string): Key => ({ pk: `SESSION#${id}`, sk: 'TREE' }),
  /** The outbox's idempotency records (one per stream record that announced something). */
  outboxPartition: 'OUTBOX',
  listAll: 'SESSIONS',
  byStatus: (status: string) => `STATUS#${status}`,
  byCandidate: (candidateId: string) => `CANDIDATE#${candidateId}`,
  /** The sparse `by_review` index's one partition: trees with a part awaiting a manual review. */
  awaitingReview: 'REVIEWS#awaiting',
} as const;

/**
 * The tree view's attributes the listing indexes copy besides their keys: what a listing filters
 * on, neither of which changes after booking (D229). The tree itself is read from the table.
 */
export const LISTING_FILTERS = ['session_type', 'tenant'];
