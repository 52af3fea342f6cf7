/**
 * Booked demand, as the scaling rules see it: every pod of a session that is not over, with its
 * part's window (provision at the part's start minus the lead time, released at its cleanup
 * deadline), what its content asks of a worker, and the worker it is placed on, if any. The fleet
 * reconcile pass and the availability answer read demand through the same function.
 */
import { hostTypeFor, type PodType } from '../domain/lifecycle.ts';
import { topologyNeeds, type Licence } from '../domain/placement.ts';
import type { Needs, PodBooking } from '../domain/scaling.ts';
import { POD_GONE, SESSION_STATUSES, SESSION_TERMINAL, type SessionTree } from '../domain/session.ts';
import { cleanupDeadline, provisionAt } from '../domain/timeslot.ts';
import { viewKeys } from '../store/keys.ts';
import type { SessionTreeView, ViewStore } from '../store/views.ts';

/** What one pod's content asks of a worker. */
export interface PodDemand {
  host_type?: string | null;
  license?: Licence | null;
  needs: Needs;
}

/** The demand of a pod definition (undefined: content not yet resolved, the native steps' default). */
export type DemandOf = (podDefinitionId: string | undefined) => Promise<PodDemand>;

/** A pod without a synced definition: what the native steps place it with. */
export const DEFAULT_POD_DEMAND: PodDemand = {
  needs: { cpu_cores: 1, memory_gb: 1, nodes: 1, ports: 1 },
};

/** A pod definition document's demand: its topology, its ports, its host type and licence. */
export function demandOfDocument(doc: Record<string, unknown>): PodDemand {
  const topology = (doc.topology ?? null) as { nodes?: { cpus?: number; ram?: number }[] } | null;
  return {
    host_type: (doc.host_type as string | null | undefined) ?? null,
    license: (doc.manifest as { license?: Licence } | undefined)?.license ?? null,
    needs: { ...topologyNeeds(topology), ports: ((doc.ports as string[] | undefined) ?? []).length },
  };
}

/** The bookings of one session tree: its pods that are not gone and run on a host. */
export async function bookingsOfTree(tree: SessionTree, demandOf: DemandOf): Promise<PodBooking[]> {
  const out: PodBooking[] = [];
  for (const pod of tree.pods) {
    if (POD_GONE.has(pod.status)) continue;
    const part = tree.parts.find((p) => p.order === pod.part_order);
    if (!part) continue;
    const d = await demandOf(part.pod_definition_id ?? pod.pod_definition_id);
    const host = hostTypeFor(pod.pod_type as PodType, (d.host_type ?? undefined) as never);
    if (!host) continue; // web-only content: never placed
    out.push({
      pod_id: pod.id,
      session_id: pod.session_id,
      host_type: host,
      ...(d.license ? { license: d.license } : {}),
      needs: d.needs,
      provision_at: provisionAt(part.timeslot),
      release_at: cleanupDeadline(part.timeslot),
      ...(pod.host_id ? { host_id: pod.host_id } : {}),
    });
  }
  return out;
}

const ACTIVE = SESSION_STATUSES.filter((s) => !SESSION_TERMINAL.has(s));

/**
 * Every booked pod of every session not over (the views' status index, all pages); pending
 * sessions only up to `pendingUntil` when given (a pass looks a day ahead, an answer at all).
 * The index is read one status at a time: a session that moves on between two queries is in
 * both answers, and counts once, as its newer view (`tree_version`) says (D198).
 */
export async function bookedDemand(
  views: Pick<ViewStore, 'listSessions'>,
  demandOf: DemandOf,
  o: { pendingUntil?: number } = {},
): Promise<PodBooking[]> {
  // A booked pod whose content cannot be read still counts, with the native steps' default.
  const safe: DemandOf = (id) => demandOf(id).catch(() => DEFAULT_POD_DEMAND);
  const latest = new Map<string, SessionTreeView>();
  for (const status of ACTIVE) {
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await views.listSessions({
        index: 'by_status',
        partition: viewKeys.byStatus(status),
        ...(status === 'pending' && o.pendingUntil !== undefined
          ? { to: new Date(o.pendingUntil).toISOString() }
          : {}),
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      for (const tree of page.items) {
        const seen = latest.get(tree.session.id);
        if (!seen || seen.tree_version < tree.tree_version) latest.set(tree.session.id, tree);
      }
      cursor = page.cursor;
    } while (cursor);
  }
  const out: PodBooking[] = [];
  for (const tree of latest.values()) out.push(...(await bookingsOfTree(tree, safe)));
  return out;
}

/** A `DemandOf` that reads each definition once (per pass or request). */
export function cachedDemand(read: (id: string) => Promise<Record<string, unknown>>): DemandOf {
  const seen = new Map<string, Promise<PodDemand>>();
  return (id) => {
    if (!id) return Promise.resolve(DEFAULT_POD_DEMAND);
    let d = seen.get(id);
    if (!d) seen.set(id, (d = read(id).then(demandOfDocument)));
    return d;
  };
}
