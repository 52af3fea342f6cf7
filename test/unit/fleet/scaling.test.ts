import { describe, expect, it } from 'vitest';
import { iso, ManualClock } from '../../../shared/domain/clock.ts';
import {
  canHost,
  DEFAULT_FLEET_CONFIG,
  decideScaling,
  type FleetConfig,
  type PodBooking,
  type ScalingDecision,
} from '../../../shared/domain/scaling.ts';
import type { WorkerRecord } from '../../../shared/domain/worker.ts';
import { booking, MIN, T0, templates, worker } from './fixtures.ts';

const config: FleetConfig = { ...DEFAULT_FLEET_CONFIG, region: 'eu-west-1' };
const decide = (
  workers: WorkerRecord[],
  bookings: PodBooking[],
  now: number,
  over: Partial<FleetConfig> = {},
) => decideScaling({ workers, templates, bookings, config: { ...config, ...over }, now });
const kinds = (d: ScalingDecision[]) => d.map((x) => x.kind);
const ups = (d: ScalingDecision[]) =>
  d.filter((x) => x.kind === 'launch' || x.kind === 'start' || x.kind === 'undrain');

describe('scaling ahead of demand', () => {
  const P = T0 + 120 * MIN; // the pod's provision time
  const lead = (config.boot_minutes + config.margin_minutes) * MIN; // 15 min

  it('launches exactly boot + margin before the provision time, not a millisecond earlier', () => {
    const clock = new ManualClock(P - lead - 1);
    expect(decide([], [booking('p1', P)], clock.now())).toEqual([]);
    clock.advance(1);
    const d = decide([], [booking('p1', P)], clock.now());
    expect(d).toEqual([
      {
        kind: 'launch',
        template: 'cml-m5-2xlarge',
        region: 'eu-west-1',
        pods: ['p1'],
        reason: `pod p1 provisions at ${iso(P)} and no worker that will be running by then fits it: cheapest fitting template cml-m5-2xlarge`,
      },
    ]);
  });

  it('the CML boot time is configuration: 20 min boot launches 23 min ahead', () => {
    expect(decide([], [booking('p1', P)], P - 23 * MIN - 1, { boot_minutes: 20 })).toEqual([]);
    expect(kinds(decide([], [booking('p1', P)], P - 23 * MIN, { boot_minutes: 20 }))).toEqual(['launch']);
  });

  it('does not scale up when a running worker fits', () => {
    expect(decide([worker('w1')], [booking('p1', P)], P - lead)).toEqual([
      { kind: 'keep', worker_id: 'w1', reason: 'pod p1 booked within the 60 min look-ahead would use it' },
    ]);
  });

  it('counts a worker on its way: ready by the provision time it is enough, no launch', () => {
    const w = worker('w1', { status: 'provisioning', launched_at: iso(P - lead) });
    expect(decide([w], [booking('p1', P)], P - lead + MIN)).toEqual([]);
  });

  it('packs due pods onto one new worker while they fit, and launches another when they do not', () => {
    const bs = [booking('p1', P), booking('p2', P), booking('p3', P)]; // 4 cores each, 8 per worker
    const d = ups(decide([], bs, P - lead));
    expect(d.map((x) => [x.kind, x.pods])).toEqual([
      ['launch', ['p1', 'p2']],
      ['launch', ['p3']],
    ]);
  });

  it('reuses capacity freed before a later pod starts (windows that do not overlap share a worker)', () => {
    const early = booking('p1', P, {
      needs: { cpu_cores: 8, memory_gb: 32, nodes: 8, ports: 4 },
      release_at: P + 60 * MIN,
    });
    const later = booking('p2', P + 60 * MIN, { needs: { cpu_cores: 8, memory_gb: 32, nodes: 8, ports: 4 } });
    // At P + 45 min p2 is due; p1 is placed on the new worker and releases at P + 60 min.
    const w = worker('w1', { pods: ['p1'], allocated: { cpu_cores: 8, memory_gb: 32, nodes: 8, pods: 1 } });
    expect(decide([w], [{ ...early, host_id: 'w1' }, later], P + 45 * MIN)).toEqual([]);
    const overlapping = { ...later, provision_at: P + 59 * MIN };
    expect(kinds(ups(decide([w], [{ ...early, host_id: 'w1' }, overlapping], P + 44 * MIN)))).toEqual([
      'launch',
    ]);
  });

  it('chooses the template from what the pod needs: cheapest that fits, licence and size', () => {
    const big = booking('p1', P, { needs: { cpu_cores: 12, memory_gb: 48, nodes: 30, ports: 4 } });
    expect(ups(decide([], [big], P - lead))[0]).toMatchObject({ template: 'cml-m5-4xlarge' });
    // A small pod on a one-session personal worker pays for the whole worker: an m5.2xlarge
    // shared by four such pods is cheaper per core; a pod that fills the personal worker uses it.
    const small = booking('p2', P, {
      license: 'personal',
      needs: { cpu_cores: 2, memory_gb: 8, nodes: 4, ports: 4 },
    });
    expect(ups(decide([], [small], P - lead))[0]).toMatchObject({ template: 'cml-m5-2xlarge' });
    const whole = booking('p3', P, {
      license: 'personal',
      needs: { cpu_cores: 8, memory_gb: 32, nodes: 20, ports: 4 },
    });
    expect(ups(decide([], [whole], P - lead))[0]).toMatchObject({ template: 'cml-personal-t3' });
  });

  it('a refused placement scales up with the rejection reasons in the decision', () => {
    const b = booking('p1', P - 5 * MIN, {
      rejections: [{ worker: 'w1', reason: 'licence personal does not satisfy enterprise' }],
    });
    const w = worker('w1', { template: 'cml-personal-t3', license: 'personal' });
    const [d] = ups(decide([w], [b], P));
    expect(d).toMatchObject({ kind: 'launch', template: 'cml-m5-2xlarge' });
    expect(d!.reason).toBe(
      'placement found no fit for pod p1 (w1: licence personal does not satisfy enterprise): cheapest fitting template cml-m5-2xlarge',
    );
  });

  it('is bounded per template (falls to the next) and holds with reasons when every bound is reached', () => {
    const full = [1, 2, 3].map((i) =>
      worker(`w${i}`, { pods: [`x${i}`], allocated: { cpu_cores: 8, memory_gb: 32, nodes: 8, pods: 1 } }),
    );
    const d1 = ups(decide(full, [booking('p1', P)], P - lead));
    expect(d1[0]).toMatchObject({ kind: 'launch', template: 'cml-m5-4xlarge' });
    const d2 = decide(full, [booking('p1', P)], P - lead, { max_workers_per_region: 3 });
    expect(d2).toEqual([
      {
        kind: 'hold',
        pods: ['p1'],
        reason: `pod p1 provisions at ${iso(P)} and no worker that will be running by then fits it; cannot scale up: eu-west-1 has 3 live workers, the region's maximum`,
      },
    ]);
    const four = [
      ...full,
      ...[4, 5].map((i) =>
        worker(`w${i}`, {
          template: 'cml-m5-4xlarge',
          pods: [`x${i}`],
          allocated: { cpu_cores: 16, memory_gb: 64, nodes: 8, pods: 1 },
        }),
      ),
    ];
    const [hold] = decide(four, [booking('p1', P)], P - lead);
    expect(hold).toMatchObject({ kind: 'hold' });
    expect((hold as { reason: string }).reason).toContain(
      'cml-m5-2xlarge: at its maximum of 3 per region; cml-m5-4xlarge: at its maximum of 2 per region; cml-personal-t3: licence personal',
    );
  });

  it('cancels a drain before it starts or launches anything', () => {
    const w = worker('w1', { desired_status: 'stopped', status: 'draining' });
    const s = worker('w2', { status: 'stopped', desired_status: 'stopped' });
    expect(ups(decide([w, s], [booking('p1', P)], P - lead))).toMatchObject([
      { kind: 'undrain', worker_id: 'w1', pods: ['p1'] },
    ]);
  });

  it('starts a stopped worker of a fitting template rather than launching a new one', () => {
    const s = worker('w2', { status: 'stopped', desired_status: 'stopped' });
    expect(ups(decide([s], [booking('p1', P)], P - lead))).toMatchObject([
      { kind: 'start', worker_id: 'w2' },
    ]);
  });

  it('a cordoned worker takes nothing: the pod scales up elsewhere', () => {
    expect(kinds(ups(decide([worker('w1', { cordoned: true })], [booking('p1', P)], P - lead)))).toEqual([
      'launch',
    ]);
  });
});

describe('the warm minimum', () => {
  const warm = [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 2 }];
  it('launches up to the warm minimum, starting stopped workers first', () => {
    const s = worker('w9', { status: 'stopped', desired_status: 'stopped' });
    const d = decide([s], [], T0, { warm });
    expect(
      d.map((x) => [x.kind, 'worker_id' in x ? x.worker_id : x.kind === 'launch' ? x.template : '']),
    ).toEqual([
      ['start', 'w9'],
      ['launch', 'cml-m5-2xlarge'],
    ]);
    expect(d[0]!.reason).toBe('warm minimum 2 of cml-m5-2xlarge in eu-west-1');
  });
  it('does nothing when the minimum is live (booting counts)', () => {
    expect(
      decide([worker('w1'), worker('w2', { status: 'starting' })], [], T0, { warm }).filter(
        (x) => x.kind !== 'keep',
      ),
    ).toEqual([]);
  });
});

describe('scaling down behind the guards', () => {
  const idleAt = T0;
  const cooldown = config.cooldown_minutes * MIN;
  const idle = (id = 'w1', over: Partial<WorkerRecord> = {}) =>
    worker(id, { idle_since: iso(idleAt), ...over });

  it('drains an idle worker once the cooldown has passed, not a millisecond before', () => {
    expect(decide([idle()], [], idleAt + cooldown - 1)).toEqual([
      { kind: 'keep', worker_id: 'w1', reason: `idle since ${iso(idleAt)}, within the 15 min cooldown` },
    ]);
    expect(decide([idle()], [], idleAt + cooldown)).toEqual([
      {
        kind: 'drain',
        worker_id: 'w1',
        template: 'cml-m5-2xlarge',
        region: 'eu-west-1',
        to: 'stopped',
        reason: `idle since ${iso(idleAt)} (cooldown 15 min), nothing booked within 60 min, above the warm minimum 0`,
      },
    ]);
  });

  it('without idle_since the cooldown counts from when the worker became running', () => {
    const w = worker('w1', {}, T0);
    expect(kinds(decide([w], [], T0 + cooldown - 1))).toEqual(['keep']);
    expect(kinds(decide([w], [], T0 + cooldown))).toEqual(['drain']);
  });

  it('never drains a worker holding a pod', () => {
    const w = idle('w1', { pods: ['p'], allocated: { cpu_cores: 1, memory_gb: 1, nodes: 1, pods: 1 } });
    expect(
      decide([w], [booking('p', T0, { host_id: 'w1', release_at: T0 + 600 * MIN })], T0 + 300 * MIN),
    ).toEqual([]);
  });

  it('keeps a worker a pod booked within the look-ahead would use; drains it past the horizon', () => {
    const now = idleAt + cooldown;
    const within = booking('p1', now + 60 * MIN);
    expect(decide([idle()], [within], now)).toEqual([
      { kind: 'keep', worker_id: 'w1', reason: 'pod p1 booked within the 60 min look-ahead would use it' },
    ]);
    const beyond = booking('p1', now + 60 * MIN + 1);
    expect(kinds(decide([idle()], [beyond], now))).toEqual(['drain']);
  });

  it('drains only the workers the look-ahead does not need (the fullest one is kept)', () => {
    const now = idleAt + cooldown;
    const d = decide([idle('w1'), idle('w2')], [booking('p1', now + 30 * MIN)], now);
    expect(d.map((x) => [x.kind, 'worker_id' in x ? x.worker_id : ''])).toEqual([
      ['keep', 'w1'],
      ['drain', 'w2'],
    ]);
  });

  it('keeps the warm minimum', () => {
    const warm = [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 1 }];
    const d = decide([idle('w1'), idle('w2')], [], idleAt + cooldown, { warm });
    expect(d).toEqual([
      expect.objectContaining({ kind: 'drain', worker_id: 'w1' }),
      { kind: 'keep', worker_id: 'w2', reason: 'warm minimum 1 of cml-m5-2xlarge in eu-west-1' },
    ]);
  });

  it('leaves a cordoned worker to its operator', () => {
    expect(decide([idle('w1', { cordoned: true })], [], idleAt + cooldown)).toEqual([
      { kind: 'keep', worker_id: 'w1', reason: 'cordoned by an operator' },
    ]);
  });

  it('scales down to terminated when so configured', () => {
    expect(decide([idle()], [], idleAt + cooldown, { scale_down_to: 'terminated' })[0]).toMatchObject({
      to: 'terminated',
    });
  });

  it('drains the most expensive idle worker first', () => {
    const d = decide([idle('w1'), idle('w2', { template: 'cml-m5-4xlarge' })], [], idleAt + cooldown, {
      warm: [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 0 }],
    });
    expect(d.map((x) => 'worker_id' in x && x.worker_id)).toEqual(['w2', 'w1']);
  });
});

describe('can a timeslot be hosted', () => {
  const P = T0 + 600 * MIN;
  const full = (i: number) =>
    worker(`w${i}`, { pods: [`x${i}`], allocated: { cpu_cores: 8, memory_gb: 32, nodes: 8, pods: 1 } });
  const held = (i: number) => booking(`x${i}`, T0, { host_id: `w${i}`, release_at: P + 600 * MIN });
  it('hostable on running capacity, or by starting what the bounds allow', () => {
    expect(
      canHost([booking('ask', P)], { workers: [worker('w1')], templates, bookings: [], config }),
    ).toEqual({
      hostable: true,
      reasons: [],
      scale_ups: 0,
    });
    expect(
      canHost([booking('ask', P)], { workers: [full(1)], templates, bookings: [held(1)], config }),
    ).toMatchObject({
      hostable: true,
      scale_ups: 1,
    });
  });
  it('not hostable when the region is at its bound, with the reason', () => {
    const r = canHost([booking('ask', P)], {
      workers: [full(1), full(2)],
      templates,
      bookings: [held(1), held(2)],
      config: { ...config, max_workers_per_region: 2 },
    });
    expect(r.hostable).toBe(false);
    expect(r.reasons).toEqual([
      `pod ask provisions at ${iso(P)} and no worker that will be running by then fits it; cannot scale up: eu-west-1 has 2 live workers, the region's maximum`,
    ]);
  });
  it('counts pods already booked for the same time: the last free place goes to the first booking', () => {
    const booked = booking('other', P, { needs: { cpu_cores: 8, memory_gb: 32, nodes: 8, ports: 4 } });
    const ask = booking('ask', P, { needs: { cpu_cores: 8, memory_gb: 32, nodes: 8, ports: 4 } });
    const input = { workers: [worker('w1')], templates, config: { ...config, max_workers_per_region: 1 } };
    expect(canHost([ask], { ...input, bookings: [] }).hostable).toBe(true);
    expect(canHost([ask], { ...input, bookings: [booked] }).hostable).toBe(false);
  });
  it('startable in time vs not: a worker launched for the timeslot must boot before its provision time', () => {
    const input = { workers: [full(1)], templates, bookings: [held(1)], config };
    const bootMin = config.boot_minutes;
    // Asked early enough: a new worker boots in time.
    const early = canHost([booking('ask', P)], input, P - (bootMin + 1) * MIN);
    expect(early).toMatchObject({ hostable: true, scale_ups: 1 });
    // Exactly the boot time before: ready at the provision time, in time.
    expect(canHost([booking('ask', P)], input, P - bootMin * MIN).hostable).toBe(true);
    // One minute later: the worker would be ready a minute after the pod provisions.
    const late = canHost([booking('ask', P)], input, P - (bootMin - 1) * MIN);
    expect(late.hostable).toBe(false);
    expect(late.reasons).toHaveLength(1);
    expect(late.reasons[0]).toMatch(
      new RegExp(
        `^pod ask provisions at ${iso(P)}: nothing running fits it and a worker launched \\(.+\\) now is ready at ${iso(P + MIN)}`,
      ),
    );
    // Running capacity that fits answers yes however late it is asked.
    expect(
      canHost([booking('ask', P)], { ...input, workers: [worker('w1')], bookings: [] }, P - MIN),
    ).toEqual({
      hostable: true,
      reasons: [],
      scale_ups: 0,
    });
  });
});
