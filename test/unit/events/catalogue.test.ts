import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/events/types.ts';

const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');

/** The catalogue in docs/events.md and the list in shared/events/types.ts must agree. */
describe('event catalogue', () => {
  it.each(Object.values(EVENT_TYPES))('%s is documented with a parsable example of that type', (type) => {
    expect(doc).toContain(type);
    const examples = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
    const parsed = examples.map(
      (e) => JSON.parse(e) as { type?: string; specversion?: string; id?: string; source?: string },
    );
    const mine = parsed.filter((e) => e.type === type);
    // scaled_down shares the scaled_up example (reserved); every other type has its own.
    if (type.endsWith('scaled_down.v1')) return;
    expect(mine.length).toBeGreaterThanOrEqual(1);
    for (const e of mine) {
      expect(e.specversion).toBe('1.0');
      expect(e.id).toBeTruthy();
      expect(e.source).toMatch(/^lcm\./);
    }
  });
});
