/**
 * The scaling rules of shared/domain/scaling.ts taken from both sides (issue 18): capacity per
 * dimension, the fullest-fit choice, when a worker is ready, which worker is undrained or started
 * and within which bounds, the order pods are served in, the scale-down guards and the timeslot
 * answer. Each test names the rule; a broken rule changes a decision.
 */
import { describe, expect, it } from 'vitest';
import { iso } from '../../../shared/domain/clock.ts';
import {
  canHost,
  chooseTemplate,
  DEFAULT_FLEET_CONFIG,
  decideScaling,
  readyAt,
  type FleetConfig,
  type Needs,
  type PodBooking,
  type ScalingDecision,
} from '../../../shared/domain/scaling.ts';
import type { WorkerRecord, WorkerTemplate } from '../../../shared/domain/worker.ts';
import { booking, MIN, T0, templates, worker } from './fixtures.ts';

const config: FleetConfig = { ...DEFAULT_FLEET_CONFIG, region: 'eu-west-1' };
const lead = (config.boot_minutes + config.margin_minutes) * MIN; // 15 min
const P = T0 + 120 * MIN;
const decide = (
  workers: WorkerRecord[],
  bookings: PodBooking[],
  now: number,
  over: Partial<FleetConfig> = {},
  tpls: WorkerTemplate[] = templates,
) => decideScaling({ workers, templates: tpls, bookings, config: { ...config, ...over }, now });
const ups = (d: ScalingDecision[]) =>
  d.filter((x) => x.kind === 'launch' || x.kind === 'start' || x.kind === 'undrain' || x.kind === 'hold');
const brief = (d: ScalingDecision[]) =>
  d.map((x) => [
    x.kind,
    'worker_id' in x ? x.worker_id : 'template' in x ? x.template : '',
    'pods' in x ? x.pods : [],
  ]);
const needs = (over: Partial<Needs>): Needs => ({ cpu_cores: 0, memory_gb: 0, nodes: 0, ports: 0, ...over });

/** A running worker holding one booked pod (what the pod needs is allocated on it). */
function holding(id: string, held: Needs, over: Partial<WorkerRecord> = {}, release = P + 600 * MIN) {
  const w = worker(id, {
    pods: [`h-${id}`],
    allocated: { cpu_cores: held.cpu_cores, memory_gb: held.memory_gb, nodes: held.nodes, pods: 1 },
    ports_in_use: Array.from({ length: held.ports }, (_, i) => 2000 + i),
    ...over,
  });
  const b = booking(`h-${id}`, T0, { host_id: id, needs: held, release_at: release });
  return { w, b };
}

describe('capacity: a pod fits beside what a worker holds exactly up to each limit', () => {
  // m5.2xlarge: 8 cores, 32 GB, 20 nodes, ports 2000–2099 (100).
  it.each<[string, Needs, Needs, Needs]>([
    ['cores', needs({ cpu_cores: 5 }), needs({ cpu_cores: 3 }), needs({ cpu_cores: 4 })],
    ['memory', needs({ memory_gb: 20 }), needs({ memory_gb: 12 }), needs({ memory_gb: 13 })],
    ['nodes', needs({ nodes: 15 }), needs({ nodes: 5 }), needs({ nodes: 6 })],
    ['ports', needs({ ports: 96 }), needs({ ports: 4 }), needs({ ports: 5 })],
  ])('%s', (_, held, fits, over) => {
    const { w, b } = holding('w1', held);
    expect(ups(decide([w], [b, booking('p1', P, { needs: fits })], P - lead))).toEqual([]);
    expect(brief(ups(decide([w], [b, booking('p1', P, { needs: over })], P - lead)))).toEqual([
      ['launch', 'cml-m5-2xlarge', ['p1']],
    ]);
  });

  it.each<[string, Partial<WorkerRecord>, Needs, Needs]>([
    [
      'cores',
      { allocated: { cpu_cores: 6, memory_gb: 0, nodes: 0, pods: 0 } },
      needs({ cpu_cores: 2 }),
      needs({ cpu_cores: 3 }),
    ],
    [
      'memory',
      { allocated: { cpu_cores: 0, memory_gb: 30, nodes: 0, pods: 0 } },
      needs({ memory_gb: 2 }),
      needs({ memory_gb: 3 }),
    ],
    [
      'nodes',
      { allocated: { cpu_cores: 0, memory_gb: 0, nodes: 18, pods: 0 } },
      needs({ nodes: 2 }),
      needs({ nodes: 3 }),
    ],
    [
      'ports',
      { ports_in_use: Array.from({ length: 98 }, (_, i) => 2000 + i) },
      needs({ ports: 2 }),
      needs({ ports: 3 }),
    ],
  ])('what a worker holds that no booking explains is held for good (%s)', (_, over, fits, tooMuch) => {
    const w = worker('w1', over);
    expect(ups(decide([w], [booking('p1', P, { needs: fits })], P - lead))).toEqual([]);
    expect(brief(ups(decide([w], [booking('p1', P, { needs: tooMuch })], P - lead)))).toEqual([
      ['launch', 'cml-m5-2xlarge', ['p1']],
    ]);
  });

  it('a booking explains its share of the allocation: only the rest is held for good', () => {
    // 6 cores allocated, 4 of them by a pod that releases before p1 starts: 2 held for good.
    const { w, b } = holding(
      'w1',
      needs({ cpu_cores: 4 }),
      {
        allocated: { cpu_cores: 6, memory_gb: 0, nodes: 0, pods: 1 },
      },
      P,
    );
    expect(ups(decide([w], [b, booking('p1', P, { needs: needs({ cpu_cores: 6 }) })], P - lead))).toEqual([]);
    expect(kindsOf(decide([w], [b, booking('p1', P, { needs: needs({ cpu_cores: 7 }) })], P - lead))).toEqual(
      ['launch'],
    );
  });

  it('the port range counts both ends', () => {
    const w = worker('w1', { ports: { start: 3000, end: 3009 } });
    expect(ups(decide([w], [booking('p1', P, { needs: needs({ ports: 10 }) })], P - lead))).toEqual([]);
    expect(kindsOf(decide([w], [booking('p1', P, { needs: needs({ ports: 11 }) })], P - lead))).toEqual([
      'launch',
    ]);
  });
});

const kindsOf = (d: ScalingDecision[]) => ups(d).map((x) => x.kind);

describe('time windows', () => {
  it('a pod starting when another releases shares its worker; a millisecond of overlap does not', () => {
    const now = T0;
    const full = needs({ cpu_cores: 8 });
    const first = (release: number) => booking('p1', now, { needs: full, release_at: release });
    const second = booking('p2', now + 10 * MIN, { needs: full });
    expect(ups(decide([worker('w1')], [first(now + 10 * MIN), second], now))).toEqual([]);
    expect(brief(ups(decide([worker('w1')], [first(now + 10 * MIN + 1), second], now)))).toEqual([
      ['launch', 'cml-m5-2xlarge', ['p2']],
    ]);
  });

  it('a pod already past its provision time still counts what the worker holds now', () => {
    const { w, b } = holding('w1', needs({ cpu_cores: 8 }));
    const overdue = booking('p1', P - 5 * MIN, { needs: needs({ cpu_cores: 1 }) });
    expect(brief(ups(decide([w], [b, overdue], P)))).toEqual([['launch', 'cml-m5-2xlarge', ['p1']]]);
    const rest = worker('w1', { allocated: { cpu_cores: 8, memory_gb: 0, nodes: 0, pods: 0 } });
    expect(brief(ups(decide([rest], [overdue], P)))).toEqual([['launch', 'cml-m5-2xlarge', ['p1']]]);
  });

  it('a personal-licence worker runs one session at a time', () => {
    const personal = { template: 'cml-personal-t3', license: 'personal' as const };
    const { w, b } = holding('w1', needs({ cpu_cores: 1 }), personal);
    const same = booking('p1', P, {
      license: 'personal',
      session_id: b.session_id,
      needs: needs({ cpu_cores: 1 }),
    });
    const other = booking('p1', P, { license: 'personal', needs: needs({ cpu_cores: 1 }) });
    expect(ups(decide([w], [b, same], P - lead))).toEqual([]);
    // An empty personal worker takes a personal pod.
    const empty = worker('w1', personal);
    expect(ups(decide([empty], [booking('p1', P, { license: 'personal' })], P - lead))).toEqual([]);
    expect(kindsOf(decide([w], [b, other], P - lead))).toEqual(['launch']);
  });

  it('a worker of another host type, or a personal worker for an enterprise pod, takes nothing', () => {
    const aws = worker('w1', { host_type: 'cml_on_prem' });
    expect(kindsOf(decide([aws], [booking('p1', P)], P - lead))).toEqual(['launch']);
    const personal = worker('w1', { template: 'cml-personal-t3', license: 'personal' });
    expect(kindsOf(decide([personal], [booking('p1', P)], P - lead))).toEqual(['launch']);
    // A personal pod runs on an enterprise worker.
    expect(ups(decide([worker('w1')], [booking('p1', P, { license: 'personal' })], P - lead))).toEqual([]);
  });

  it('only a worker in the pod’s region serves it', () => {
    const w = worker('w1', { region: 'us-east-1' });
    expect(brief(ups(decide([w], [booking('p1', P)], P - lead)))).toEqual([
      ['launch', 'cml-m5-2xlarge', ['p1']],
    ]);
    expect(ups(decide([w], [booking('p1', P, { region: 'us-east-1' })], P - lead))).toEqual([]);
  });
});

describe('the fullest fit', () => {
  // w1: m5.4xlarge (16 cores, 64 GB, 40 nodes) at 3/8 of one dimension; w2: m5.2xlarge (8, 32, 20)
  // at 1/2 of it. p1 goes to the fuller w2, which leaves w1 room for p2; on w1, p2 would not fit.
  it.each<[string, Needs, Needs, Needs, Needs]>([
    [
      'cores',
      needs({ cpu_cores: 6 }),
      needs({ cpu_cores: 4 }),
      needs({ cpu_cores: 4 }),
      needs({ cpu_cores: 10 }),
    ],
    [
      'memory',
      needs({ memory_gb: 24 }),
      needs({ memory_gb: 16 }),
      needs({ memory_gb: 16 }),
      needs({ memory_gb: 40 }),
    ],
    ['nodes', needs({ nodes: 15 }), needs({ nodes: 10 }), needs({ nodes: 10 }), needs({ nodes: 25 })],
  ])('by the fullest dimension (%s)', (_, held1, held2, p1, p2) => {
    const a = holding('w1', held1, {
      template: 'cml-m5-4xlarge',
      capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 40 },
    });
    const b = holding('w2', held2);
    const due = [booking('p1', P, { needs: p1 }), booking('p2', P + MIN, { needs: p2 })];
    expect(ups(decide([a.w, b.w], [a.b, b.b, ...due], P - lead + MIN))).toEqual([]);
  });

  it('a pod that releases by then does not make a worker fuller', () => {
    const a = holding('w1', needs({ cpu_cores: 6 }), {
      template: 'cml-m5-4xlarge',
      capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 40 },
    });
    const b = holding('w2', needs({ cpu_cores: 4 }), {}, P); // gone when p1 starts
    const due = [
      booking('p1', P, { needs: needs({ cpu_cores: 4 }) }),
      booking('p2', P + MIN, { needs: needs({ cpu_cores: 10 }) }),
    ];
    // p1 goes to w1 (the fuller at P), p2 then fits nowhere.
    expect(brief(ups(decide([a.w, b.w], [a.b, b.b, ...due], P - lead + MIN)))).toEqual([
      ['launch', 'cml-m5-4xlarge', ['p2']],
    ]);
  });

  it('a worker on its way that is ready after the pod provisions still takes it rather than a launch', () => {
    const w = worker('w1', { status: 'provisioning', launched_at: iso(P - 10 * MIN) }); // ready at P + 2 min
    expect(decide([w], [booking('p1', P)], P - 10 * MIN)).toEqual([]);
  });

  it('a drain is cancelled before a pod waits for a worker that boots too late for it', () => {
    const booting = worker('w1', { status: 'provisioning', launched_at: iso(P - 10 * MIN) }); // ready at P + 2 min
    const draining = worker('w2', { desired_status: 'stopped', status: 'draining' });
    expect(brief(ups(decide([booting, draining], [booking('p1', P)], P - 10 * MIN)))).toEqual([
      ['undrain', 'w2', ['p1']],
    ]);
    // Ready exactly at the provision time is in time: no undrain.
    const onTime = worker('w1', { status: 'provisioning', launched_at: iso(P - 12 * MIN) });
    expect(ups(decide([onTime, draining], [booking('p1', P)], P - 10 * MIN))).toEqual([]);
  });

  it('a fitting running worker is used before a drain is cancelled', () => {
    const draining = worker('w2', { desired_status: 'stopped', status: 'draining' });
    expect(
      decide([worker('w1'), draining], [booking('p1', P)], P - lead).filter((d) => d.kind !== 'keep'),
    ).toEqual([]);
  });
});

describe('when a worker is ready', () => {
  const now = T0 + 60 * MIN;
  it('running: now; pending or never launched: a full boot from now', () => {
    expect(readyAt({ status: 'running', launched_at: iso(T0) }, config, now)).toBe(now);
    // Running is ready, even when it booted faster than the configured boot time.
    expect(readyAt({ status: 'running', launched_at: iso(now - 5 * MIN) }, config, now)).toBe(now);
    expect(readyAt({ status: 'pending', launched_at: iso(now - 5 * MIN) }, config, now)).toBe(now + 12 * MIN);
    expect(readyAt({ status: 'provisioning' }, config, now)).toBe(now + 12 * MIN);
  });
  it('launched: the boot time after its launch, and never before now', () => {
    expect(readyAt({ status: 'provisioning', launched_at: iso(now - 5 * MIN) }, config, now)).toBe(
      now + 7 * MIN,
    );
    expect(readyAt({ status: 'starting', launched_at: iso(now - 12 * MIN) }, config, now)).toBe(now);
    expect(readyAt({ status: 'starting', launched_at: iso(now - 30 * MIN) }, config, now)).toBe(now);
    expect(
      readyAt({ status: 'starting', launched_at: iso(now - 5 * MIN) }, { ...config, boot_minutes: 20 }, now),
    ).toBe(now + 15 * MIN);
  });
});

describe('the order pods are served in', () => {
  it('by provision time, then pod id, whatever order they come in', () => {
    const full = needs({ cpu_cores: 8 });
    const later = booking('pa', P + 5 * MIN, { needs: full });
    const first = booking('pz', P, { needs: full });
    expect(brief(ups(decide([worker('w1')], [later, first], P - lead + 5 * MIN)))).toEqual([
      ['launch', 'cml-m5-2xlarge', ['pa']],
    ]);
    const b = booking('pb', P, { needs: full });
    const a = booking('pa', P, { needs: full });
    expect(brief(ups(decide([worker('w1')], [b, a], P - lead)))).toEqual([
      ['launch', 'cml-m5-2xlarge', ['pb']],
    ]);
  });
});

describe('which worker is undrained or started', () => {
  const draining = (over: Partial<WorkerRecord> = {}) =>
    worker('w2', { desired_status: 'stopped', status: 'draining', ...over });
  const stopped = (over: Partial<WorkerRecord> = {}) =>
    worker('w2', { status: 'stopped', desired_status: 'stopped', ...over });

  it('a running worker asked to drain is undrained (it serves nothing meanwhile)', () => {
    expect(
      brief(ups(decide([worker('w2', { desired_status: 'stopped' })], [booking('p1', P)], P - lead))),
    ).toEqual([['undrain', 'w2', ['p1']]]);
  });

  it('a worker still draining back to running takes no pod', () => {
    expect(kindsOf(decide([worker('w2', { status: 'draining' })], [booking('p1', P)], P - lead))).toEqual([
      'launch',
    ]);
  });

  it('undrains only a worker of the pod’s region with room for it, once', () => {
    expect(kindsOf(decide([draining({ region: 'us-east-1' })], [booking('p1', P)], P - lead))).toEqual([
      'launch',
    ]);
    const busy = draining({ allocated: { cpu_cores: 5, memory_gb: 0, nodes: 0, pods: 1 }, pods: ['x'] });
    expect(kindsOf(decide([busy], [booking('p1', P)], P - lead))).toEqual(['launch']);
    const room = draining({ allocated: { cpu_cores: 4, memory_gb: 0, nodes: 0, pods: 1 }, pods: ['x'] });
    expect(kindsOf(decide([room], [booking('p1', P)], P - lead))).toEqual(['undrain']);
    const two = [
      booking('p1', P, { needs: needs({ cpu_cores: 8 }) }),
      booking('p2', P, { needs: needs({ cpu_cores: 8 }) }),
    ];
    expect(brief(ups(decide([draining()], two, P - lead)))).toEqual([
      ['undrain', 'w2', ['p1']],
      ['launch', 'cml-m5-2xlarge', ['p2']],
    ]);
  });

  it.each<[string, Partial<WorkerRecord['allocated']>, Needs, Needs]>([
    ['cores', { cpu_cores: 4 }, needs({ cpu_cores: 4 }), needs({ cpu_cores: 5 })],
    ['memory', { memory_gb: 16 }, needs({ memory_gb: 16 }), needs({ memory_gb: 17 })],
    ['nodes', { nodes: 10 }, needs({ nodes: 10 }), needs({ nodes: 11 })],
  ])('room on a draining worker, exactly (%s)', (_, alloc, fits, over) => {
    const w = draining({ allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0, ...alloc } });
    expect(kindsOf(decide([w], [booking('p1', P, { needs: fits })], P - lead))).toEqual(['undrain']);
    expect(kindsOf(decide([w], [booking('p1', P, { needs: over })], P - lead))).toEqual(['launch']);
  });

  it('a personal worker is undrained only for the session it runs; only an enterprise one for an enterprise pod', () => {
    const personal = draining({ template: 'cml-personal-t3', license: 'personal', sessions: ['ses_x'] });
    const mine = booking('p1', P, { license: 'personal', session_id: 'ses_x' });
    expect(kindsOf(decide([personal], [mine], P - lead))).toEqual(['undrain']);
    expect(kindsOf(decide([personal], [{ ...mine, session_id: 'ses_y' }], P - lead))).toEqual(['launch']);
    expect(
      kindsOf(decide([draining({ template: 'cml-personal-t3', license: 'personal' })], [mine], P - lead)),
    ).toEqual(['undrain']);
    expect(kindsOf(decide([draining({ license: 'personal' })], [booking('p1', P)], P - lead))).toEqual([
      'launch',
    ]);
    expect(kindsOf(decide([draining({ host_type: 'cml_on_prem' })], [booking('p1', P)], P - lead))).toEqual([
      'launch',
    ]);
  });

  it('starts only a stopped worker, not cordoned, left stopped, of the pod’s region, with room', () => {
    expect(kindsOf(decide([stopped()], [booking('p1', P)], P - lead))).toEqual(['start']);
    expect(kindsOf(decide([stopped({ cordoned: true })], [booking('p1', P)], P - lead))).toEqual(['launch']);
    expect(kindsOf(decide([stopped({ desired_status: 'running' })], [booking('p1', P)], P - lead))).toEqual([
      'launch',
    ]);
    expect(kindsOf(decide([stopped({ status: 'stopping' })], [booking('p1', P)], P - lead))).toEqual([
      'launch',
    ]);
    expect(kindsOf(decide([stopped({ region: 'us-east-1' })], [booking('p1', P)], P - lead))).toEqual([
      'launch',
    ]);
    const small = booking('p1', P, { needs: needs({ cpu_cores: 12 }) });
    expect(brief(ups(decide([stopped()], [small], P - lead)))).toEqual([
      ['launch', 'cml-m5-4xlarge', ['p1']],
    ]);
    const two = [
      booking('p1', P, { needs: needs({ cpu_cores: 8 }) }),
      booking('p2', P, { needs: needs({ cpu_cores: 8 }) }),
    ];
    expect(brief(ups(decide([stopped()], two, P - lead)))).toEqual([
      ['start', 'w2', ['p1']],
      ['launch', 'cml-m5-2xlarge', ['p2']],
    ]);
  });

  it('starts a stopped worker only within its template’s and the region’s bounds', () => {
    // m5.2xlarge: at most 3 per region. Two live plus the stopped one: 3, allowed.
    const live = (n: number) =>
      Array.from({ length: n }, (_, i) => holding(`l${i}`, needs({ cpu_cores: 8 })));
    const two = live(2);
    const d2 = decide(
      [...two.map((x) => x.w), stopped()],
      [...two.map((x) => x.b), booking('p1', P)],
      P - lead,
    );
    expect(kindsOf(d2)).toEqual(['start']);
    const three = live(3);
    const d3 = decide(
      [...three.map((x) => x.w), stopped()],
      [...three.map((x) => x.b), booking('p1', P)],
      P - lead,
    );
    expect(brief(ups(d3))).toEqual([['launch', 'cml-m5-4xlarge', ['p1']]]);
    const dr = decide(
      [...two.map((x) => x.w), stopped()],
      [...two.map((x) => x.b), booking('p1', P)],
      P - lead,
      {
        max_workers_per_region: 2,
      },
    );
    expect(kindsOf(dr)).toEqual(['hold']);
    const d1 = decide(
      [...two.map((x) => x.w), stopped()],
      [...two.map((x) => x.b), booking('p1', P)],
      P - lead,
      {
        max_workers_per_region: 3,
      },
    );
    expect(kindsOf(d1)).toEqual(['start']);
  });

  it('a stopped worker of a template no longer offered is not started', () => {
    expect(brief(ups(decide([{ ...stopped(), template: 'cml-old' }], [booking('p1', P)], P - lead)))).toEqual(
      [['launch', 'cml-m5-2xlarge', ['p1']]],
    );
  });

  it('starts a stopped worker unless launching a cheaper template would do', () => {
    const big = stopped({
      template: 'cml-m5-4xlarge',
      capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 40 },
    });
    expect(brief(ups(decide([big], [booking('p1', P)], P - lead)))).toEqual([
      ['launch', 'cml-m5-2xlarge', ['p1']],
    ]);
    const same = templates.map((t) => (t.name === 'cml-m5-4xlarge' ? { ...t, cost_per_hour_usd: 0.384 } : t));
    expect(brief(ups(decide([big], [booking('p1', P)], P - lead, {}, same)))).toEqual([
      ['start', 'w2', ['p1']],
    ]);
  });

  it('counts only workers wanted running against the region’s bound', () => {
    const leaving = worker('w9', { desired_status: 'stopped', cordoned: true });
    expect(kindsOf(decide([leaving], [booking('p1', P)], P - lead, { max_workers_per_region: 1 }))).toEqual([
      'launch',
    ]);
    const stopping = worker('w9', { status: 'stopping', desired_status: 'running', cordoned: true });
    expect(kindsOf(decide([stopping], [booking('p1', P)], P - lead, { max_workers_per_region: 1 }))).toEqual([
      'launch',
    ]);
  });
});

describe('chooseTemplate', () => {
  const b = booking('p1', P, { needs: { cpu_cores: 8, memory_gb: 32, nodes: 20, ports: 4 } });
  const t = (name: string, over: Partial<WorkerTemplate> = {}): WorkerTemplate => ({
    ...templates[0]!,
    name,
    ...over,
  });
  const live = new Map<string, number>();

  it('a template exactly the pod’s size fits; one unit less in any dimension is refused with why', () => {
    expect(chooseTemplate(b, [t('a')], 'eu-west-1', live, config)).toEqual({ template: t('a') });
    const small = [
      t('cores', { capacity: { cpu_cores: 7, memory_gb: 32, max_nodes: 20 }, cost_per_hour_usd: 0.01 }),
      t('memory', { capacity: { cpu_cores: 8, memory_gb: 31, max_nodes: 20 }, cost_per_hour_usd: 0.01 }),
      t('nodes', { capacity: { cpu_cores: 8, memory_gb: 32, max_nodes: 19 }, cost_per_hour_usd: 0.01 }),
      t('prem', { host_type: 'cml_on_prem', cost_per_hour_usd: 0.01 }),
    ];
    expect(chooseTemplate(b, small, 'eu-west-1', live, config)).toEqual({
      refused: 'cores: 7 cores < 8; memory: 31 GB < 32; nodes: 19 nodes < 20; prem: host type cml_on_prem',
    });
    expect(chooseTemplate(b, [...small, t('a')], 'eu-west-1', live, config)).toEqual({ template: t('a') });
  });

  it('at the same price per core the cheaper worker wins, in either order; then the name', () => {
    const a = t('a', { capacity: { cpu_cores: 8, memory_gb: 32, max_nodes: 20 }, cost_per_hour_usd: 0.4 });
    const big = t('big', {
      capacity: { cpu_cores: 16, memory_gb: 64, max_nodes: 40 },
      cost_per_hour_usd: 0.8,
    });
    expect(chooseTemplate(b, [big, a], 'eu-west-1', live, config)).toEqual({ template: a });
    expect(chooseTemplate(b, [a, big], 'eu-west-1', live, config)).toEqual({ template: a });
    expect(chooseTemplate(b, [t('z'), t('m')], 'eu-west-1', live, config)).toEqual({ template: t('m') });
  });

  it('no templates at all is said so', () => {
    expect(chooseTemplate(b, [], 'eu-west-1', live, config)).toEqual({ refused: 'no templates' });
  });
});

describe('the warm minimum, bounded', () => {
  it('holds when the bounds are reached, with why', () => {
    const warm = [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 2 }];
    expect(decide([], [], T0, { warm, max_workers_per_region: 1 })).toEqual([
      {
        kind: 'launch',
        template: 'cml-m5-2xlarge',
        region: 'eu-west-1',
        pods: [],
        reason: 'warm minimum 2 of cml-m5-2xlarge in eu-west-1',
      },
      {
        kind: 'hold',
        pods: [],
        reason: 'warm minimum 2 of cml-m5-2xlarge in eu-west-1; cannot scale up: bounds reached',
      },
    ]);
  });

  it('names no unknown template; starts only a stopped worker of the template and region', () => {
    expect(decide([], [], T0, { warm: [{ template: 'cml-old', region: 'eu-west-1', count: 1 }] })).toEqual(
      [],
    );
    const warm = [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 1 }];
    const elsewhere = worker('w9', { status: 'stopped', desired_status: 'stopped', region: 'us-east-1' });
    const other = worker('w8', { status: 'stopped', desired_status: 'stopped', template: 'cml-m5-4xlarge' });
    expect(decide([elsewhere, other], [], T0, { warm })).toEqual([
      {
        kind: 'launch',
        template: 'cml-m5-2xlarge',
        region: 'eu-west-1',
        pods: [],
        reason: 'warm minimum 1 of cml-m5-2xlarge in eu-west-1',
      },
    ]);
    const mine = worker('w7', { status: 'stopped', desired_status: 'stopped' });
    expect(decide([mine], [], T0, { warm })).toEqual([
      {
        kind: 'start',
        worker_id: 'w7',
        template: 'cml-m5-2xlarge',
        region: 'eu-west-1',
        pods: [],
        reason: 'warm minimum 1 of cml-m5-2xlarge in eu-west-1',
      },
    ]);
  });

  it('a warm minimum of another template or region keeps nothing here', () => {
    const idle = worker('w1', { idle_since: iso(T0) });
    for (const warm of [
      [{ template: 'cml-m5-4xlarge', region: 'eu-west-1', count: 1 }],
      [{ template: 'cml-m5-2xlarge', region: 'us-east-1', count: 1 }],
    ]) {
      const d = decide([idle], [], T0 + 15 * MIN, { warm }).filter(
        (x) => x.kind === 'drain' || x.kind === 'keep',
      );
      expect(d.map((x) => x.kind)).toEqual(['drain']);
    }
  });
});

describe('scale-down guards', () => {
  const now = T0 + 60 * MIN;
  it('a worker already asked to stop is not drained again', () => {
    expect(decide([worker('w1', { desired_status: 'stopped', idle_since: iso(T0) })], [], now)).toEqual([]);
  });

  it('a worker with a pod allocated is not idle, even before the pod is listed', () => {
    const w = worker('w1', {
      idle_since: iso(T0),
      allocated: { cpu_cores: 1, memory_gb: 1, nodes: 1, pods: 1 },
    });
    expect(decide([w], [], now)).toEqual([]);
  });

  it('idle since: idle_since first, then the last time it became running, then its last update', () => {
    const history = [
      { from: null, to: 'running' as const, at: iso(T0), by: 't' },
      { from: 'running' as const, to: 'draining' as const, at: iso(T0 + MIN), by: 't' },
      { from: 'draining' as const, to: 'running' as const, at: iso(T0 + 50 * MIN), by: 't' },
      { from: 'running' as const, to: 'running' as const, at: iso(T0 + 51 * MIN), by: 't' },
    ].slice(0, 3);
    const w = worker('w1', { state_history: history, updated_at: iso(T0) });
    // Became running again at T0 + 50 min: within the cooldown at T0 + 60 min.
    expect(decide([w], [], now).map((x) => x.kind)).toEqual(['keep']);
    expect(decide([w], [], T0 + 65 * MIN).map((x) => x.kind)).toEqual(['drain']);
    // idle_since wins over the history.
    expect(decide([{ ...w, idle_since: iso(T0 + 55 * MIN) }], [], T0 + 65 * MIN).map((x) => x.kind)).toEqual([
      'keep',
    ]);
    expect(decide([{ ...w, idle_since: iso(T0) }], [], now).map((x) => x.kind)).toEqual(['drain']);
    // Created running and updated since: idle since it became running, not since the update.
    const created = worker('w1', { updated_at: iso(T0 + 50 * MIN) });
    expect(decide([created], [], now).map((x) => x.kind)).toEqual(['drain']);
    // Never became running: its last update.
    const never = worker('w1', { state_history: [], updated_at: iso(T0 + 50 * MIN) });
    expect(decide([never], [], now).map((x) => x.kind)).toEqual(['keep']);
    expect(decide([never], [], T0 + 65 * MIN).map((x) => x.kind)).toEqual(['drain']);
  });

  it('a worker of a template no longer offered costs the most: drained first', () => {
    const d = decide(
      [
        worker('w1', { idle_since: iso(T0) }),
        { ...worker('w2', { idle_since: iso(T0) }), template: 'cml-old' },
      ],
      [],
      now,
    );
    expect(d.map((x) => 'worker_id' in x && x.worker_id)).toEqual(['w2', 'w1']);
  });
});

describe('the reasons of a refused placement', () => {
  const rej = (n: number) => Array.from({ length: n }, (_, i) => ({ worker: `w${i}`, reason: 'full' }));
  it('names five workers, then how many more', () => {
    const [five] = ups(decide([], [booking('p1', P, { rejections: rej(5) })], P - lead));
    expect(five!.reason).toBe(
      'placement found no fit for pod p1 (w0: full; w1: full; w2: full; w3: full; w4: full): cheapest fitting template cml-m5-2xlarge',
    );
    const [seven] = ups(decide([], [booking('p1', P, { rejections: rej(7) })], P - lead));
    expect(seven!.reason).toBe(
      'placement found no fit for pod p1 (w0: full; w1: full; w2: full; w3: full; w4: full; and 2 more): cheapest fitting template cml-m5-2xlarge',
    );
  });
});

describe('canHost', () => {
  const Q = T0 + 600 * MIN;
  const full = (i: number) => holding(`w${i}`, needs({ cpu_cores: 8 }), {}, Q + 600 * MIN);
  it('nothing asked is hostable', () => {
    expect(canHost([], { workers: [], templates: [], bookings: [], config })).toEqual({
      hostable: true,
      reasons: [],
      scale_ups: 0,
    });
  });

  it('a warm minimum that cannot be met does not make a timeslot unhostable', () => {
    const warm = [{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 3 }];
    const r = canHost([booking('ask', Q)], {
      workers: [worker('w1')],
      templates,
      bookings: [],
      config: { ...config, warm, max_workers_per_region: 1 },
    });
    expect(r).toEqual({ hostable: true, reasons: [], scale_ups: 0 });
  });

  it('a stopped worker started for the timeslot counts as a scale-up and must boot in time', () => {
    const a = full(1);
    const s = worker('w2', { status: 'stopped', desired_status: 'stopped' });
    const input = { workers: [a.w, s], templates, bookings: [a.b], config };
    expect(canHost([booking('ask', Q)], input, Q - 20 * MIN)).toEqual({
      hostable: true,
      reasons: [],
      scale_ups: 1,
    });
    const late = canHost([booking('ask', Q)], input, Q - 11 * MIN);
    expect(late.hostable).toBe(false);
    expect(late.reasons).toEqual([
      `pod ask provisions at ${iso(Q)}: nothing running fits it and a worker started (w2) now is ready at ${iso(Q + MIN)} at the earliest (CML boot 12 min)`,
    ]);
  });

  it('an undrained worker counts as a scale-up', () => {
    const d = worker('w2', { desired_status: 'stopped', status: 'draining' });
    expect(canHost([booking('ask', Q)], { workers: [d], templates, bookings: [], config })).toEqual({
      hostable: true,
      reasons: [],
      scale_ups: 1,
    });
  });

  it('a late launch shared with a booked pod names only the asked pod', () => {
    const a = full(1);
    const booked = booking('other', Q);
    const input = { workers: [a.w], templates, bookings: [a.b, booked], config };
    const late = canHost([booking('ask', Q)], input, Q - 11 * MIN);
    expect(late.reasons).toHaveLength(1);
    expect(late.reasons[0]).toMatch(/^pod ask provisions at /);
  });

  it('asked early, the pass runs a lead time before the first asked pod: a boot fits', () => {
    const a = full(1);
    const input = { workers: [a.w], templates, bookings: [a.b], config };
    const asked = [booking('a1', Q), booking('a2', Q + 300 * MIN)];
    expect(canHost(asked, input, T0)).toMatchObject({ hostable: true, scale_ups: 1 });
  });
});

describe('the worker records win over a lagging view of the bookings', () => {
  it('a pod a worker already holds, still unplaced in the views, is not asked for twice', () => {
    // Placement wrote the pod onto the worker (read consistently); the tree view the bookings
    // come from has not caught up and still shows it unplaced. Its needs are allocated on the
    // worker already: counting it again as demand would launch a worker nobody needs.
    const w = worker('w1', {
      pods: ['pod_b'],
      allocated: { cpu_cores: 5, memory_gb: 20, nodes: 5, pods: 1 },
    });
    const b = booking('pod_b', T0 + 5 * MIN, { needs: needs({ cpu_cores: 5, memory_gb: 20, nodes: 5 }) });
    expect(ups(decide([w], [b], T0))).toEqual([]);
    // The same pod, not on the worker's record, is demand: it does not fit beside what is held.
    const other = worker('w1', { pods: ['pod_a'], allocated: w.allocated });
    expect(ups(decide([other], [b], T0)).map((d) => d.kind)).toEqual(['launch']);
  });
});

describe('canHost checks every asked pod at its own provision time (the finding of docs/testing.md ¹⁰)', () => {
  const Q = T0 + 600 * MIN;
  const one = { ...config, max_workers_per_region: 1 };
  const session = (over: Partial<PodBooking>) => ({ session_id: 'ses_ask', ...over });
  it('a later, bigger part that cannot run beside the first on what may run: no, with its hold', () => {
    // A CCIE exam: part 1 at Q (4 cores), part 2 at Q + 30 min (8 cores) while part 1 still runs.
    const asked = [
      booking('a1', Q, session({ needs: needs({ cpu_cores: 4 }) })),
      booking('a2', Q + 30 * MIN, session({ needs: needs({ cpu_cores: 8 }) })),
    ];
    const input = { workers: [worker('w1')], templates, bookings: [], config: one };
    // Nothing is scaled up for a session that cannot be hosted.
    expect(canHost(asked, input, T0)).toEqual({
      hostable: false,
      reasons: [
        `pod a2 provisions at ${iso(Q + 30 * MIN)} and no worker that will be running by then fits it; cannot scale up: eu-west-1 has 1 live workers, the region's maximum`,
      ],
      scale_ups: 0,
    });
    // The same parts one after the other (part 1 released first) fit the one worker.
    const apart = [asked[0]!, { ...asked[1]!, provision_at: Q + 120 * MIN, release_at: Q + 240 * MIN }];
    expect(canHost(apart, input, T0)).toEqual({ hostable: true, reasons: [], scale_ups: 0 });
  });

  it('a later part whose window meets a booking only later: no', () => {
    // Booked: 6 cores from Q + 240 min. Asked: part 1 at Q (released at Q + 120), part 2 at Q + 300.
    const booked = booking('b', Q + 240 * MIN, { needs: needs({ cpu_cores: 6 }), release_at: Q + 480 * MIN });
    const asked = [
      booking('a1', Q, session({ needs: needs({ cpu_cores: 4 }) })),
      booking('a2', Q + 300 * MIN, session({ needs: needs({ cpu_cores: 4 }) })),
    ];
    const input = { workers: [worker('w1')], templates, bookings: [booked], config: one };
    const r = canHost(asked, input, T0);
    expect(r.hostable).toBe(false);
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/^pod a2 provisions at .*cannot scale up: eu-west-1 has 1 live workers/);
    // Without the booking both parts fit.
    expect(canHost(asked, { ...input, bookings: [] }, T0).hostable).toBe(true);
  });

  it('an asked part never takes the place of a pod booked after it: no, naming the booked pod', () => {
    // Asked: 6 cores at Q. Booked: 4 cores at Q + 30 min, which fits the one worker alone.
    const asked = [booking('a1', Q, session({ needs: needs({ cpu_cores: 6 }) }))];
    const booked = booking('b', Q + 30 * MIN, { needs: needs({ cpu_cores: 4 }) });
    // A booked pod no template can host is held with or without the asked one: not its doing.
    const vm = booking('vm', Q, { host_type: 'vmware' });
    const input = { workers: [worker('w1')], templates, bookings: [vm, booked], config: one };
    const r = canHost(asked, input, T0);
    expect(r.hostable).toBe(false);
    expect(r.reasons).toEqual([
      `booked pod b (session ses_b) would lose its place: pod b provisions at ${iso(Q + 30 * MIN)} and no worker that will be running by then fits it; cannot scale up: eu-west-1 has 1 live workers, the region's maximum`,
    ]);
    // With room to grow the region, yes, and the launch is counted for the asked session.
    expect(canHost(asked, { ...input, config }, T0)).toEqual({ hostable: true, reasons: [], scale_ups: 1 });
  });

  it("asked early with no worker at all: one launch at the first part's due time serves both parts", () => {
    const asked = [booking('a1', Q, session({})), booking('a2', Q + 300 * MIN, session({}))];
    const input = { workers: [], templates, bookings: [], config };
    expect(canHost(asked, input, T0)).toEqual({ hostable: true, reasons: [], scale_ups: 1 });
  });

  it('asked too late for a later part: the reason names that part and its provision time', () => {
    // Part 1 fits the running worker; part 2 (8 cores) needs a launch that is ready 2 min late.
    const asked = [
      booking('a1', Q, session({ needs: needs({ cpu_cores: 4 }) })),
      booking('a2', Q + 5 * MIN, session({ needs: needs({ cpu_cores: 8 }) })),
    ];
    const input = { workers: [worker('w1')], templates, bookings: [], config };
    expect(canHost(asked, input, Q - 5 * MIN)).toEqual({
      hostable: false,
      reasons: [
        `pod a2 provisions at ${iso(Q + 5 * MIN)}: nothing running fits it and a worker launched (cml-m5-2xlarge) now is ready at ${iso(Q + 7 * MIN)} at the earliest (CML boot 12 min)`,
      ],
      scale_ups: 1,
    });
  });

  it('scale-ups count only what the asked session adds to what the booked demand needs anyway', () => {
    const a = holding('w1', needs({ cpu_cores: 8 }), {}, Q + 600 * MIN);
    const booked = booking('b', Q, { needs: needs({ cpu_cores: 4 }) });
    const input = { workers: [a.w], templates, bookings: [a.b, booked], config };
    // The booked pod launches a worker; the asked one shares it.
    expect(canHost([booking('ask', Q)], input, T0)).toEqual({ hostable: true, reasons: [], scale_ups: 0 });
    // An asked pod too big to share it launches a second one.
    const big = booking('ask', Q, { needs: needs({ cpu_cores: 6 }) });
    expect(canHost([big], input, T0)).toEqual({ hostable: true, reasons: [], scale_ups: 1 });
  });
});
