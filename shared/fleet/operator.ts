/**
 * The operator's hand on the fleet: list workers with what they hold; cordon (no new pods),
 * uncordon, drain (no new pods, stop when empty). Each change is a conditional write of the
 * worker's intent; the reconcile pass does the rest.
 */
import { iso, type Clock } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import type { WorkerRecord } from '../domain/worker.ts';
import { keys } from '../store/keys.ts';
import { strip, type StateStore, type StoredItem } from '../store/state-store.ts';
import { allWorkers } from './reconcile.ts';

type Worker = StoredItem & WorkerRecord;

export function workerView(w: WorkerRecord) {
  return {
    id: w.id,
    status: w.status,
    desired_status: w.desired_status,
    cordoned: Boolean(w.cordoned),
    template: w.template,
    region: w.region,
    ...(w.instance_id ? { instance_id: w.instance_id } : {}),
    ...(w.address ? { address: w.address } : {}),
    allocation: {
      pods: w.pods,
      sessions: w.sessions ?? [],
      cpu_cores: { used: w.allocated.cpu_cores, of: w.capacity.cpu_cores },
      memory_gb: { used: w.allocated.memory_gb, of: w.capacity.memory_gb },
      nodes: { used: w.allocated.nodes, of: w.capacity.max_nodes },
      ports: { used: w.ports_in_use.length, of: w.ports.end - w.ports.start + 1 },
    },
    ...(w.scaling ? { scaling: w.scaling } : {}),
    ...(w.failure ? { failure: w.failure } : {}),
  };
}

export async function listWorkers(store: StateStore, status?: string) {
  const all = await allWorkers(store);
  return all
    .filter((w) => !status || w.status === status)
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((w) => workerView(strip(w) as unknown as WorkerRecord));
}

export async function commandWorker(
  store: StateStore,
  clock: Clock,
  id: string,
  verb: 'cordon' | 'uncordon' | 'drain',
  by: string,
  reason?: string,
) {
  const done = await store.update<Worker>(keys.worker(id), (cur) => {
    if (cur.status === 'terminated' || cur.status === 'failed')
      throw new Problem('state-conflict', `worker ${id} is ${cur.status}`);
    const at = iso(clock.now());
    const why = reason ?? `${verb} by ${by}`;
    switch (verb) {
      case 'cordon':
        return cur.cordoned ? undefined : { ...cur, cordoned: true, updated_at: at };
      case 'uncordon':
        return cur.cordoned ? { ...cur, cordoned: false, updated_at: at } : undefined;
      case 'drain':
        return cur.desired_status === 'stopped' || cur.desired_status === 'terminated'
          ? undefined
          : {
              ...cur,
              desired_status: 'stopped',
              scaling: { direction: 'down', reason: why, at },
              updated_at: at,
            };
    }
  });
  if (!done) throw new Problem('not-found', `no worker ${id}`);
  return workerView(done);
}
