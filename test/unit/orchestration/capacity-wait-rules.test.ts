/**
 * noteCapacityWait (D195) from both sides (issue 18): a wait that is unchanged is the same object,
 * so a replayed decision writes nothing; a new bound or a new reason alone is a new wait that keeps
 * its `since`.
 */
import { describe, expect, it } from 'vitest';
import { noteCapacityWait, WAITING_FOR_CAPACITY } from '../../../shared/domain/placement.ts';

const T = Date.parse('2026-12-01T10:00:00Z');
const MIN = 60_000;

describe('noteCapacityWait', () => {
  const first = noteCapacityWait(undefined, { failedAt: T, until: T + 30 * MIN, cause: 'booting' });

  it('a first wait starts when the phase failed, with its bound and cause (or the default reason)', () => {
    expect(first).toEqual({
      since: new Date(T).toISOString(),
      until: new Date(T + 30 * MIN).toISOString(),
      reason: 'booting',
    });
    expect(noteCapacityWait(undefined, { failedAt: T, until: T + MIN }).reason).toBe(WAITING_FOR_CAPACITY);
  });

  it('the same bound and reason give back the same object', () => {
    expect(noteCapacityWait(first, { failedAt: T + 5 * MIN, until: T + 30 * MIN, cause: 'booting' })).toBe(
      first,
    );
  });

  it('a later bound alone, or another reason alone, is a new wait that keeps its since', () => {
    const later = noteCapacityWait(first, { failedAt: T + 5 * MIN, until: T + 31 * MIN, cause: 'booting' });
    expect(later).toEqual({ ...first, until: new Date(T + 31 * MIN).toISOString() });
    const other = noteCapacityWait(first, {
      failedAt: T + 5 * MIN,
      until: T + 30 * MIN,
      cause: 'still booting',
    });
    expect(other).toEqual({ ...first, reason: 'still booting' });
  });
});
