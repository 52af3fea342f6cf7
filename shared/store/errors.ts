import { Problem } from '../domain/problem.ts';

/** A conditional write lost: someone else changed the item first (or it already exists). */
export class ConflictError extends Problem {
  constructor(
    detail: string,
    readonly reasons: { index: number; code: string; key?: unknown }[] = [],
  ) {
    super('conflict', detail, { extensions: { reasons } });
    this.name = 'ConflictError';
  }
}

export const isConflict = (e: unknown): e is ConflictError => e instanceof ConflictError;
