/**
 * The product's native steps: short, product-owned work a part phase runs as a Lambda task
 * before its jobs (the catalogue of names is `NATIVE_STEPS` in shared/domain/lifecycle.ts). Each step reads the part's pod from the state table, acts through a port (CML,
 * the lab delivery system, S3), and writes what changed conditionally, re-reading on a lost race;
 * each is idempotent, because Step Functions may retry a task whose result was lost.
 */
import type { CmlPort } from '../adapters/cml.ts';
import type { LdsDevice, LdsPort } from '../adapters/lds.ts';
import { EVENT_ARCHIVE_RETENTION_DAYS } from '../events/types.ts';
import { isConflict } from '../store/errors.ts';
import { iso, type Clock } from '../domain/clock.ts';
import { Problem } from '../domain/problem.ts';
import { POD_GONE, type PartDoc, type PhaseInput, type PodDoc, type PodStatus } from '../domain/session.ts';
import { transition } from '../domain/timed-resource.ts';
import { keys } from '../store/keys.ts';
import { itemsToTree } from '../store/session-tree.ts';
import type { StateStore, StoredItem } from '../store/state-store.ts';
import { readAllWorkers } from '../store/workers.ts';
import {
  capacityWaitUntil,
  pendingSince,
  placeOrWait,
  placementTarget,
  releasePod,
  WaitingForCapacity,
  type Licence,
  type WorkerDoc,
} from './placement.ts';
import type { HostType } from '../domain/lifecycle.ts';

/**
 * A native step's invocation: the phase input the compiled task passes on (every field but the
 * part's is optional, since the reconciler's forced teardown names one pod instead).
 */
export interface NativeStepInput
  extends
    Pick<PhaseInput, 'session_id' | 'part_order'>,
    Partial<Omit<PhaseInput, 'session_id' | 'part_order'>> {
  step: string;
  /**
   * force_teardown (cleanup deadline), lds_extend / lds_pause / lds_resume (reconciler: extension,
   * pause), lds_release_session (the session ended)
   */
  pod_index?: number;
  reason?: string;
  /** lds_extend, lds_resume: the part's new end. */
  ends_at?: string;
}

export interface PodContent {
  title: string;
  topology: Record<string, unknown> | null;
  ports: string[];
  needs: { cpu_cores: number; memory_gb: number; nodes: number };
  /** The pod definition's declared host type (manifest `host_type`), if any. */
  host_type?: HostType | null;
  /** The licence the pod definition needs (manifest `license`), if any. */
  license?: Licence | null;
}

export interface NativePorts {
  store: StateStore;
  clock: Clock;
  cml(worker: WorkerDoc): Promise<CmlPort>;
  lds(): Promise<LdsPort>;
  /** What the pod's content needs: its topology, port names, resources. */
  content(podDefinitionId: string | null | undefined, pod: PodDoc): Promise<PodContent>;
  archive(key: string, body: unknown): Promise<string>;
}

type Pod = StoredItem & PodDoc;
type Worker = StoredItem & WorkerDoc;

const BY = 'native-steps';

export async function runNativeStep(
  input: NativeStepInput,
  ports: NativePorts,
): Promise<Record<string, unknown>> {
  const pods = await podsOf(ports.store, input);
  const out: Record<string, unknown> = { step: input.step, pods: pods.length };
  switch (input.step) {
    case 'lab_resolve':
      for (const p of pods) out[p.id] = await labResolve(p, input, ports);
      return out;
    case 'ports_alloc':
      for (const p of pods) out[p.id] = (await ensurePlaced(p, input, ports)).ports;
      return out;
    case 'tags_sync':
      for (const p of pods) await tagsSync(p, ports);
      return out;
    case 'lab_start':
      for (const p of pods) await labStart(p, ports);
      return out;
    case 'lds_register':
      // The part, pods or not (web-only parts too), in the session's one LDS session (D160).
      out.launch_url = await ldsRegister(pods, input, ports);
      return out;
    case 'mark_ready':
      for (const p of pods) await updatePod(ports, p, (x) => move(x, 'ready', 'lab ready', ports.clock));
      return out;
    case 'lab_stop':
      for (const p of pods) await onLab(p, ports, (cml, lab) => cml.stopLab(lab));
      return out;
    case 'lab_wipe':
      for (const p of pods)
        await onLab(p, ports, async (cml, lab) => {
          await cml.wipeLab(lab);
          await cml.deleteLab(lab);
        });
      return out;
    case 'archive':
      out.archive_ref = await archive(input, pods, ports);
      return out;
    case 'ports_release':
      for (const p of pods) await release(p, ports, 'ports released');
      return out;
    case 'lds_release':
      // The part ended: its devices go; the LDS session stays for the session's other parts.
      await onLdsPart(input, ports, (lds, id) => lds.releasePart(id, input.part_order));
      return out;
    case 'lds_release_session':
      // The session ended (reconciler): the whole LDS session goes.
      await onLdsPart(input, ports, (lds, id) => lds.release(id));
      return out;
    case 'record_ungraded':
      await recordUngraded(input, ports);
      return { ...out, graded: false };
    case 'lds_extend':
      await onLdsPart(input, ports, async (lds, id) => {
        if (input.ends_at) await lds.extendPart(id, input.part_order, input.ends_at);
      });
      return out;
    case 'lds_pause':
      await onLdsPart(input, ports, (lds, id) => lds.pausePart(id, input.part_order));
      return out;
    case 'lds_resume':
      // One invocation, in this order: the LDS lets the candidate back in, then learns the new end.
      await onLdsPart(input, ports, async (lds, id) => {
        await lds.resumePart(id, input.part_order);
        if (input.ends_at) await lds.extendPart(id, input.part_order, input.ends_at);
      });
      return out;
    case 'force_teardown':
      for (const p of pods) {
        await onLab(p, ports, async (cml, lab) => {
          await cml.stopLab(lab).catch(() => undefined);
          await cml.wipeLab(lab);
          await cml.deleteLab(lab);
        }).catch(() => undefined);
        await onLdsPart(input, ports, (lds, id) => lds.releasePart(id, input.part_order)).catch(
          () => undefined,
        );
        await release(p, ports, input.reason ?? 'forced teardown');
      }
      return out;
    default:
      throw new Problem('validation-error', `unknown native step ${input.step}`);
  }
}

async function podsOf(store: StateStore, input: NativeStepInput): Promise<Pod[]> {
  const items = await store.queryPartition<Pod>(keys.sessionPartition(input.session_id), {
    skPrefix: 'POD#',
  });
  return items.filter(
    (p) =>
      p.part_order === input.part_order &&
      (input.pod_index === undefined || p.index === input.pod_index) &&
      (!input.pods?.length || input.pods.some((x) => x.index === p.index)),
  );
}

async function getPod(store: StateStore, p: Pod): Promise<Pod> {
  const cur = await store.get<Pod>(keys.pod(p.session_id, p.part_order, p.index));
  if (!cur) throw new Problem('not-found', `pod ${p.id} is gone`);
  return cur;
}

/** Conditional update of a pod, re-reading on a lost race. */
async function updatePod(ports: NativePorts, p: Pod, change: (cur: Pod) => Pod | undefined): Promise<Pod> {
  const out = await ports.store.update<Pod>(keys.pod(p.session_id, p.part_order, p.index), change);
  if (!out) throw new Problem('not-found', `pod ${p.id} is gone`);
  return out;
}

/** The pod moved to `to` (one version on), or undefined when it is there already or gone. */
function move(p: Pod, to: PodStatus, reason: string, clock: Clock): Pod | undefined {
  if (p.status === to || POD_GONE.has(p.status)) return undefined;
  return transition(p, to, { now: clock.now(), by: BY, reason, terminal: POD_GONE.has(to) });
}

const workers = (store: StateStore) => readAllWorkers<Worker>(store);

/**
 * Places the pod on a worker and allocates its ports in one transaction conditioned on both the
 * worker's and the pod's versions: two placements racing for the last capacity or the same port
 * cannot both commit. Idempotent: a placed pod is returned as it is.
 */
export async function ensurePlaced(p: Pod, input: NativeStepInput, ports: NativePorts): Promise<Pod> {
  try {
    return await placeRacing(p, input, ports);
  } catch (e) {
    // Every attempt lost its race to another placement (hundreds of pods due at once): the pod
    // waits as for a booting worker, and the phase runs again a minute later, until its wait
    // ends (D146, D150). How many races a placement loses depends on how many run beside it,
    // not on the pod: failing its part for that would fail candidates for the machine's load.
    if (!isConflict(e)) throw e;
    const until = await waitUntil(ports.store, p);
    if (ports.clock.now() >= until) throw e;
    throw new WaitingForCapacity(
      p.id,
      until,
      [],
      [],
      `pod ${p.id} lost every race for a worker (${e.message}); it tries again until ${iso(until)}`,
    );
  }
}

async function placeRacing(p: Pod, input: NativeStepInput, ports: NativePorts): Promise<Pod> {
  const lostOn = new Set<string>();
  let tried: string | undefined;
  return ports.store.retrying(
    `placing pod ${p.id}`,
    async () => {
      const pod = await getPod(ports.store, p);
      if (pod.host_id) return pod;
      if (POD_GONE.has(pod.status)) throw new Problem('state-conflict', `pod ${pod.id} is ${pod.status}`);
      const content = await ports.content(input.pod_definition_id, pod);
      const now = ports.clock.now();
      const placement = placeOrWait(
        {
          pod_id: pod.id,
          session_id: pod.session_id,
          ...content.needs,
          ...placementTarget(pod.pod_type, content),
          port_names: content.ports,
        },
        await workers(ports.store),
        { now, until: await waitUntil(ports.store, pod) },
        lostOn,
      );
      if (!placement.ok) {
        // A worker that will fit is booting: the phase fails retryably and runs again (D150).
        if ('wait' in placement)
          throw new WaitingForCapacity(
            pod.id,
            placement.wait.until,
            placement.wait.workers,
            placement.rejected,
          );
        const why = placement.rejected.map((r) => `${r.worker}: ${r.reason}`).join('; ') || 'no workers';
        throw new Problem(
          'state-conflict',
          'late' in placement
            ? `no worker took pod ${pod.id} by ${iso(placement.late)}, the end of its wait for capacity: ${why}`
            : `no worker can take pod ${pod.id}: ${why}`,
        );
      }
      tried = placement.worker.id;
      const next: Pod = {
        ...transition(pod, 'provisioning', {
          now: ports.clock.now(),
          by: BY,
          reason: `placed on ${placement.worker.id}`,
        }),
        host_id: placement.worker.id,
        ports: placement.ports,
        held: { ...content.needs, ports: Object.values(placement.ports) },
      };
      await ports.store.write([
        { kind: 'put', item: next, expectedVersion: pod.state_version },
        { kind: 'put', item: placement.next as Worker, expectedVersion: placement.worker.state_version },
      ]);
      return next;
    },
    {
      attempts: PLACEMENT_ATTEMPTS,
      // Someone else placed (this pod, or on this worker): try that worker last, after a jitter.
      onConflict: (_e, n) => {
        if (tried) lostOn.add(tried);
        return jitter(n + 1);
      },
    },
  );
}

const PLACEMENT_ATTEMPTS = 20;

/**
 * Until when the pod may wait for a booting worker: from its part's window and the moment it
 * (last) became pending, placed never or put back by the fleet (`capacityWaitUntil`).
 */
async function waitUntil(store: StateStore, pod: Pod): Promise<number> {
  const part = await store.get<StoredItem & PartDoc>(keys.part(pod.session_id, pod.part_order));
  if (!part) return 0;
  return capacityWaitUntil(part.timeslot, pendingSince(pod));
}

/** Full jitter, capped: racing placements drift apart instead of colliding again in step. */
function jitter(attempt: number): Promise<void> {
  const cap = Math.min(1_000, 20 * 2 ** attempt);
  return new Promise((r) => setTimeout(r, Math.random() * cap));
}

async function workerOf(store: StateStore, pod: Pod): Promise<Worker> {
  const w = pod.host_id ? await store.get<Worker>(keys.worker(pod.host_id)) : undefined;
  if (!w) throw new Problem('state-conflict', `pod ${pod.id} is not placed`);
  return w;
}

async function labResolve(p: Pod, input: NativeStepInput, ports: NativePorts): Promise<string> {
  const pod = await ensurePlaced(p, input, ports);
  const cml = await ports.cml(await workerOf(ports.store, pod));
  const content = await ports.content(input.pod_definition_id, pod);
  const title = `lcm-${pod.id}`;
  if (pod.lab_id) {
    const exists = await cml.getLab(pod.lab_id).then(
      () => true,
      (e: unknown) => {
        if ((e as { kind?: string }).kind === 'not_found') return false;
        throw e;
      },
    );
    if (exists) return pod.lab_id;
  }
  const found = await cml.findLabByTitle(title);
  const lab = found ?? (await cml.importLab(topologyFor(content, title), title));
  await updatePod(ports, pod, (x) => (x.lab_id === lab.id ? undefined : { ...x, lab_id: lab.id }));
  return lab.id;
}

function topologyFor(c: PodContent, title: string): object {
  if (c.topology) return { ...c.topology, lab: { ...((c.topology.lab as object) ?? {}), title } };
  // Content without a topology (standard lifecycle): one generic node per console port.
  const nodes = c.ports.map((name, i) => ({
    id: `n${i}`,
    label: name.replace(/_(serial|vnc|pat|ssh)$/, ''),
    node_definition: 'iosv',
    x: i * 100,
    y: 0,
    tags: [],
  }));
  return { lab: { title }, nodes, links: [] };
}

async function tagsSync(p: Pod, ports: NativePorts): Promise<void> {
  const pod = await getPod(ports.store, p);
  if (!pod.lab_id) throw new Problem('state-conflict', `pod ${pod.id} has no lab`);
  const cml = await ports.cml(await workerOf(ports.store, pod));
  for (const n of await cml.listNodes(pod.lab_id)) {
    const mine = Object.entries(pod.ports ?? {})
      .filter(([name]) => name.replace(/_(serial|vnc|pat|ssh)$/, '') === n.label)
      .map(([name, port]) => `lcm:${name.slice(n.label.length + 1)}=${port}`);
    const kept = n.tags.filter((t) => !/^lcm:(serial|vnc|pat|ssh)=/.test(t));
    const tags = [...kept, ...mine].sort();
    if (JSON.stringify(tags) !== JSON.stringify([...n.tags].sort()))
      await cml.setNodeTags(pod.lab_id, n.id, tags);
  }
}

async function labStart(p: Pod, ports: NativePorts): Promise<void> {
  const pod = await getPod(ports.store, p);
  if (!pod.lab_id) throw new Problem('state-conflict', `pod ${pod.id} has no lab`);
  const cml = await ports.cml(await workerOf(ports.store, pod));
  await cml.startLab(pod.lab_id);
  const ok = await cml.waitConverged(pod.lab_id, { timeoutMs: 100_000, pollMs: 1000 });
  if (!ok) throw new Problem('timeout', `lab ${pod.lab_id} did not converge`);
}

/**
 * Registers the part in the session's one LDS session (D160): the LDS session is created once per
 * LCM session (idempotent by its external reference, the session id) with the session's window,
 * and pointed back to from `LDS#<id>` so inbound events naming only the LDS session are
 * correlated; the part carries its own devices (none for web-only content) and gets its launch
 * URL, recorded on the part (and its pods).
 */
async function ldsRegister(pods: Pod[], input: NativeStepInput, ports: NativePorts): Promise<string> {
  const tree = itemsToTree(
    await ports.store.queryPartition<StoredItem>(keys.sessionPartition(input.session_id)),
  );
  const part = tree?.parts.find((x) => x.order === input.part_order);
  if (!tree || !part)
    throw new Problem('not-found', `no part ${input.part_order} of session ${input.session_id}`);
  const session = tree.session;
  const lds = await ports.lds();
  // Created once: a part registered before already names it (creating is idempotent anyway).
  const known = tree.parts.find((x) => x.lds_session_id)?.lds_session_id;
  const s = known
    ? { lds_session_id: known }
    : await lds.createSession({
        external_ref: input.session_id,
        candidate_id: session.candidate.candidate_id,
        starts_at: session.timeslot.start,
        ends_at: session.timeslot.end,
      });
  await pointTo(ports, s.lds_session_id, input.session_id, session.timeslot.end);
  const devices: LdsDevice[] = [];
  for (const p of pods) {
    const pod = await getPod(ports.store, p);
    // Pods on other hosts (RADKit) have no worker consoles to hand out: the launch URL only.
    const worker = pod.host_id ? await workerOf(ports.store, pod) : undefined;
    if (!worker) continue;
    for (const [name, port] of Object.entries(pod.ports ?? {}))
      devices.push({
        name: name.replace(/_(serial|vnc|pat|ssh)$/, ''),
        host: worker.address,
        port,
        protocol: name.endsWith('_vnc') ? 'vnc' : 'telnet',
      });
  }
  const registered = await lds.putPart(s.lds_session_id, part.order, {
    name: part.name,
    kind: pods.length ? 'lab' : 'web',
    starts_at: part.timeslot.start,
    ends_at: part.timeslot.end,
    devices,
  });
  const mark = <T extends { lds_session_id?: string; launch_url?: string }>(x: T): T | undefined =>
    x.lds_session_id === s.lds_session_id && x.launch_url === registered.launch_url
      ? undefined
      : { ...x, lds_session_id: s.lds_session_id, launch_url: registered.launch_url };
  await ports.store.update<StoredItem & PartDoc>(keys.part(input.session_id, part.order), mark);
  for (const p of pods) await updatePod(ports, p, mark);
  return registered.launch_url;
}

/** `LDS#<id>` → the session, written once; kept as long as the event archive (replays correlate). */
async function pointTo(ports: NativePorts, ldsId: string, sessionId: string, end: string): Promise<void> {
  const key = keys.ldsSession(ldsId);
  if (await ports.store.get(key)) return;
  try {
    await ports.store.put(
      {
        ...key,
        session_id: sessionId,
        created_at: iso(ports.clock.now()),
        state_version: 1,
        expires_at: Math.floor(Date.parse(end) / 1000) + EVENT_ARCHIVE_RETENTION_DAYS * 24 * 3600,
      },
      null,
    );
  } catch (e) {
    if (!isConflict(e)) throw e; // another part registered at the same time: the same pointer
  }
}

/** Acts on the part's place in the session's LDS session; a part never registered has none. */
async function onLdsPart(
  input: NativeStepInput,
  ports: NativePorts,
  act: (lds: LdsPort, ldsSessionId: string) => Promise<void>,
): Promise<void> {
  const items = await ports.store.queryPartition<StoredItem & PartDoc>(
    keys.sessionPartition(input.session_id),
    { skPrefix: 'PART#' },
  );
  const own = items.find((p) => p.order === input.part_order)?.lds_session_id;
  // The session's release may name any part: the LDS session is the same for all of them.
  const id =
    input.step === 'lds_release_session' ? (own ?? items.find((p) => p.lds_session_id)?.lds_session_id) : own;
  if (id) await act(await ports.lds(), id);
}

async function onLab(
  p: Pod,
  ports: NativePorts,
  act: (cml: CmlPort, lab: string) => Promise<void>,
): Promise<void> {
  const pod = await getPod(ports.store, p);
  if (!pod.lab_id || !pod.host_id) return;
  const cml = await ports.cml(await workerOf(ports.store, pod));
  try {
    await act(cml, pod.lab_id);
  } catch (e) {
    if ((e as { kind?: string }).kind === 'not_found') return; // already gone
    throw e;
  }
  await updatePod(ports, pod, (x) =>
    x.status === 'tearing_down' ? undefined : move(x, 'tearing_down', 'lab going down', ports.clock),
  );
}

/** Gives the worker back the pod's capacity and ports (conditionally) and marks the pod terminated. */
async function release(p: Pod, ports: NativePorts, reason: string): Promise<void> {
  await ports.store.retrying(
    `releasing pod ${p.id}`,
    async () => {
      const pod = await getPod(ports.store, p);
      const w = pod.host_id ? await ports.store.get<Worker>(keys.worker(pod.host_id)) : undefined;
      const held = pod.held ?? {
        cpu_cores: 0,
        memory_gb: 0,
        nodes: 0,
        ports: Object.values(pod.ports ?? {}),
      };
      const nextWorker = w
        ? releasePod(w, pod.id, { ...held, session_id: pod.session_id }, iso(ports.clock.now()))
        : undefined;
      const nextPod = move(pod, 'terminated', reason, ports.clock);
      await ports.store.write([
        ...(nextPod ? [{ kind: 'put' as const, item: nextPod, expectedVersion: pod.state_version }] : []),
        ...(nextWorker && w
          ? [{ kind: 'put' as const, item: nextWorker as Worker, expectedVersion: w.state_version }]
          : []),
      ]);
    },
    { attempts: 10 },
  );
}

async function archive(input: NativeStepInput, pods: Pod[], ports: NativePorts): Promise<string> {
  const part = await ports.store.get<StoredItem & PartDoc>(keys.part(input.session_id, input.part_order));
  return ports.archive(`archives/${input.session_id}/part-${input.part_order}.json`, {
    session_id: input.session_id,
    part_order: input.part_order,
    form: part?.form,
    status: part?.status,
    score_report: part?.score_report ?? null,
    score_report_ref: part?.score_report_ref ?? null,
    phase_log: part?.phase_log ?? [],
    pods: pods.map((p) => ({
      id: p.id,
      host_id: p.host_id,
      lab_id: p.lab_id,
      ports: p.ports,
      status: p.status,
    })),
    archived_at: iso(ports.clock.now()),
  });
}

/** A part with nothing to grade still reports: an empty, explicitly ungraded score report. */
async function recordUngraded(input: NativeStepInput, ports: NativePorts): Promise<void> {
  await ports.store.update<StoredItem & PartDoc>(keys.part(input.session_id, input.part_order), (part) =>
    part.score_report
      ? undefined
      : {
          ...part,
          score_report: { points_awarded: 0, points_max: 0, percentage: 0, passed: false, graded: false },
          updated_at: iso(ports.clock.now()),
        },
  );
}
