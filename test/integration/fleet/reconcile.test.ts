import { afterAll, describe, expect, it } from 'vitest';
import { Ec2Error } from '../../../shared/adapters/ec2-errors.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { DEFAULT_FLEET_CONFIG, type PodBooking } from '../../../shared/domain/scaling.ts';
import type { WorkerRecord } from '../../../shared/domain/worker.ts';
import {
  allWorkers,
  DEFAULT_FLEET_SETTINGS,
  reconcileFleet,
  type Ec2Port,
  type FleetPorts,
  type FleetSettings,
} from '../../../shared/fleet/reconcile.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StateStore, StoredItem } from '../../../shared/store/state-store.ts';
import { Ec2SimError, Ec2Simulator } from '../../../infra/local/sim/ec2-sim.ts';
import { freshStateStore } from '../../helpers/tables.ts';
import { booking, MIN, T0, templates } from '../../unit/fleet/fixtures.ts';

/** One state table per rig: a table belongs to one stage, as in AWS. */
const tables: Awaited<ReturnType<typeof freshStateStore>>[] = [];
afterAll(() => Promise.all(tables.map((t) => t.drop())));

/** The simulator behind the fleet's EC2 port (the HTTP endpoint is tested on its own). */
function simPort(sim: Ec2Simulator, stage: string): Ec2Port {
  const wrap = async <T>(f: () => T): Promise<T> => {
    try {
      return f();
    } catch (e) {
      if (e instanceof Ec2SimError)
        throw new Ec2Error(
          e.code === 'InstanceLimitExceeded'
            ? 'limit'
            : e.code.includes('NotFound')
              ? 'not_found'
              : 'capacity',
          e.code,
          `${e.code}: ${e.message}`,
        );
      throw e;
    }
  };
  const view = (i: { id: string; state: string; private_ip: string; tags: Record<string, string> }) => ({
    instance_id: i.id,
    state: i.state as 'running',
    private_ip: i.private_ip,
    ...(i.tags['lcm:worker-id'] ? { worker_id: i.tags['lcm:worker-id'] } : {}),
    ...(i.tags['lcm:template'] ? { template: i.tags['lcm:template'] } : {}),
  });
  return {
    run: (spec) =>
      wrap(() =>
        view(
          sim.run({
            image: sim.describeImages({ name: [spec.template.ami_name_pattern] }, ['self'])[0]!.id,
            type: spec.template.instance_type,
            groups: spec.security_group_ids,
            subnet: spec.subnet_id,
            client_token: spec.worker_id,
            tags: { 'lcm:stage': stage, 'lcm:worker-id': spec.worker_id, 'lcm:template': spec.template.name },
          }),
        ),
      ),
    describe: async (ids) => {
      const found = new Map(
        sim.describe({ ids }).map((i) => [i.id, { state: i.state, private_ip: i.private_ip }] as const),
      );
      return new Map(ids.map((id) => [id, found.get(id) ?? { state: 'absent' as const }]));
    },
    discover: async () =>
      sim
        .describe({
          tags: { 'lcm:stage': [stage] },
          states: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'],
        })
        .map(view),
    start: (id) => wrap(() => void sim.start(id)),
    stop: (id) => wrap(() => void sim.stop(id)),
    terminate: (id) =>
      wrap(() => {
        if (sim.instances.has(id)) sim.terminate(id);
      }),
  };
}

interface Rig {
  clock: ManualClock;
  sim: Ec2Simulator;
  ports: FleetPorts;
  bookings: PodBooking[];
  store: StateStore;
}

let rigs = 0;
async function rig(over: Partial<FleetSettings> = {}): Promise<Rig> {
  const table = await freshStateStore();
  tables.push(table);
  const clock = new ManualClock(T0);
  const sim = new Ec2Simulator(clock, { transition_ms: MIN, cml_boot_ms: 9 * MIN });
  const stage = `t${++rigs}`;
  const bookings: PodBooking[] = [];
  let n = 0;
  const settings: FleetSettings = {
    ...DEFAULT_FLEET_CONFIG,
    ...DEFAULT_FLEET_SETTINGS,
    network: { subnet_id: 'subnet-1', security_group_ids: ['sg-1'] },
    ...over,
  };
  return {
    clock,
    sim,
    bookings,
    store: table.store,
    ports: {
      store: table.store,
      ec2: simPort(sim, stage),
      clock,
      settings,
      probe: async (w) => (w.instance_id ? sim.cmlReady(w.instance_id) : false),
      templates: async () => templates,
      bookings: async () => bookings,
      newWorkerId: () => `wrk_${stage}_${++n}`,
    },
  };
}

/** Only this rig's workers (the table is shared by the file's tests). */
async function mine(r: Rig): Promise<WorkerRecord[]> {
  return (await allWorkers(r.store)).filter((w) => w.id.startsWith(`wrk_t${rigsOf(r)}_`));
}
const rigIds = new WeakMap<Rig, number>();
const rigsOf = (r: Rig) => rigIds.get(r)!;
async function tracked(over: Partial<FleetSettings> = {}): Promise<Rig> {
  const r = await rig(over);
  rigIds.set(r, rigs);
  return r;
}

/** Passes every minute of virtual time until `until`. */
async function run(r: Rig, until: number) {
  while (r.clock.now() < until) {
    await reconcileFleet(r.ports);
    r.clock.advance(MIN);
  }
}

describe('the fleet reconcile pass (DynamoDB Local, simulated EC2, manual clock)', () => {
  it('from zero workers, a booked pod gets a worker launched ahead that is running before its provision time', async () => {
    const r = await tracked();
    const P = T0 + 120 * MIN;
    r.bookings.push(booking('pod_a', P));
    await run(r, P - 16 * MIN);
    expect(await mine(r)).toEqual([]); // nothing launched too early
    await run(r, P);
    const [w] = await mine(r);
    expect(w).toMatchObject({ status: 'running', template: 'cml-m5-2xlarge', desired_status: 'running' });
    expect(w!.state_history.map((h) => h.to)).toEqual(['pending', 'provisioning', 'starting', 'running']);
    expect(Date.parse(w!.started_at!)).toBeLessThanOrEqual(P);
    expect(w!.scaling).toMatchObject({ direction: 'up' });
    expect(w!.scaling!.reason).toContain('pod pod_a provisions at');
    expect(w!.instance_id).toMatch(/^i-/);
    expect(w!.address).toMatch(/^10\.20\./);
  });

  it('a late pass that finds the instance running and CML already up moves the worker to running in one write', async () => {
    // On a loaded machine passes come far apart in virtual time: the first pass after launch sees
    // the instance running and CML answering at once (two moves in one step).
    const r = await tracked({ warm: [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 1 }] });
    await reconcileFleet(r.ports); // launch
    r.clock.advance(MIN);
    await reconcileFleet(r.ports); // provisioning: the instance is asked for
    r.clock.advance(120 * MIN); // no pass while the instance starts and CML boots
    const report = await reconcileFleet(r.ports);
    expect(report.errors).toEqual([]);
    const [w] = await mine(r);
    expect(w).toMatchObject({ status: 'running' });
    expect(w!.state_history.map((h) => h.to)).toEqual(['pending', 'provisioning', 'starting', 'running']);
  });

  it('a pass run twice in the same instant does nothing the first did not', async () => {
    const r = await tracked({ warm: [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 1 }] });
    await reconcileFleet(r.ports);
    await reconcileFleet(r.ports);
    const ws = await mine(r);
    expect(ws).toHaveLength(1);
    expect(r.sim.instances.size).toBe(1); // the client token made the second RunInstances the same one
  });

  it('scales an idle worker down through stopping to stopped after the cooldown, and announces why', async () => {
    const r = await tracked();
    r.bookings.push(booking('pod_b', T0 + 20 * MIN, { release_at: T0 + 40 * MIN }));
    await run(r, T0 + 30 * MIN);
    expect((await mine(r))[0]!.status).toBe('running');
    r.bookings.length = 0; // the pod is gone
    await run(r, T0 + 90 * MIN);
    const [w] = await mine(r);
    expect(w!.status).toBe('stopped');
    expect(w!.scaling).toMatchObject({ direction: 'down' });
    expect(w!.scaling!.reason).toContain('nothing booked within 60 min');
    expect(w!.state_history.map((h) => h.to).slice(-2)).toEqual(['stopping', 'stopped']);
    expect(r.sim.instances.get(w!.instance_id!)!.state).toBe('stopped');
  });

  it('a worker whose instance vanished fails and its pods are failed or placed again by their part phase', async () => {
    const r = await tracked({ warm: [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 1 }] });
    await run(r, T0 + 15 * MIN);
    const [w] = await mine(r);
    expect(w!.status).toBe('running');
    // Two sessions' pods on it: one part still before the candidate, one in the candidate's hands.
    const podOf = async (sid: string, partStatus: string) => {
      await r.store.put(
        {
          ...keys.part(sid, 1),
          entity: 'part',
          id: `${sid}.p1`,
          session_id: sid,
          order: 1,
          status: partStatus,
          state_version: 1,
        } as StoredItem,
        null,
      );
      await r.store.put(
        {
          ...keys.pod(sid, 1, 0),
          entity: 'pod',
          id: `pod_${sid}`,
          session_id: sid,
          part_order: 1,
          index: 0,
          status: 'ready',
          desired_status: 'ready',
          host_id: w!.id,
          ports: { r1: 2000 },
          state_history: [],
          state_version: 1,
        } as StoredItem,
        null,
      );
      r.bookings.push(
        booking(`pod_${sid}`, T0, { session_id: sid, host_id: w!.id, release_at: T0 + 600 * MIN }),
      );
    };
    await podOf(`s_${rigsOf(r)}_a`, 'waiting');
    await podOf(`s_${rigsOf(r)}_b`, 'monitoring');
    await r.store.update<StoredItem & WorkerRecord>(keys.worker(w!.id), (cur) => ({
      ...cur,
      pods: [`pod_s_${rigsOf(r)}_a`, `pod_s_${rigsOf(r)}_b`],
    }));
    r.sim.kill(w!.instance_id!);
    const report = await reconcileFleet(r.ports);
    const lost = await r.store.get<StoredItem & WorkerRecord>(keys.worker(w!.id));
    expect(lost).toMatchObject({
      status: 'failed',
      failure: `instance ${w!.instance_id} is terminated`,
      pods: [],
    });
    expect(report.lost_pods).toEqual([
      { pod: `pod_s_${rigsOf(r)}_a`, action: 'replace' },
      { pod: `pod_s_${rigsOf(r)}_b`, action: 'fail_part' },
    ]);
    const a = await r.store.get<
      StoredItem & { status: string; host_id?: string; state_history: { reason?: string }[] }
    >(keys.pod(`s_${rigsOf(r)}_a`, 1, 0));
    expect(a).toMatchObject({ status: 'pending' });
    expect(a!.host_id).toBeUndefined();
    expect(a!.state_history.at(-1)!.reason).toBe(
      `worker ${w!.id} lost: instance ${w!.instance_id} is terminated; placing again`,
    );
    const b = await r.store.get<StoredItem & { status: string }>(keys.pod(`s_${rigsOf(r)}_b`, 1, 0));
    expect(b).toMatchObject({ status: 'failed' });
    // A replacement is launched in the same pass, for the re-placed pod (which the bookings, read
    // from views the stream has not caught up with, still show on the lost worker): its part
    // waits for that worker from now on (D150). It also restores the warm minimum.
    expect(report.decisions.filter((d) => d.kind === 'launch')).toEqual([
      expect.objectContaining({ pods: [`pod_s_${rigsOf(r)}_a`] }),
    ]);
  });

  it('an instance of the stage with no record is terminated (policy terminate) or adopted (policy adopt)', async () => {
    const r = await tracked();
    const stray = r.sim.run({
      image: 'ami-0c3a1c0000000281',
      type: 'm5.2xlarge',
      groups: [],
      tags: { 'lcm:stage': `t${rigsOf(r)}`, 'lcm:worker-id': 'wrk_stray', 'lcm:template': 'cml-m5-2xlarge' },
    });
    const report = await reconcileFleet(r.ports);
    expect(report.orphans).toEqual([{ instance_id: stray.id, action: 'terminated' }]);
    expect(r.sim.instances.get(stray.id)!.state).toBe('shutting-down');

    const a = await tracked({ orphans: 'adopt' });
    const orphan = a.sim.run({
      image: 'ami-0c3a1c0000000281',
      type: 'm5.2xlarge',
      groups: [],
      tags: {
        'lcm:stage': `t${rigsOf(a)}`,
        'lcm:worker-id': `wrk_t${rigsOf(a)}_adopted`,
        'lcm:template': 'cml-m5-2xlarge',
      },
    });
    const rep = await reconcileFleet(a.ports);
    expect(rep.orphans).toEqual([{ instance_id: orphan.id, action: 'adopted' }]);
    const adopted = await a.store.get<StoredItem & WorkerRecord>(keys.worker(`wrk_t${rigsOf(a)}_adopted`));
    expect(adopted).toMatchObject({ instance_id: orphan.id, template: 'cml-m5-2xlarge' });
  });

  it('a launch EC2 refuses for the account limit fails the worker with EC2 reason', async () => {
    const r = await tracked({ warm: [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 1 }] });
    (r.sim.options as { instance_limit: number }).instance_limit = 0;
    await reconcileFleet(r.ports); // decides the launch
    await reconcileFleet(r.ports); // tries it
    const [w] = await mine(r);
    expect(w!.status).toBe('failed');
    expect(w!.failure).toContain('InstanceLimitExceeded');
  });
});
