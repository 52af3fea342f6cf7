/**
 * Placement waits for a worker that is booting (issue 13, D150): when no running worker can take a
 * pod and one that is launched, booting or started again will, the placing phase fails with the
 * retryable `lcm.WaitingForCapacity` and the sessions reconciler runs it again on the clock, until
 * the pod's wait ends (its part's start, or the lead time after it was put back); then the part
 * fails, saying which pod had no worker by when.
 */
import { ConflictError } from '../../../shared/store/errors.ts';
import { describe, expect, it } from 'vitest';
import {
  capacityWaitUntil,
  pendingSince,
  placeOrWait,
  WAITING_FOR_CAPACITY,
  WaitingForCapacity,
  type PodNeeds,
  type WorkerDoc,
} from '../../../shared/domain/placement.ts';
import { parseExecutionName } from '../../../shared/domain/names.ts';
import type { PartDoc, PodDoc, SessionTree } from '../../../shared/domain/session.ts';
import { newTimedResource } from '../../../shared/domain/timed-resource.ts';
import { CAPACITY_RETRY_MS, decide, recordPhaseOutcome } from '../../../shared/orchestration/decide.ts';
import { ensurePlaced, type NativePorts } from '../../../shared/orchestration/native.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StoredItem, WriteOp } from '../../../shared/store/state-store.ts';
import { MIN, T0, drive, tree } from './fixtures.ts';

const worker = (id: string, over: Partial<WorkerDoc> = {}): StoredItem & WorkerDoc =>
  ({
    ...keys.worker(id),
    id,
    status: 'running',
    desired_status: 'running',
    state_version: 1,
    region: 'eu-west-1',
    host_type: 'cml_on_aws',
    license: 'enterprise',
    address: '10.0.0.1',
    capacity: { cpu_cores: 8, memory_gb: 32, max_nodes: 20 },
    allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
    ports: { start: 3000, end: 3100 },
    ports_in_use: [],
    pods: [],
    sessions: [],
    ...over,
  }) as StoredItem & WorkerDoc;

const FULL = { cpu_cores: 8, memory_gb: 32, nodes: 20, pods: 4 };
const needs: PodNeeds = {
  pod_id: 'pod_1',
  session_id: 'ses_1',
  host_type: 'cml_on_aws',
  cpu_cores: 2,
  memory_gb: 4,
  nodes: 2,
  port_names: ['r1_serial'],
};

describe('placeOrWait: the pure rule', () => {
  const at = { now: T0, until: T0 + 10 * MIN };

  it('a running worker that fits is taken, booting ones or not', () => {
    const p = placeOrWait(needs, [worker('w_run'), worker('w_boot', { status: 'starting' })], at);
    expect(p).toMatchObject({ ok: true, worker: { id: 'w_run' } });
  });

  it.each(['pending', 'provisioning', 'starting', 'stopped'])(
    'no running worker fits and a %s one wanted running will: wait for it until the bound',
    (status) => {
      const p = placeOrWait(needs, [worker('w_full', { allocated: FULL }), worker('w_new', { status })], at);
      expect(p).toMatchObject({ ok: false, wait: { until: at.until, workers: ['w_new'] } });
      expect(p.rejected).toEqual([
        { worker: 'w_full', reason: 'needs 2 cores, 0 free' },
        { worker: 'w_new', reason: `status ${status}` },
      ]);
    },
  );

  it('at the bound the refusal stands, naming the bound (not a millisecond before)', () => {
    const ws = [worker('w_new', { status: 'starting' })];
    expect(placeOrWait(needs, ws, { now: at.until - 1, until: at.until })).toHaveProperty('wait');
    const late = placeOrWait(needs, ws, { now: at.until, until: at.until });
    expect(late).toMatchObject({ ok: false, late: at.until });
    expect(late).not.toHaveProperty('wait');
  });

  it('no wait for a booting worker that will not fit, is being stopped, or is cordoned', () => {
    const ws = [
      worker('w_hw', { status: 'starting', host_type: 'hybrid_hardware' }),
      worker('w_small', { status: 'starting', capacity: { cpu_cores: 1, memory_gb: 32, max_nodes: 20 } }),
      worker('w_going', { status: 'stopping', desired_status: 'stopped' }),
      worker('w_cord', { status: 'starting', cordoned: true }),
      worker('w_failed', { status: 'failed' }),
    ];
    const p = placeOrWait(needs, ws, at);
    expect(p.ok).toBe(false);
    expect(p).not.toHaveProperty('wait');
    expect(p).not.toHaveProperty('late');
  });

  it("the wait ends at the part's start, or the lead time after the pod was put back, whichever is later", () => {
    const slot = { start: new Date(T0 + 60 * MIN).toISOString(), lead_time_minutes: 15 };
    expect(capacityWaitUntil(slot, T0)).toBe(T0 + 60 * MIN);
    expect(capacityWaitUntil(slot, T0 + 70 * MIN)).toBe(T0 + 85 * MIN);
    const pod = {
      created_at: new Date(T0).toISOString(),
      state_history: [
        { to: 'pending', at: new Date(T0).toISOString() },
        { to: 'ready', at: new Date(T0 + 50 * MIN).toISOString() },
        { to: 'pending', at: new Date(T0 + 70 * MIN).toISOString() },
      ],
    };
    expect(pendingSince(pod)).toBe(T0 + 70 * MIN);
  });
});

describe('ensurePlaced: a retryable error while the fitting worker boots', () => {
  function setup(workers: (StoredItem & WorkerDoc)[], now: number, lostEveryRace = false) {
    const pod = {
      ...keys.pod('ses_1', 1, 0),
      ...newTimedResource('pod_1', 'pending', 'ready', T0, 'api'),
      session_id: 'ses_1',
      part_order: 1,
      index: 0,
      pod_type: 'cml_on_aws',
      pod_definition_id: 'pd_1',
    } as StoredItem & PodDoc;
    const part = {
      ...keys.part('ses_1', 1),
      timeslot: {
        start: new Date(T0 + 30 * MIN).toISOString(),
        end: new Date(T0 + 90 * MIN).toISOString(),
        lead_time_minutes: 15,
        teardown_buffer_minutes: 10,
      },
    } as StoredItem & Partial<PartDoc>;
    const items = new Map<string, StoredItem>([pod, part, ...workers].map((i) => [`${i.pk}|${i.sk}`, i]));
    const writes: WriteOp[][] = [];
    const ports = {
      store: {
        get: async (k: { pk: string; sk: string }) => structuredClone(items.get(`${k.pk}|${k.sk}`)),
        queryIndex: async () => ({ items: workers.map((w) => ({ id: w.id })), cursor: undefined }),
        write: async (ops: WriteOp[]) => void writes.push(ops),
        retrying: async <T>(what: string, fn: (n: number) => Promise<T>) => {
          // As StateStore.retrying ends when every attempt lost its race to another placement.
          if (lostEveryRace) throw new ConflictError(`${what} kept changing; gave up after 20 attempts`);
          return fn(1);
        },
      },
      clock: { now: () => now },
      content: async () => ({
        title: 'lcm-x',
        topology: null,
        ports: ['r1_serial'],
        needs: { cpu_cores: 2, memory_gb: 4, nodes: 2 },
      }),
    } as unknown as NativePorts;
    const input = { step: 'ports_alloc', session_id: 'ses_1', part_order: 1 };
    return { place: () => ensurePlaced(pod, input, ports), writes };
  }

  it('throws lcm.WaitingForCapacity, naming the booting worker and the bound; nothing written', async () => {
    const s = setup([worker('w_full', { allocated: FULL }), worker('w_boot', { status: 'starting' })], T0);
    const err = await s.place().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitingForCapacity);
    expect((err as Error).name).toBe(WAITING_FOR_CAPACITY);
    expect((err as Error).message).toContain('waits for a worker that is booting (w_boot)');
    expect((err as Error).message).toContain(`until ${new Date(T0 + 30 * MIN).toISOString()}`);
    expect((err as Error).message).toContain('w_full: needs 2 cores, 0 free');
    expect(s.writes).toEqual([]);
  });

  it("past the part's start the refusal is final, with the bound in its reason", async () => {
    const s = setup([worker('w_boot', { status: 'starting' })], T0 + 30 * MIN);
    const err = (await s.place().catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('Problem');
    expect(err.message).toBe(
      `no worker took pod pod_1 by ${new Date(T0 + 30 * MIN).toISOString()}, the end of its wait for capacity: w_boot: status starting`,
    );
  });

  it('a placement that lost every race before the part starts waits too: retryable, nothing written (D146)', async () => {
    const s = setup([worker('w_free')], T0, true);
    const err = await s.place().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitingForCapacity);
    expect((err as Error).message).toBe(
      `pod pod_1 lost every race for a worker (placing pod pod_1 kept changing; gave up after 20 attempts); it tries again until ${new Date(T0 + 30 * MIN).toISOString()}`,
    );
    expect(s.writes).toEqual([]);
  });

  it('a placement that lost every race after its wait ended is a conflict, as before', async () => {
    const s = setup([worker('w_free')], T0 + 30 * MIN, true);
    const err = (await s.place().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe('placing pod pod_1 kept changing; gave up after 20 attempts');
  });

  it('nothing booting: refused at once, as before', async () => {
    const s = setup([worker('w_full', { allocated: FULL })], T0);
    const err = (await s.place().catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('Problem');
    expect(err.message).toBe('no worker can take pod pod_1: w_full: needs 2 cores, 0 free');
  });
});

describe('decide: a part whose pod waits for capacity', () => {
  /** A lablet starting at T0+60 whose instantiate phase (at T0+45) found only a booting worker. */
  function waitingAt(): { t: SessionTree; failedAt: number } {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const failedAt = T0 + 45 * MIN;
    const { tree: cur } = drive(t, { until: failedAt, stepMin: 1, outcome: () => 'failed' });
    return { t: cur, failedAt };
  }
  function waitOutcome(t: SessionTree, now: number) {
    const ex = t.parts[0]!.phase_execution!;
    // The drive's world failed it with 'boom'; this one says why, as the native step does.
    ex.outcome = undefined;
    delete ex.error;
    recordPhaseOutcome(t, ex.execution_name, 'failed', WAITING_FOR_CAPACITY, now, 'pod_1 waits');
    t.pods[0]!.status = 'pending';
  }

  it('stays instantiating, runs the phase again a minute after it failed (the next attempt), not before', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const at = T0 + 45 * MIN;
    const d0 = decide(t, at, 'dev');
    expect(d0.tree.parts[0]!.status).toBe('instantiating');
    waitOutcome(d0.tree, at);
    const early = decide(d0.tree, at + CAPACITY_RETRY_MS - 1, 'dev');
    expect(early.tree.parts[0]!.status).toBe('instantiating');
    expect(early.commands).toEqual([]);
    const again = decide(d0.tree, at + CAPACITY_RETRY_MS, 'dev');
    expect(again.tree.parts[0]!.status).toBe('instantiating');
    const start = again.commands.find((c) => c.kind === 'start_execution') as { execution_name: string };
    expect(parseExecutionName(start.execution_name)).toMatchObject({ phase: 'instantiate', attempt: 2 });
    expect(again.tree.parts[0]!.phase_log!.at(-1)).toMatchObject({ error: WAITING_FOR_CAPACITY });
  });

  it('fails the part at its start with no_capacity, naming the pod and the bound', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const d0 = decide(t, T0 + 45 * MIN, 'dev');
    waitOutcome(d0.tree, T0 + 59 * MIN);
    const end = decide(d0.tree, T0 + 60 * MIN, 'dev').tree.parts[0]!;
    expect(end.status).toBe('failed');
    expect(end.failure).toMatchObject({ phase: 'instantiate', error: 'no_capacity' });
    expect(end.failure!.cause).toBe(
      `no worker took pod_1 by ${new Date(T0 + 60 * MIN).toISOString()}, the end of the wait for capacity; last: pod_1 waits`,
    );
  });

  it('a wait outcome whose pods were placed meanwhile runs the phase again, even past the bound', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    const d0 = decide(t, T0 + 45 * MIN, 'dev');
    waitOutcome(d0.tree, T0 + 59 * MIN);
    Object.assign(d0.tree.pods[0]!, { status: 'provisioning', host_id: 'w_1' });
    const d = decide(d0.tree, T0 + 61 * MIN, 'dev');
    expect(d.tree.parts[0]!.status).toBe('instantiating');
    expect(d.commands.map((c) => c.kind)).toEqual(['start_execution']);
  });

  it('any other failure still fails the part at once', () => {
    const { t } = waitingAt();
    expect(t.parts[0]!.status).toBe('failed');
    expect(t.parts[0]!.failure).toMatchObject({ error: 'boom' });
  });
});
