/**
 * The lab delivery system in depth (issue 15, finding 6): ONE LDS session per LCM session, carrying
 * every part (web-only parts included) with its launch URL and its own devices; a part's release
 * releases that part only, the session's end releases the LDS session; extend, pause and resume
 * reach the part they are about.
 */
import { describe, expect, it } from 'vitest';
import type { LdsDevice, LdsPort } from '../../../shared/adapters/lds.ts';
import { runNativeStep, type NativePorts } from '../../../shared/orchestration/native.ts';
import type { PartDoc, PodDoc, SessionDoc } from '../../../shared/domain/session.ts';
import { newTimedResource } from '../../../shared/domain/timed-resource.ts';
import { makeTimeslot } from '../../../shared/domain/timeslot.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StoredItem, WriteOp } from '../../../shared/store/state-store.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const H = 3600_000;
const SID = 'ses_01jabcdefghjkmnpqrstvwxyz0';

function fakeLds() {
  const calls: string[] = [];
  const sessions = new Map<string, { id: string; starts_at: string; ends_at: string }>();
  const parts = new Map<string, { devices: LdsDevice[]; kind: string; ends_at: string }>();
  const port: LdsPort = {
    async createSession(input) {
      calls.push(`create ${input.external_ref} ${input.starts_at}..${input.ends_at}`);
      const id = `lds_${input.external_ref.slice(-4)}`;
      if (!sessions.has(input.external_ref))
        sessions.set(input.external_ref, { id, starts_at: input.starts_at, ends_at: input.ends_at });
      return { lds_session_id: id, launch_url: `https://lds/launch/${id}`, state: 'created' };
    },
    async putPart(id, order, part) {
      calls.push(`part ${id} ${order} ${part.kind} devices=${part.devices.length}`);
      parts.set(`${id}/${order}`, { devices: part.devices, kind: part.kind, ends_at: part.ends_at });
      return { order, launch_url: `https://lds/launch/${id}/parts/${order}` };
    },
    async extendPart(id, order, endsAt) {
      calls.push(`extend ${id} ${order} ${endsAt}`);
    },
    async pausePart(id, order) {
      calls.push(`pause ${id} ${order}`);
    },
    async resumePart(id, order) {
      calls.push(`resume ${id} ${order}`);
    },
    async releasePart(id, order) {
      calls.push(`release-part ${id} ${order}`);
    },
    async release(id) {
      calls.push(`release ${id}`);
    },
  };
  return { port, calls, parts };
}

function world() {
  const start = T0 + H;
  const session = {
    ...keys.session(SID),
    ...newTimedResource(SID, 'running', 'completed', T0, 'api'),
    session_type: 'CCIE-EI-Exam-With-Design',
    part_execution: 'sequential',
    timeslot: makeTimeslot({ start, end: start + 8 * H }),
    candidate: { candidate_id: 'cand-1' },
  } as unknown as StoredItem & SessionDoc;
  const part = (order: number, from: number, to: number, pod_type: PodDoc['pod_type']) =>
    ({
      ...keys.part(SID, order),
      ...newTimedResource(`${SID}.p${order}`, 'instantiating', 'active', T0, 'api'),
      session_id: SID,
      order,
      name: order === 1 ? 'DES' : 'DOO',
      form: { fqn: `f${order}`, version: '1' },
      pod_type,
      timeslot: makeTimeslot({ start: start + from * H, end: start + to * H }),
      duration_minutes: (to - from) * 60,
      gates_next: true,
      review: 'auto',
      phases: {},
    }) as unknown as StoredItem & PartDoc;
  const pod = {
    ...keys.pod(SID, 2, 0),
    ...newTimedResource(`${SID}.p2.0`, 'provisioning', 'ready', T0, 'api'),
    session_id: SID,
    part_order: 2,
    index: 0,
    pod_type: 'cml_on_aws',
    host_id: 'wrk_1',
    ports: { r1_serial: 3001, r2_vnc: 3002 },
  } as unknown as StoredItem & PodDoc;
  const worker = { ...keys.worker('wrk_1'), id: 'wrk_1', state_version: 1, address: '10.0.0.7' };
  const items = new Map<string, StoredItem>(
    [session, part(1, 0, 3, 'none'), part(2, 3, 8, 'cml_on_aws'), pod, worker as unknown as StoredItem].map(
      (i) => [`${i.pk}|${i.sk}`, structuredClone(i)],
    ),
  );
  const k = (x: { pk: string; sk: string }) => `${x.pk}|${x.sk}`;
  const put = (item: StoredItem, expected: number | null) => {
    const cur = items.get(k(item));
    if (expected === null ? !!cur : cur?.state_version !== expected)
      throw Object.assign(new Error('conditional check failed'), { name: 'ConflictError' });
    items.set(k(item), structuredClone(item));
  };
  const store = {
    get: async (key: { pk: string; sk: string }) => structuredClone(items.get(k(key))),
    queryPartition: async (pk: string, o: { skPrefix?: string } = {}) =>
      [...items.values()]
        .filter((i) => i.pk === pk && (!o.skPrefix || i.sk.startsWith(o.skPrefix)))
        .map((i) => structuredClone(i)),
    update: async (key: { pk: string; sk: string }, change: (cur: StoredItem) => StoredItem | undefined) => {
      const cur = structuredClone(items.get(k(key)));
      if (!cur) return undefined;
      const next = change(cur);
      if (!next || next === cur) return cur;
      const written = { ...next, state_version: cur.state_version + 1 };
      items.set(k(key), written);
      return written;
    },
    put: async (item: StoredItem, expected: number | null) => put(item, expected),
    write: async (ops: WriteOp[]) => {
      for (const op of ops) if (op.kind === 'put') put(op.item, op.expectedVersion ?? null);
    },
    retrying: async <T>(_what: string, fn: (n: number) => Promise<T>) => fn(1),
  };
  const lds = fakeLds();
  const ports = { store, clock: { now: () => T0 }, lds: async () => lds.port } as unknown as NativePorts;
  return {
    ports,
    lds,
    item: <T>(key: { pk: string; sk: string }) => items.get(k(key)) as unknown as T,
    start,
  };
}

const step = (w: ReturnType<typeof world>, step: string, part: number, extra: object = {}) =>
  runNativeStep({ step, session_id: SID, part_order: part, ...extra }, w.ports);

describe('one LDS session per session, every part in it (issue 15, finding 6)', () => {
  it('a web-only part (no pod) registers: the session is created once by its id, the part gets its launch URL', async () => {
    const w = world();
    await step(w, 'lds_register', 1);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(w.lds.calls).toEqual([
      `create ${SID} ${iso(w.start)}..${iso(w.start + 8 * H)}`,
      `part lds_xyz0 1 web devices=0`,
    ]);
    expect(w.item<PartDoc>(keys.part(SID, 1))).toMatchObject({
      lds_session_id: 'lds_xyz0',
      launch_url: 'https://lds/launch/lds_xyz0/parts/1',
    });
    // The LDS session's id leads back to the session (inbound events are correlated by it).
    expect(w.item<{ session_id: string }>(keys.ldsSession('lds_xyz0'))).toMatchObject({ session_id: SID });
  });

  it('a part with a pod joins the same LDS session with its own devices', async () => {
    const w = world();
    await step(w, 'lds_register', 1);
    await step(w, 'lds_register', 2);
    expect(w.lds.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
    expect(w.lds.calls.at(-1)).toBe('part lds_xyz0 2 lab devices=2');
    expect(w.lds.parts.get('lds_xyz0/2')!.devices).toEqual([
      { name: 'r1', host: '10.0.0.7', port: 3001, protocol: 'telnet' },
      { name: 'r2', host: '10.0.0.7', port: 3002, protocol: 'vnc' },
    ]);
    expect(w.lds.parts.get('lds_xyz0/1')!.devices).toEqual([]);
    expect(w.item<PartDoc>(keys.part(SID, 2))).toMatchObject({
      lds_session_id: 'lds_xyz0',
      launch_url: 'https://lds/launch/lds_xyz0/parts/2',
    });
    expect(w.item<PodDoc>(keys.pod(SID, 2, 0))).toMatchObject({ lds_session_id: 'lds_xyz0' });
  });

  it('registering twice (a retried task) changes nothing more', async () => {
    const w = world();
    await step(w, 'lds_register', 1);
    const part = w.item<StoredItem>(keys.part(SID, 1));
    await step(w, 'lds_register', 1);
    expect(w.item<StoredItem>(keys.part(SID, 1)).state_version).toBe(part.state_version);
  });

  it("a part's release releases that part only; the session's end releases the LDS session", async () => {
    const w = world();
    await step(w, 'lds_register', 1);
    await step(w, 'lds_register', 2);
    await step(w, 'lds_release', 1);
    expect(w.lds.calls.at(-1)).toBe('release-part lds_xyz0 1');
    expect(w.lds.calls.some((c) => c.startsWith('release lds'))).toBe(false);
    await step(w, 'lds_release_session', 1);
    expect(w.lds.calls.at(-1)).toBe('release lds_xyz0');
  });

  it('extend, pause and resume reach the part they are about', async () => {
    const w = world();
    await step(w, 'lds_register', 2);
    const end = new Date(w.start + 9 * H).toISOString();
    await step(w, 'lds_extend', 2, { ends_at: end });
    await step(w, 'lds_pause', 2);
    await step(w, 'lds_resume', 2, { ends_at: end });
    expect(w.lds.calls.slice(2)).toEqual([
      `extend lds_xyz0 2 ${end}`,
      'pause lds_xyz0 2',
      'resume lds_xyz0 2',
      `extend lds_xyz0 2 ${end}`,
    ]);
  });

  it('a part that never registered tells the LDS nothing', async () => {
    const w = world();
    await step(w, 'lds_release', 1);
    await step(w, 'lds_pause', 1);
    await step(w, 'lds_release_session', 1);
    expect(w.lds.calls).toEqual([]);
  });
});
