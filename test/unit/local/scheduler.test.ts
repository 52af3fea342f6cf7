import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { LocalScheduler } from '../../../infra/local/scheduler.ts';
import type { LocalFunctions } from '../../../infra/local/functions.ts';
import type { SystemDecl } from '../../../infra/topology.ts';

const system = {
  functions: [
    {
      name: 'reconciler',
      triggers: [{ kind: 'schedule', rule: 'tick', description: 'tick', everySeconds: 60 }],
    },
  ],
} as unknown as SystemDecl;

describe('local schedules on a stepped clock', () => {
  it('fire after a jump only when their period has passed since the last tick, once per jump', async () => {
    const clock = new ManualClock('2026-12-01T00:00:00Z');
    const ticks: string[] = [];
    const fns = {
      invoke: async (_name: string, e: { time: string }) => void ticks.push(e.time),
    } as unknown as LocalFunctions;
    const s = new LocalScheduler(system, fns, {
      clock,
      realDelayMs: () => Infinity,
      region: 'us-east-1',
      accountId: '000000000000',
    });
    await s.fireDue(); // never fired: fires
    clock.advance(30_000);
    await s.fireDue(); // 30 s since the last tick: nothing
    clock.advance(30_000);
    await s.fireDue(); // 60 s: fires
    clock.advance(3600_000);
    await s.fireDue(); // an hour: one tick, not sixty
    expect(ticks).toEqual(['2026-12-01T00:00:00Z', '2026-12-01T00:01:00Z', '2026-12-01T01:01:00Z']);
  });
});
