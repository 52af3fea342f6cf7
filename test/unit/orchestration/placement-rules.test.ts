/**
 * Placement's filters and bin-packing, each capacity boundary from both sides (issue 18): a pod
 * that needs exactly what is free is placed, one unit more is refused with the reason.
 */
import { describe, expect, it } from 'vitest';
import {
  allocatePorts,
  placePod,
  placementTarget,
  releasePod,
  type PodNeeds,
  type WorkerDoc,
} from '../../../shared/orchestration/placement.ts';

const worker = (id: string, over: Partial<WorkerDoc> = {}): WorkerDoc => ({
  id,
  status: 'running',
  state_version: 7,
  region: 'eu-west-1',
  host_type: 'cml_on_aws',
  license: 'enterprise',
  address: '10.0.0.1',
  capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 20 },
  allocated: { cpu_cores: 4, memory_gb: 16, nodes: 5, pods: 1 },
  ports: { start: 3000, end: 3003 },
  ports_in_use: [3000],
  pods: ['pod_old'],
  sessions: ['ses_old'],
  ...over,
});
const needs: PodNeeds = {
  pod_id: 'pod_new',
  session_id: 'ses_new',
  host_type: 'cml_on_aws',
  cpu_cores: 12,
  memory_gb: 48,
  nodes: 15,
  port_names: ['b', 'a'],
};
const reasonFor = (n: PodNeeds, w: WorkerDoc) => {
  const r = placePod(n, [w]);
  return r.ok ? undefined : r.rejected[0]?.reason;
};

describe('capacity boundaries', () => {
  it('a pod that needs exactly what is free on every axis is placed', () => {
    const r = placePod(needs, [worker('w')]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rejected).toEqual([]);
    expect(r.next.allocated).toEqual({ cpu_cores: 16, memory_gb: 64, nodes: 20, pods: 2 });
  });

  it.each<[string, Partial<PodNeeds>, string]>([
    ['one core more', { cpu_cores: 13 }, 'needs 13 cores, 12 free'],
    ['one GB more', { memory_gb: 49 }, 'needs 49 GB, 48 free'],
    ['one node more (max_nodes)', { nodes: 16 }, 'needs 16 nodes, 15 free'],
    ['one port more', { port_names: ['a', 'b', 'c', 'd'] }, 'needs 4 ports, pool exhausted'],
  ])('%s is refused with the reason', (_what, over, reason) => {
    expect(reasonFor({ ...needs, ...over }, worker('w'))).toBe(reason);
  });

  it('the node count alone refuses a worker that has cores and memory to spare', () => {
    const w = worker('w', {
      capacity: { cpu_cores: 64, memory_gb: 256, max_nodes: 4 },
      allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
    });
    expect(placePod({ ...needs, nodes: 4 }, [w]).ok).toBe(true);
    expect(reasonFor({ ...needs, nodes: 5 }, w)).toBe('needs 5 nodes, 4 free');
  });
});

describe('filters', () => {
  it('only running workers that are not being stopped or drained', () => {
    expect(reasonFor(needs, worker('w', { status: 'starting' }))).toBe('status starting');
    expect(reasonFor(needs, worker('w', { desired_status: 'stopped' }))).toBe('draining');
    expect(reasonFor(needs, worker('w', { desired_status: 'draining' }))).toBe('draining');
    expect(placePod(needs, [worker('w', { desired_status: 'running' })]).ok).toBe(true);
  });

  it('an enterprise need refuses personal and evaluation licences; other needs take any licence', () => {
    const ent = { ...needs, license: 'enterprise' as const };
    expect(reasonFor(ent, worker('w', { license: 'evaluation' }))).toBe(
      'licence evaluation does not satisfy enterprise',
    );
    expect(placePod(ent, [worker('w', { license: 'enterprise' })]).ok).toBe(true);
    expect(placePod({ ...needs, license: 'evaluation' }, [worker('w', { license: 'evaluation' })]).ok).toBe(
      true,
    );
  });

  it('a personal-licence worker serves one session: its own session may add pods, another may not', () => {
    const personal = worker('w', { license: 'personal', sessions: ['ses_new'] });
    expect(placePod(needs, [personal]).ok).toBe(true);
    expect(placePod(needs, [worker('w', { license: 'personal', sessions: undefined })]).ok).toBe(true);
    expect(reasonFor(needs, worker('w', { license: 'personal', sessions: ['ses_new', 'ses_x'] }))).toBe(
      'a personal-licence worker runs one session at a time',
    );
    // Other licences run many sessions side by side.
    expect(placePod(needs, [worker('w', { license: 'evaluation', sessions: ['ses_x'] })]).ok).toBe(true);
  });

  it('the host type must match', () => {
    expect(reasonFor({ ...needs, host_type: 'proxmox' }, worker('w'))).toBe(
      'host type cml_on_aws cannot run proxmox',
    );
  });
});

describe('bin-packing', () => {
  const light = { ...needs, cpu_cores: 1, memory_gb: 1, nodes: 1, port_names: ['a'] };
  const w = (id: string, cpu: number, mem: number, nodes: number) =>
    worker(id, { allocated: { cpu_cores: cpu, memory_gb: mem, nodes, pods: 1 } });

  it('chooses the worker whose most-used resource is fullest, whichever resource that is', () => {
    // Utilisation is the max of cpu, memory and node ratios.
    const byCpu = w('a-cpu', 12, 0, 0); // 0.75
    const byMem = w('b-mem', 0, 40, 0); // 0.625
    const byNodes = w('c-nodes', 0, 0, 16); // 0.8
    const r = placePod(light, [byCpu, byMem, byNodes]);
    expect(r.ok && r.worker.id).toBe('c-nodes');
    const r2 = placePod(light, [byCpu, byMem]);
    expect(r2.ok && r2.worker.id).toBe('a-cpu');
    const r3 = placePod(light, [w('x', 0, 0, 0), byMem]);
    expect(r3.ok && r3.worker.id).toBe('b-mem');
  });

  it('breaks ties by worker id, whatever order the workers come in', () => {
    const r = placePod(light, [w('w3', 4, 4, 4), w('w1', 4, 4, 4), w('w2', 4, 4, 4)]);
    expect(r.ok && r.worker.id).toBe('w1');
  });

  it('avoided workers go last even when fuller; the rest still keep their bin-packing order', () => {
    const r = placePod(light, [w('w1', 2, 2, 2), w('w2', 8, 8, 8), w('w3', 12, 12, 12)], new Set(['w3']));
    expect(r.ok && r.worker.id).toBe('w2');
  });

  it('an avoided worker goes last in whatever order the workers come', () => {
    const ws = [w('w1', 2, 2, 2), w('w2', 8, 8, 8), w('w3', 12, 12, 12)];
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const o of orders) {
      const r = placePod(
        light,
        o.map((i) => ws[i]!),
        new Set(['w3']),
      );
      expect(r.ok && r.worker.id, `order ${o.join(',')}`).toBe('w2');
    }
    // Two avoided workers keep their bin-packing order between them.
    const both = placePod(light, [ws[1]!, ws[2]!], new Set(['w2', 'w3']));
    expect(both.ok && both.worker.id).toBe('w3');
  });

  it('node utilisation is a ratio of max_nodes: a worker with more nodes in a larger pool is emptier', () => {
    // a: cpu 0.5, memory 0.5, nodes 10/40 = 0.25 → 0.5. b: nodes 15/20 = 0.75 → b is fuller.
    const a = worker('a', {
      capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 40 },
      allocated: { cpu_cores: 8, memory_gb: 32, nodes: 10, pods: 1 },
    });
    const b = w('b', 4, 16, 15);
    const r = placePod(light, [a, b]);
    expect(r.ok && r.worker.id).toBe('b');
  });

  it('keeps the rejections of the workers that did not fit next to the placement', () => {
    const r = placePod(light, [worker('down', { status: 'stopped' }), w('up', 0, 0, 0)]);
    expect(r.ok).toBe(true);
    expect(r.rejected).toEqual([{ worker: 'down', reason: 'status stopped' }]);
  });

  it('the next worker document: ports in order, the pod and session added once, the version bumped', () => {
    const r = placePod({ ...needs, session_id: 'ses_old', cpu_cores: 1, memory_gb: 1, nodes: 1 }, [
      worker('w', { ports_in_use: [3001] }),
    ]);
    if (!r.ok) throw new Error('expected a placement');
    expect(r.ports).toEqual({ a: 3000, b: 3002 });
    expect(r.next.ports_in_use).toEqual([3000, 3001, 3002]);
    expect(r.next.pods).toEqual(['pod_old', 'pod_new']);
    expect(r.next.sessions).toEqual(['ses_old']);
    expect(r.next.state_version).toBe(8);
    expect(r.worker.state_version).toBe(7); // the version the write is conditioned on
    const fresh = placePod(light, [worker('w', { sessions: undefined })]);
    expect(fresh.ok && fresh.next.sessions).toEqual(['ses_new']);
  });
});

describe('ports', () => {
  it('uses the pool up to and including its last port', () => {
    expect(allocatePorts(worker('w', { ports_in_use: [] }), ['x', 'y', 'z', 'w'])).toEqual({
      w: 3000,
      x: 3001,
      y: 3002,
      z: 3003,
    });
    expect(allocatePorts(worker('w', { ports_in_use: [3000, 3001, 3002] }), ['x'])).toEqual({ x: 3003 });
    expect(allocatePorts(worker('w', { ports_in_use: [3000, 3001, 3002, 3003] }), ['x'])).toBeUndefined();
    expect(allocatePorts(worker('w'), [])).toEqual({});
  });
});

describe('release', () => {
  it('gives back exactly what the pod held and keeps other pods’ ports and sessions', () => {
    const w = worker('w', {
      allocated: { cpu_cores: 6, memory_gb: 20, nodes: 8, pods: 2 },
      ports_in_use: [3000, 3001, 3002],
      pods: ['pod_old', 'pod_new'],
      sessions: ['ses_old', 'ses_new'],
    });
    const back = releasePod(w, 'pod_new', { cpu_cores: 2, memory_gb: 4, nodes: 3, ports: [3001] })!;
    expect(back.allocated).toEqual({ cpu_cores: 4, memory_gb: 16, nodes: 5, pods: 1 });
    expect(back.ports_in_use).toEqual([3000, 3002]);
    expect(back.pods).toEqual(['pod_old']);
    expect(back.sessions).toEqual(['ses_old', 'ses_new']);
    expect(back.state_version).toBe(8);
  });

  it('never goes below zero, and clears the sessions with the last pod', () => {
    const back = releasePod(worker('w'), 'pod_old', { cpu_cores: 9, memory_gb: 99, nodes: 99, ports: [] })!;
    expect(back.allocated).toEqual({ cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 });
    expect(back.sessions).toEqual([]);
    const twice = releasePod(back, 'pod_old', { cpu_cores: 1, memory_gb: 1, nodes: 1, ports: [] });
    expect(twice).toBeUndefined();
    const again = releasePod(
      worker('w', { allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 } }),
      'pod_old',
      {
        cpu_cores: 0,
        memory_gb: 0,
        nodes: 0,
        ports: [],
      },
    )!;
    expect(again.allocated.pods).toBe(0);
  });
});

describe('placementTarget: what a pod definition asks of its worker (issue 15, finding 8)', () => {
  it('the pod type maps to its host type: roc_radkit runs on hybrid hardware, the others on their own', () => {
    expect(placementTarget('roc_radkit')).toEqual({ host_type: 'hybrid_hardware' });
    expect(placementTarget('cml_on_aws')).toEqual({ host_type: 'cml_on_aws' });
    expect(placementTarget('proxmox', { host_type: null })).toEqual({ host_type: 'proxmox' });
  });

  it("a declared host_type wins over the pod type's host", () => {
    expect(placementTarget('cml_on_aws', { host_type: 'native_aws' })).toEqual({ host_type: 'native_aws' });
  });

  it('the licence the definition needs is carried, and a worker must offer it', () => {
    const t = placementTarget('cml_on_aws', { license: 'enterprise' });
    expect(t).toEqual({ host_type: 'cml_on_aws', license: 'enterprise' });
    expect(reasonFor({ ...needs, ...t }, worker('w', { license: 'personal' }))).toBe(
      'licence personal does not satisfy enterprise',
    );
    expect(placePod({ ...needs, ...t }, [worker('w', { license: 'enterprise' })]).ok).toBe(true);
  });

  it('a roc_radkit target is placed on hybrid hardware and refused on a CML host', () => {
    const t = placementTarget('roc_radkit');
    expect(placePod({ ...needs, ...t }, [worker('w', { host_type: 'hybrid_hardware' })]).ok).toBe(true);
    expect(reasonFor({ ...needs, ...t }, worker('w'))).toBe(
      'host type cml_on_aws cannot run hybrid_hardware',
    );
  });

  it('web-only content has no host and is refused by name', () => {
    expect(() => placementTarget('none')).toThrow('a none pod runs on no host and is never placed');
  });
});
