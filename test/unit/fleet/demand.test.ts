import { describe, expect, it } from 'vitest';
import { bookedDemand, type DemandOf } from '../../../shared/fleet/demand.ts';
import type { SessionTreeView, ViewStore } from '../../../shared/store/views.ts';
import { tree } from '../orchestration/fixtures.ts';

const demandOf: DemandOf = async () => ({
  host_type: null,
  license: null,
  needs: { cpu_cores: 4, memory_gb: 3, nodes: 4, ports: 4 },
});

/** A views table whose status index answers the given trees per status, one page each. */
function views(byStatus: Record<string, SessionTreeView[]>): Pick<ViewStore, 'listSessions'> {
  return {
    listSessions: async (o) => ({ items: byStatus[o.partition.split('#').at(-1)!] ?? [] }),
  };
}

describe('bookedDemand', () => {
  it('a session that moved on between two status queries is counted once, as its newer view says', async () => {
    // The pass reads the status index one status at a time. A session that moves from `pending`
    // to `admitting` between the two queries is in both answers (the index is eventually
    // consistent, and statuses only move forward in the order they are read): its pod must be
    // demand once, or the fleet launches a worker for a pod that is already placed.
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const before: SessionTreeView = { ...t, tree_version: 3 };
    const after: SessionTreeView = {
      ...t,
      session: { ...t.session, status: 'admitting' },
      pods: t.pods.map((p) => ({ ...p, host_id: 'wrk_1' })),
      tree_version: 4,
    };
    const got = await bookedDemand(views({ pending: [before], admitting: [after] }) as ViewStore, demandOf);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ pod_id: 'pod_1', host_id: 'wrk_1' });
    // Whatever order the pages come in, the newer view wins.
    const swapped = await bookedDemand(
      views({ pending: [after], admitting: [before] }) as ViewStore,
      demandOf,
    );
    expect(swapped).toHaveLength(1);
    expect(swapped[0]).toMatchObject({ pod_id: 'pod_1', host_id: 'wrk_1' });
  });
});
