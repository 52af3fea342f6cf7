/** What `validatePattern` throws for a pattern it refuses, for the pattern tests. */
import { expect } from 'vitest';
import { validatePattern } from '../../../infra/local/event-pattern.ts';
import { Problem } from '../../../shared/domain/problem.ts';

/** The Problem `validatePattern` throws (the test fails if it throws anything else, or nothing). */
export function rejectionOf(pattern: unknown): Problem {
  let err: unknown;
  try {
    validatePattern(pattern);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(Problem);
  return err as Problem;
}
