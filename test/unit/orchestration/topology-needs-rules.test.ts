/**
 * What a CML topology asks of a worker (shared/domain/placement.ts `topologyNeeds`, issue 18):
 * a core per node unless it says `cpus`, its `ram` (512 MiB unless said) summed and rounded up to
 * GB, a node slot per node, and at least one of each.
 */
import { describe, expect, it } from 'vitest';
import { topologyNeeds } from '../../../shared/domain/placement.ts';

describe('topologyNeeds', () => {
  it('no topology, or one without nodes, still needs one core, one GB and one node', () => {
    const one = { cpu_cores: 1, memory_gb: 1, nodes: 1 };
    expect(topologyNeeds(undefined)).toEqual(one);
    expect(topologyNeeds(null)).toEqual(one);
    expect(topologyNeeds({})).toEqual(one);
    expect(topologyNeeds({ nodes: [] })).toEqual(one);
  });

  it('a core and 512 MiB per node unless the node says otherwise', () => {
    expect(topologyNeeds({ nodes: [{}, {}, {}] })).toEqual({ cpu_cores: 3, memory_gb: 2, nodes: 3 });
    expect(topologyNeeds({ nodes: [{ cpus: 4, ram: 8192 }, { cpus: 2 }] })).toEqual({
      cpu_cores: 6,
      memory_gb: 9,
      nodes: 2,
    });
  });

  it('memory is rounded up to whole GB: exactly 1024 MiB is 1 GB, one MiB more is 2', () => {
    expect(topologyNeeds({ nodes: [{ ram: 1024 }] }).memory_gb).toBe(1);
    expect(topologyNeeds({ nodes: [{ ram: 1025 }] }).memory_gb).toBe(2);
    expect(topologyNeeds({ nodes: [{ ram: 2048 }, { ram: 2048 }] }).memory_gb).toBe(4);
  });

  it('a node that says it needs no cores counts none', () => {
    expect(topologyNeeds({ nodes: [{ cpus: 0 }, { cpus: 3 }] }).cpu_cores).toBe(3);
  });
});
