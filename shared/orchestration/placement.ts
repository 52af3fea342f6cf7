/** Placement is a pure rule of the domain (shared/domain/placement.ts); kept here for its callers. */
export * from '../domain/placement.ts';
