/** Each local function sees exactly its own environment, even while another runs concurrently. */
import { describe, expect, it } from 'vitest';
import { LocalFunctions } from '../../../infra/local/functions.ts';
import type { FunctionDecl, SystemDecl } from '../../../infra/topology.ts';

const decl = (name: string) =>
  ({
    name,
    entry: 'test/unit/local/fixtures/env-handler.ts',
    timeoutSeconds: 5,
    memoryMb: 128,
  }) as unknown as FunctionDecl;

describe('local function environments', () => {
  it('an invocation sees only its function environment; the process keeps its own', async () => {
    const fns = new LocalFunctions({ functions: [decl('a'), decl('b')] } as unknown as SystemDecl, {
      root: process.cwd(),
      region: 'us-east-1',
      accountId: '000000000000',
      stage: 'local',
    });
    process.env.LCM_TEST_OUTSIDE = 'process';
    fns.setEnvironments((name) => ({
      ONLY: name,
      ...(name === 'a' ? { LCM_CONTENT_BUCKET: 'bucket-a' } : {}),
    }));
    const read = ['ONLY', 'LCM_CONTENT_BUCKET', 'LCM_TEST_OUTSIDE'];
    const [a, b] = await Promise.all([fns.invoke('a', { ms: 30, read }), fns.invoke('b', { ms: 5, read })]);
    expect(a).toEqual({ ONLY: 'a', LCM_CONTENT_BUCKET: 'bucket-a', LCM_TEST_OUTSIDE: null });
    expect(b).toEqual({ ONLY: 'b', LCM_CONTENT_BUCKET: null, LCM_TEST_OUTSIDE: null });
    expect(process.env.LCM_TEST_OUTSIDE).toBe('process');
    expect(process.env.ONLY).toBeUndefined();
    delete process.env.LCM_TEST_OUTSIDE;
  });
});
