/**
 * What reaches placement from a pod (issue 15, finding 8): the host type comes from the pod
 * definition's `host_type`, else from the pod type through the design documents' mapping
 * (`roc_radkit → hybrid_hardware`), and the licence the pod definition needs must be offered by
 * the worker.
 */
import { describe, expect, it } from 'vitest';
import { ensurePlaced, type NativePorts, type PodContent } from '../../../shared/orchestration/native.ts';
import type { WorkerDoc } from '../../../shared/orchestration/placement.ts';
import type { PodDoc } from '../../../shared/domain/session.ts';
import { newTimedResource } from '../../../shared/domain/timed-resource.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StoredItem, WriteOp } from '../../../shared/store/state-store.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');

const worker = (id: string, over: Partial<WorkerDoc>): StoredItem & WorkerDoc =>
  ({
    ...keys.worker(id),
    id,
    status: 'running',
    state_version: 1,
    region: 'eu-west-1',
    host_type: 'cml_on_aws',
    license: 'enterprise',
    address: '10.0.0.1',
    capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 20 },
    allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
    ports: { start: 3000, end: 3100 },
    ports_in_use: [],
    pods: [],
    sessions: [],
    ...over,
  }) as StoredItem & WorkerDoc;

function setup(
  pod_type: PodDoc['pod_type'],
  workers: (StoredItem & WorkerDoc)[],
  content: Partial<PodContent>,
) {
  const pod = {
    ...keys.pod('ses_1', 1, 0),
    ...newTimedResource('ses_1.p1.0', 'pending', 'ready', T0, 'api'),
    session_id: 'ses_1',
    part_order: 1,
    index: 0,
    pod_type,
    pod_definition_id: 'pd_1',
  } as StoredItem & PodDoc;
  const items = new Map<string, StoredItem>([pod, ...workers].map((i) => [`${i.pk}|${i.sk}`, i]));
  const writes: WriteOp[][] = [];
  const store = {
    get: async (k: { pk: string; sk: string }) => structuredClone(items.get(`${k.pk}|${k.sk}`)),
    queryIndex: async () => ({ items: workers.map((w) => ({ id: w.id })), cursor: undefined }),
    write: async (ops: WriteOp[]) => void writes.push(ops),
    retrying: async <T>(_what: string, fn: (n: number) => Promise<T>) => fn(1),
  };
  const ports = {
    store,
    clock: { now: () => T0 },
    content: async () => ({
      title: 'lcm-x',
      topology: null,
      ports: ['r1_serial'],
      needs: { cpu_cores: 1, memory_gb: 1, nodes: 1 },
      ...content,
    }),
  } as unknown as NativePorts;
  return { pod, ports, writes };
}

describe('placement gets the host type and licence of the pod definition', () => {
  it('a roc_radkit pod (no declared host type) runs on hybrid hardware', async () => {
    const s = setup(
      'roc_radkit',
      [worker('w_cml', {}), worker('w_hw', { host_type: 'hybrid_hardware' })],
      {},
    );
    const placed = await ensurePlaced(
      s.pod,
      { step: 'lab_start', session_id: 'ses_1', part_order: 1 },
      s.ports,
    );
    expect(placed.host_id).toBe('w_hw');
  });

  it("the definition's host_type wins over the pod type", async () => {
    const s = setup('cml_on_aws', [worker('w_cml', {}), worker('w_px', { host_type: 'proxmox' })], {
      host_type: 'proxmox',
    });
    const placed = await ensurePlaced(
      s.pod,
      { step: 'lab_start', session_id: 'ses_1', part_order: 1 },
      s.ports,
    );
    expect(placed.host_id).toBe('w_px');
  });

  it('the licence the definition needs must be offered: an evaluation worker is passed over', async () => {
    // Bin-packing alone prefers the fuller evaluation worker.
    const busy = { cpu_cores: 8, memory_gb: 32, nodes: 10, pods: 3 };
    const s = setup(
      'cml_on_aws',
      [
        worker('w_eval', { license: 'evaluation', allocated: busy }),
        worker('w_ent', { license: 'enterprise' }),
      ],
      { license: 'enterprise' },
    );
    const placed = await ensurePlaced(
      s.pod,
      { step: 'lab_start', session_id: 'ses_1', part_order: 1 },
      s.ports,
    );
    expect(placed.host_id).toBe('w_ent');
  });

  it('no worker offering the licence: refused with the reason, nothing written', async () => {
    const s = setup('cml_on_aws', [worker('w_eval', { license: 'evaluation' })], { license: 'enterprise' });
    await expect(
      ensurePlaced(s.pod, { step: 'lab_start', session_id: 'ses_1', part_order: 1 }, s.ports),
    ).rejects.toThrow('w_eval: licence evaluation does not satisfy enterprise');
    expect(s.writes).toEqual([]);
  });
});
