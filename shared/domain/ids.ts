import { monotonicFactory, ulid as randomUlid } from 'ulid';
import { createHash } from 'node:crypto';
import type { Clock } from './clock.ts';

/** Branded string ids: a SessionId cannot be passed where a PartId is expected. */
export type Brand<T, B extends string> = T & { readonly __brand: B };
export type SessionId = Brand<string, 'SessionId'>;
export type PartId = Brand<string, 'PartId'>;
export type PodInstanceId = Brand<string, 'PodInstanceId'>;
export type PodDefinitionId = Brand<string, 'PodDefinitionId'>;
export type WorkerId = Brand<string, 'WorkerId'>;
export type JobId = Brand<string, 'JobId'>;

export const ID_PREFIX = {
  session: 'ses_',
  pod: 'pod_',
  podDefinition: 'pd_',
  worker: 'wrk_',
  job: 'job_',
  event: 'evt_',
} as const;

const ulid = monotonicFactory();

/** A sortable id: ULID (time-ordered by the given clock) behind a type prefix. */
export function newId<T extends string>(prefix: string, clock: Clock): T {
  return `${prefix}${ulid(clock.now()).toLowerCase()}` as T;
}

export const newSessionId = (clock: Clock) => newId<SessionId>(ID_PREFIX.session, clock);
export const newJobId = (clock: Clock) => newId<JobId>(ID_PREFIX.job, clock);

/**
 * An id that cannot be guessed from another: ULID time plus 80 fresh random bits each time (a
 * monotonic factory increments the last id within a millisecond, so the next id is the last + 1).
 * For what a caller reaches by id alone (jobs started through the API).
 */
export const newUnguessableId = <T extends string>(prefix: string, clock: Clock): T =>
  `${prefix}${randomUlid(clock.now()).toLowerCase()}` as T;

/** Part ids are positional inside their session: `<session>.p<order>`. */
export const partId = (session: SessionId, order: number): PartId => `${session}.p${order}` as PartId;
export const podInstanceId = (session: SessionId, order: number, index = 0): PodInstanceId =>
  `${ID_PREFIX.pod}${session.slice(ID_PREFIX.session.length)}.p${order}.${index}` as PodInstanceId;

/** Deterministic short hash, used wherever re-doing the same thing must give the same id. */
export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}
