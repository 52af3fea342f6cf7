/**
 * Issue 13 figures: a simulated day of bookings through the fleet's rules on a virtual clock.
 * Every minute: each worker takes one `stepWorker` step against the EC2 simulator (launch, boot,
 * CML readiness, stop), pods whose provision time has come are placed with `placePod`, pods past
 * their cleanup deadline are released, and `decideScaling` decides from the booked demand.
 *
 * Bookings (deterministic, seeded): `LCM_BENCH_FLEET_SESSIONS` (default 2,050) sessions of the
 * five kinds — 54 % lablets (120 min, lead 15), 24 % practice labs (180 min, lead 20), 10 % CCIE
 * lab exams (troubleshooting 180 min lead 60, then configuration 300 min lead 30), 5 % CCIE exams
 * with design (design 60 min web-only, DOO 120 min lead 75, configuration 300 min lead 30), 7 %
 * CCDE design exams (web only, no pod). Arrival curve: lablets and practice labs start on the
 * quarter hour following two daytime peaks (a normal mixture around 09:00 and 15:00 UTC, σ 2.5 h,
 * clipped to the day); exams start on the hour in exam-centre waves at 07:00, 08:00 and 12:00.
 *
 * Lower bound: at every minute the booked pods' demand (cores, GB, nodes over their
 * provision → cleanup windows) divided by an m5.2xlarge's capacity, the largest dimension, summed
 * over the day: the worker-hours of a perfect packer on the cheapest template per core, with
 * workers appearing and vanishing instantly. Bounds per template are raised for the bench (the
 * seed's `max_per_region` is a small account's), so the figures show the rules, not a quota.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { iso, ManualClock } from '../../shared/domain/clock.ts';
import { placePod, releasePod, type Rejection } from '../../shared/domain/placement.ts';
import {
  decideScaling,
  DEFAULT_FLEET_CONFIG,
  type FleetConfig,
  type PodBooking,
} from '../../shared/domain/scaling.ts';
import {
  stepWorker,
  WORKER_LIVE,
  type WorkerRecord,
  type WorkerTemplate,
} from '../../shared/domain/worker.ts';
import { Ec2Simulator } from '../../infra/local/sim/ec2-sim.ts';
import type { BenchResult } from './run.ts';

const MIN = 60_000;
const DAY0 = Date.parse('2026-12-01T00:00:00Z');

interface PodPlan {
  id: string;
  session: string;
  kind: string;
  provision_at: number;
  release_at: number;
  needs: { cpu_cores: number; memory_gb: number; nodes: number; ports: number };
  license?: 'enterprise';
  host?: string;
  placed_at?: number;
  late?: boolean;
  released?: boolean;
  rejections?: Rejection[];
}

function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bookings(total: number): { pods: PodPlan[]; kinds: Record<string, number> } {
  const r = rng(13);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const pods: PodPlan[] = [];
  const kinds: Record<string, number> = {};
  const pod = (
    session: string,
    kind: string,
    n: number,
    start: number,
    minutes: number,
    lead: number,
    teardown: number,
    needs: PodPlan['needs'],
    license?: 'enterprise',
  ) =>
    pods.push({
      id: `${session}.p${n}`,
      session,
      kind,
      provision_at: start - lead * MIN,
      release_at: start + (minutes + teardown) * MIN,
      needs,
      ...(license ? { license } : {}),
    });
  const small = { cpu_cores: 2, memory_gb: 8, nodes: 4, ports: 4 };
  const medium = { cpu_cores: 4, memory_gb: 16, nodes: 8, ports: 8 };
  const exam = { cpu_cores: 8, memory_gb: 32, nodes: 20, ports: 20 };
  const doo = { cpu_cores: 4, memory_gb: 16, nodes: 10, ports: 10 };
  const daytime = () => {
    const h = r() < 0.5 ? 9 + 2.5 * gauss() : 15 + 2.5 * gauss();
    const q = Math.round(Math.min(22.75, Math.max(0.5, h)) * 4) / 4;
    return DAY0 + q * 60 * MIN;
  };
  const wave = () => DAY0 + [7, 8, 12][Math.floor(r() * 3)]! * 60 * MIN;
  for (let i = 0; i < total; i++) {
    const x = r();
    const s = `ses_${String(i).padStart(5, '0')}`;
    let kind: string;
    if (x < 0.54) {
      kind = 'lablet';
      pod(s, kind, 1, daytime(), 120, 15, 10, small);
    } else if (x < 0.78) {
      kind = 'practicelab';
      pod(s, kind, 1, daytime(), 180, 20, 10, medium);
    } else if (x < 0.88) {
      kind = 'CCIE-EI-Lab-Exam';
      const t = wave();
      pod(s, kind, 1, t, 180, 60, 15, exam, 'enterprise');
      pod(s, kind, 2, t + 180 * MIN, 300, 30, 15, exam, 'enterprise');
    } else if (x < 0.93) {
      kind = 'CCIE-EI-Exam-With-Design';
      const t = wave();
      pod(s, kind, 2, t + 60 * MIN, 120, 75, 15, doo, 'enterprise');
      pod(s, kind, 3, t + 180 * MIN, 300, 30, 15, exam, 'enterprise');
    } else kind = 'CCDE-Design-Exam'; // web only: no pod
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return { pods: pods.sort((a, b) => a.provision_at - b.provision_at), kinds };
}

export async function run(): Promise<BenchResult> {
  const total = Number(process.env.LCM_BENCH_FLEET_SESSIONS ?? 2050);
  const { pods, kinds } = bookings(total);
  const seeded = (
    parse(readFileSync(new URL('../../seeds/worker-templates.yaml', import.meta.url), 'utf8')) as {
      templates: WorkerTemplate[];
    }
  ).templates;
  const templates = seeded.map((t) => ({ ...t, max_per_region: 500 }));
  const config: FleetConfig = { ...DEFAULT_FLEET_CONFIG, max_workers_per_region: 1000 };
  const clock = new ManualClock(DAY0 - 3 * 60 * MIN);
  const sim = new Ec2Simulator(clock, { transition_ms: MIN, cml_boot_ms: 11 * MIN, instance_limit: 10_000 });
  const workers = new Map<string, WorkerRecord>();
  const byTemplate = new Map(templates.map((t) => [t.name, t]));
  let seq = 0;
  let scaleUps = 0;
  let scaleDowns = 0;
  let holds = 0;
  let peak = 0;
  let liveMinutes = 0;
  let costUsd = 0;
  let late = 0;
  let maxWait = 0;
  let lowerBoundMinutes = 0;
  const end = Math.max(...pods.map((p) => p.release_at)) + 60 * MIN;

  for (; clock.now() <= end; clock.advance(MIN)) {
    const now = clock.now();
    // 1. Every worker one lifecycle step against EC2.
    for (const [id, w] of workers) {
      const seen = w.instance_id ? sim.describe({ ids: [w.instance_id] })[0] : undefined;
      const observed = w.instance_id
        ? { state: seen?.state ?? ('absent' as const), ...(seen ? { private_ip: seen.private_ip } : {}) }
        : undefined;
      let step = stepWorker(w, observed, undefined, now);
      if (step.action?.kind === 'probe') {
        const cur = step.next ?? w;
        const again = stepWorker(cur, observed, sim.cmlReady(cur.instance_id!), now);
        step = { ...again, next: again.next ?? step.next };
      }
      const next = step.next ?? w;
      switch (step.action?.kind) {
        case 'run_instance': {
          const t = byTemplate.get(w.template)!;
          const img = sim.describeImages({ name: [t.ami_name_pattern] }, ['self'])[0]!;
          next.instance_id = sim.run({
            image: img.id,
            type: t.instance_type,
            groups: [],
            tags: {},
            client_token: id,
          }).id;
          break;
        }
        case 'start_instance':
          sim.start(next.instance_id!);
          break;
        case 'stop_instance':
          sim.stop(next.instance_id!);
          break;
        case 'terminate_instance':
          sim.terminate(next.instance_id!);
          break;
      }
      workers.set(id, next);
    }
    // 2. Release pods past their cleanup deadline; place pods whose provision time has come.
    for (const p of pods) {
      if (p.host && !p.released && p.release_at <= now) {
        const w = workers.get(p.host)!;
        workers.set(
          p.host,
          releasePod(w as never, p.id, { ...p.needs, ports: [], session_id: p.session }, iso(now)) as never,
        );
        p.released = true;
      }
    }
    for (const p of pods) {
      if (p.provision_at > now) break;
      if (p.host || p.release_at <= now) continue;
      const placement = placePod(
        {
          pod_id: p.id,
          session_id: p.session,
          host_type: 'cml_on_aws',
          ...(p.license ? { license: p.license } : {}),
          ...p.needs,
          port_names: Array.from({ length: p.needs.ports }, (_, i) => `c${i}`),
        },
        [...workers.values()] as never,
      );
      if (placement.ok) {
        p.host = placement.worker.id;
        p.placed_at = now;
        workers.set(p.host, { ...(placement.next as unknown as WorkerRecord) });
        if (now > p.provision_at) maxWait = Math.max(maxWait, (now - p.provision_at) / MIN);
      } else {
        p.rejections = placement.rejected;
        if (!p.late) {
          p.late = true;
          late++;
        }
      }
    }
    // 3. Scaling from the booked demand (pods not yet released, within a day's horizon).
    const horizon = now + 6 * 60 * MIN;
    const demand: PodBooking[] = [];
    for (const p of pods) {
      if (p.provision_at > horizon) break;
      if (p.released || p.release_at <= now) continue;
      demand.push({
        pod_id: p.id,
        session_id: p.session,
        host_type: 'cml_on_aws',
        ...(p.license ? { license: p.license } : {}),
        needs: p.needs,
        provision_at: p.provision_at,
        release_at: p.release_at,
        ...(p.host ? { host_id: p.host } : {}),
        ...(p.rejections && !p.host ? { rejections: p.rejections } : {}),
      });
    }
    for (const d of decideScaling({
      workers: [...workers.values()],
      templates,
      bookings: demand,
      config,
      now,
    })) {
      if (d.kind === 'launch') {
        scaleUps++;
        const t = byTemplate.get(d.template)!;
        const id = `wrk_${++seq}`;
        workers.set(id, {
          id,
          status: 'pending',
          desired_status: 'running',
          state_version: 1,
          state_history: [{ from: null, to: 'pending', at: iso(now), by: 'bench' }],
          created_at: iso(now),
          updated_at: iso(now),
          template: t.name,
          region: d.region,
          host_type: t.host_type,
          license: t.license,
          address: '',
          capacity: {
            cpu_cores: t.capacity.cpu_cores,
            memory_gb: t.capacity.memory_gb,
            max_nodes: t.capacity.max_nodes,
          },
          allocated: { cpu_cores: 0, memory_gb: 0, nodes: 0, pods: 0 },
          ports: { start: 2000, end: 9999 },
          ports_in_use: [],
          pods: [],
          sessions: [],
        });
      } else if (d.kind === 'start' || d.kind === 'undrain') {
        scaleUps++;
        workers.set(d.worker_id, { ...workers.get(d.worker_id)!, desired_status: 'running' });
      } else if (d.kind === 'drain') {
        scaleDowns++;
        workers.set(d.worker_id, { ...workers.get(d.worker_id)!, desired_status: d.to });
      } else if (d.kind === 'hold') holds++;
    }
    // 4. Figures for the minute.
    const live = [...workers.values()].filter((w) => WORKER_LIVE.has(w.status) || w.status === 'stopping');
    peak = Math.max(peak, live.length);
    liveMinutes += live.length;
    costUsd += live.reduce((s, w) => s + byTemplate.get(w.template)!.cost_per_hour_usd, 0) / 60;
    const inUse = { cpu: 0, mem: 0, nodes: 0 };
    for (const p of pods) {
      if (p.provision_at > now) break;
      if (p.release_at <= now) continue;
      inUse.cpu += p.needs.cpu_cores;
      inUse.mem += p.needs.memory_gb;
      inUse.nodes += p.needs.nodes;
    }
    lowerBoundMinutes += Math.max(inUse.cpu / 8, inUse.mem / 32, inUse.nodes / 20);
  }
  const cheapest = byTemplate.get('cml-m5-2xlarge')!.cost_per_hour_usd;
  const lbHours = lowerBoundMinutes / 60;
  return {
    name: 'fleet: a simulated day of bookings through the scaling rules',
    figures: {
      sessions: total,
      ...Object.fromEntries(Object.entries(kinds).map(([k, v]) => [`  ${k}`, v])),
      pods: pods.length,
      'worker-hours used (all templates)': liveMinutes / 60,
      'cost used (USD)': costUsd,
      'lower bound worker-hours (m5.2xlarge, fluid packing)': lbHours,
      'lower bound cost (USD)': lbHours * cheapest,
      'cost / lower bound': costUsd / (lbHours * cheapest),
      'pods that waited past their provision time': late,
      'longest wait past provision time (min)': maxWait,
      'pods never placed': pods.filter((p) => !p.host).length,
      'scale-ups (launch, start, undrain)': scaleUps,
      'scale-downs (drain)': scaleDowns,
      'hold decisions': holds,
      'peak live workers': peak,
    },
    notes: [
      `CML boot ${config.boot_minutes} min + margin ${config.margin_minutes} min; look-ahead ${config.look_ahead_minutes} min; cooldown ${config.cooldown_minutes} min; one pass a minute`,
      'the lower bound ignores boot time, cooldowns and the one-session rule of personal-licence workers',
    ],
  };
}
