import { describe, expect, it } from 'vitest';
import { KeyedOrderError, orderedPerKey } from '../../../shared/events/ordered.ts';

const gate = () => {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
};

describe('orderedPerKey', () => {
  it('runs one key in order and different keys at once', async () => {
    const run = orderedPerKey();
    const log: string[] = [];
    const a1 = gate();
    const t = [
      run('A', async () => (await a1.p, log.push('A1'))),
      run('A', async () => log.push('A2')),
      run('B', async () => log.push('B1')),
    ];
    await t[2];
    expect(log).toEqual(['B1']); // B did not wait for A
    a1.open();
    await Promise.all(t);
    expect(log).toEqual(['B1', 'A1', 'A2']);
  });

  it('a failure fails the later tasks of its key without running them, and no other key', async () => {
    const run = orderedPerKey();
    const ran: string[] = [];
    const first = run('A', async () => {
      ran.push('A1');
      throw new Error('boom');
    });
    const second = run('A', async () => void ran.push('A2'));
    const other = run('B', async () => void ran.push('B1'));
    await expect(first).rejects.toThrow('boom');
    const e = await second.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KeyedOrderError);
    expect((e as Error).cause).toEqual(new Error('boom'));
    await other;
    expect(ran).toEqual(['A1', 'B1']);
  });
});
