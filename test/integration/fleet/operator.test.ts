import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { decideScaling, DEFAULT_FLEET_CONFIG } from '../../../shared/domain/scaling.ts';
import { commandWorker, listWorkers } from '../../../shared/fleet/operator.ts';
import { allWorkers } from '../../../shared/fleet/reconcile.ts';
import { keys, PARTITIONS } from '../../../shared/store/keys.ts';
import type { StoredItem } from '../../../shared/store/state-store.ts';
import { freshStateStore } from '../../helpers/tables.ts';
import type { WorkerRecord } from '../../../shared/domain/worker.ts';
import { MIN, T0, templates, worker } from '../../unit/fleet/fixtures.ts';

let table: Awaited<ReturnType<typeof freshStateStore>>;
const clock = new ManualClock(T0);
beforeAll(async () => {
  table = await freshStateStore();
  for (const [id, over] of [
    [
      'wrk_a',
      {
        pods: ['pod_1'],
        allocated: { cpu_cores: 4, memory_gb: 16, nodes: 4, pods: 1 },
        ports_in_use: [2000, 2001],
      },
    ],
    ['wrk_b', {}],
    ['wrk_c', { status: 'failed', failure: 'instance i-c is terminated' }],
  ] as [string, Partial<WorkerRecord>][])
    await table.store.put(
      {
        ...worker(id, over),
        ...keys.worker(id),
        entity: 'worker',
        gsi1pk: PARTITIONS.allWorkers,
        gsi1sk: `eu-west-1#${id}`,
      } as StoredItem & ReturnType<typeof worker>,
      null,
    );
});
afterAll(() => table.drop());

describe('the operator on the fleet', () => {
  it('lists workers with what each holds', async () => {
    const items = await listWorkers(table.store);
    expect(items.map((w) => [w.id, w.status])).toEqual([
      ['wrk_a', 'running'],
      ['wrk_b', 'running'],
      ['wrk_c', 'failed'],
    ]);
    expect(items[0]!.allocation).toEqual({
      pods: ['pod_1'],
      sessions: [],
      cpu_cores: { used: 4, of: 8 },
      memory_gb: { used: 16, of: 32 },
      nodes: { used: 4, of: 20 },
      ports: { used: 2, of: 100 },
    });
    expect(items[2]!.failure).toBe('instance i-c is terminated');
    expect((await listWorkers(table.store, 'failed')).map((w) => w.id)).toEqual(['wrk_c']);
  });

  it('cordon keeps pods off a worker and scaling leaves it alone; uncordon gives it back', async () => {
    const v = await commandWorker(table.store, clock, 'wrk_b', 'cordon', 'ops@example.com');
    expect(v.cordoned).toBe(true);
    const again = await commandWorker(table.store, clock, 'wrk_b', 'cordon', 'ops@example.com');
    expect(again.cordoned).toBe(true); // idempotent
    const ws = await allWorkers(table.store);
    const d = decideScaling({
      workers: ws,
      templates,
      bookings: [],
      config: DEFAULT_FLEET_CONFIG,
      now: T0 + 60 * MIN,
    });
    expect(d).toContainEqual({ kind: 'keep', worker_id: 'wrk_b', reason: 'cordoned by an operator' });
    expect((await commandWorker(table.store, clock, 'wrk_b', 'uncordon', 'ops@example.com')).cordoned).toBe(
      false,
    );
  });

  it('drain asks the worker to stop with the operator as the reason (announced as scaled_down)', async () => {
    const v = await commandWorker(table.store, clock, 'wrk_a', 'drain', 'ops@example.com', 'kernel patch');
    expect(v).toMatchObject({
      desired_status: 'stopped',
      scaling: { direction: 'down', reason: 'kernel patch' },
    });
  });

  it('an unknown worker is 404, a failed one 409, and neither changes anything', async () => {
    await expect(commandWorker(table.store, clock, 'wrk_zz', 'drain', 'ops')).rejects.toMatchObject({
      status: 404,
    });
    const before = await table.store.get(keys.worker('wrk_c'));
    const err = await commandWorker(table.store, clock, 'wrk_c', 'cordon', 'ops').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Problem);
    expect(err).toMatchObject({ status: 409, detail: 'worker wrk_c is failed' });
    expect(await table.store.get(keys.worker('wrk_c'))).toEqual(before);
  });
});
