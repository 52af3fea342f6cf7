import { describe, expect, it } from 'vitest';
import {
  allocatePorts,
  placePod,
  releasePod,
  type WorkerDoc,
} from '../../../shared/orchestration/placement.ts';

const worker = (id: string, over: Partial<WorkerDoc> = {}): WorkerDoc => ({
  id,
  status: 'running',
  state_version: 1,
  region: 'eu-west-1',
  host_type: 'cml_on_aws',
  license: 'enterprise',
  address: '127.0.0.1',
  capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 20 },
  allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
  ports: { start: 2000, end: 2009 },
  ports_in_use: [],
  pods: [],
  ...over,
});
const needs = {
  pod_id: 'pod_a',
  session_id: 'ses_a',
  host_type: 'cml_on_aws',
  cpu_cores: 4,
  memory_gb: 8,
  nodes: 4,
  port_names: ['r2_serial', 'r1_serial'],
};

describe('placePod', () => {
  it('tries a worker it just lost a race on last, so placements that start together spread out', () => {
    const busy = worker('w2', { allocated: { cpu_cores: 8, memory_gb: 16, nodes: 8, pods: 2 } });
    const idle = worker('w1');
    const first = placePod(needs, [idle, busy]);
    expect(first.ok && first.worker.id).toBe('w2'); // bin-packing
    const afterLoss = placePod(needs, [idle, busy], new Set(['w2']));
    expect(afterLoss.ok && afterLoss.worker.id).toBe('w1');
    // Avoided, not excluded: when only the avoided worker fits, it is still chosen.
    const onlyAvoided = placePod(needs, [busy], new Set(['w2']));
    expect(onlyAvoided.ok && onlyAvoided.worker.id).toBe('w2');
  });

  it('bin-packs onto the most utilised worker that fits and allocates the lowest free ports', () => {
    const busy = worker('w2', {
      allocated: { cpu_cores: 8, memory_gb: 16, nodes: 8, pods: 2 },
      ports_in_use: [2000, 2001],
      pods: ['x', 'y'],
    });
    const r = placePod(needs, [worker('w1'), busy]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.worker.id).toBe('w2');
    expect(r.ports).toEqual({ r1_serial: 2002, r2_serial: 2003 });
    expect(r.next.allocated).toEqual({ cpu_cores: 12, memory_gb: 24, nodes: 12, pods: 3 });
    expect(r.next.state_version).toBe(2);
  });

  it('keeps the reason for every rejected worker', () => {
    const r = placePod(needs, [
      worker('stopped', { status: 'stopped' }),
      worker('proxmox', { host_type: 'proxmox' }),
      worker('full', { allocated: { cpu_cores: 14, memory_gb: 0, nodes: 0, pods: 1 } }),
      worker('ports', { ports: { start: 2000, end: 2000 } }),
      worker('draining', { desired_status: 'draining' }),
      worker('personal', { license: 'personal', sessions: ['ses_other'] }),
    ]);
    expect(r.ok).toBe(false);
    expect(Object.fromEntries(r.rejected.map((x) => [x.worker, x.reason]))).toEqual({
      stopped: 'status stopped',
      proxmox: 'host type proxmox cannot run cml_on_aws',
      full: 'needs 4 cores, 2 free',
      ports: 'needs 2 ports, pool exhausted',
      draining: 'draining',
      personal: 'a personal-licence worker runs one session at a time',
    });
  });

  it('never overbooks: placing until full then one more is refused', () => {
    let w = worker('w', { capacity: { cpu_cores: 8, memory_gb: 64, max_nodes: 20 } });
    const placed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = placePod({ ...needs, pod_id: `p${i}`, port_names: [`n${i}`] }, [w]);
      if (r.ok) {
        w = r.next;
        placed.push(`p${i}`);
      }
    }
    expect(placed).toEqual(['p0', 'p1']);
    expect(w.allocated.cpu_cores).toBe(8);
  });

  it('release gives back what the pod held, once', () => {
    const r = placePod(needs, [worker('w1')]);
    if (!r.ok) throw new Error('expected a placement');
    const back = releasePod(r.next, 'pod_a', {
      cpu_cores: 4,
      memory_gb: 8,
      nodes: 4,
      ports: Object.values(r.ports),
    })!;
    expect(back.allocated).toEqual({ cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 });
    expect(back.ports_in_use).toEqual([]);
    expect(releasePod(back, 'pod_a', { cpu_cores: 4, memory_gb: 8, nodes: 4, ports: [] })).toBeUndefined();
  });

  it('port allocation skips used ports and fails when the pool is exhausted', () => {
    expect(allocatePorts(worker('w', { ports_in_use: [2000, 2002] }), ['a', 'b'])).toEqual({
      a: 2001,
      b: 2003,
    });
    expect(
      allocatePorts(worker('w', { ports: { start: 2000, end: 2001 }, ports_in_use: [2000] }), ['a', 'b']),
    ).toBeUndefined();
  });

  it('a cordoned worker takes no pod; a worker asked to terminate is draining', () => {
    const r = placePod(needs, [
      worker('w1', { cordoned: true }),
      worker('w2', { desired_status: 'terminated' }),
    ]);
    expect(r).toEqual({
      ok: false,
      rejected: [
        { worker: 'w1', reason: 'cordoned' },
        { worker: 'w2', reason: 'draining' },
      ],
    });
  });

  it('idle_since is stamped when the last pod goes and cleared by the next placement', () => {
    const r = placePod(needs, [worker('w1', { idle_since: '2026-12-01T06:00:00.000Z' })]);
    if (!r.ok) throw new Error('expected a placement');
    expect(r.next.idle_since).toBeUndefined();
    const held = { cpu_cores: 4, memory_gb: 8, nodes: 4, ports: Object.values(r.ports) };
    expect(releasePod(r.next, 'pod_a', held, '2026-12-01T07:00:00.000Z')!.idle_since).toBe(
      '2026-12-01T07:00:00.000Z',
    );
    const two = placePod({ ...needs, pod_id: 'pod_b' }, [r.next]);
    if (!two.ok) throw new Error('expected a placement');
    expect(releasePod(two.next, 'pod_a', held, '2026-12-01T07:00:00.000Z')!.idle_since).toBeUndefined();
  });
});
