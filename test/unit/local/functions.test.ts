import { describe, expect, it, vi } from 'vitest';
import { LocalFunctions } from '../../../infra/local/functions.ts';
import type { FunctionDecl, SystemDecl } from '../../../infra/topology.ts';

const slow = {
  name: 'slow',
  entry: 'test/unit/local/fixtures/slow-handler.ts',
  timeoutSeconds: 0.1,
  memoryMb: 128,
} as unknown as FunctionDecl;
const fns = (now?: () => number) =>
  new LocalFunctions({ functions: [slow] } as unknown as SystemDecl, {
    root: process.cwd(),
    region: 'us-east-1',
    accountId: '000000000000',
    stage: 'local',
    ...(now ? { now } : {}),
  });

describe('local Lambda functions', () => {
  it('counts invocations and passes a context whose remaining time runs down from the timeout', async () => {
    // Wall time that moves 10 ms each time it is read: the handler reads it once, 10 ms in.
    let t = 0;
    const f = fns(() => (t += 10));
    const out = (await f.invoke('local-slow', { ms: 1 })) as { remaining: number };
    expect(out.remaining).toBe(90);
    expect(f.invocations.get('slow')).toBe(1);
    expect(f.overruns.size).toBe(0);
  });

  it('an invocation that runs past its timeout is counted and named once (Lambda would have ended it)', async () => {
    const f = fns();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await f.invoke('slow', { ms: 150 });
      await f.invoke('slow', { ms: 150 });
      expect(f.overruns.get('slow')).toBe(2);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/^\[lambda\] slow ran \d+ ms past its 0.1 s timeout/);
    } finally {
      warn.mockRestore();
    }
  });
});
