/** The combined report is a pure rule of the domain (shared/domain/score-report.ts); kept here for its callers. */
export * from '../domain/score-report.ts';
