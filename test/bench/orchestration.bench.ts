/**
 * Issue 7 figures: lablet sessions driven from POST to `completed` through the whole local
 * runtime against zero-delay simulators, on a stepped clock (test/helpers/lablet-fleet.ts).
 * Reported per session: state-table writes (stream records of the state table), state
 * transitions (status_changed events on the bus) and handler invocations, the counts a real AWS
 * bill follows, next to the wall time.
 *
 * `LCM_BENCH_SESSIONS` (default 1000) sessions run in waves of `LCM_BENCH_WAVE` (default 200),
 * each wave in its own timeslot, on a pool sized for one wave.
 *
 * Where the time goes: the CPU seconds of this Node process and of DynamoDB Local's JVM (a
 * separate process: /proc) over the drive, beside the wall time and the load average; with
 * `LCM_BENCH_CPUPROF=<file>`, a V8 CPU profile of the drive (read it with
 * `npx tsx test/bench/profile-summary.ts <file>`: the breakdown by package in docs/performance.md).
 */
import { EVENT_TYPES } from '../../shared/events/types.ts';
import { driveLablets, portConflicts, startFleet } from '../helpers/lablet-fleet.ts';
import { perSession } from '../helpers/session-bill.ts';
import { cpuBetween, cpuProfile, cpuSnapshot, fmtLoad } from './process-cpu.ts';
import { LABLET_FLOOR } from './session-budget.ts';
import type { BenchResult } from './run.ts';

/** Issue 17's goal for 1,000 lablets POST → completed on this 2-core machine (s). */
export const GOAL_1000_LABLETS_S = 180;
/** Issue 17's goal for each count per lablet against its floor. */
export const GOAL_FLOOR_RATIO = 1.5;

export async function run(): Promise<BenchResult> {
  const total = Number(process.env.LCM_BENCH_SESSIONS ?? 1000);
  const wave = Math.min(total, Number(process.env.LCM_BENCH_WAVE ?? 200));
  const fleet = await startFleet({ workers: Math.ceil(wave / 12) + 1 });
  const { rt } = fleet;
  try {
    const stateRecords = () => rt.pollers.reduce((n, p) => n + p.stats.records, 0);
    const batchMs = () => ({
      batches: rt.pollers.reduce((n, p) => n + p.stats.batches, 0),
      total: rt.pollers.reduce((n, p) => n + p.stats.totalDeliveryLatencyMs, 0),
      max: Math.max(...rt.pollers.map((p) => p.stats.maxDeliveryLatencyMs)),
    });
    let statusChanges = 0;
    const untap = rt.bus.tap((e) => {
      if (e['detail-type'].endsWith('.status_changed.v1')) statusChanges++;
    });
    const transitions = () => statusChanges;
    const handlerCalls = () => {
      // The driver's own polling (GET /v1/sessions) is not what a session costs.
      let n = 0;
      for (const [name, v] of rt.fns.invocations) if (name !== 'sessions-api') n += v;
      return n;
    };
    const r0 = { writes: stateRecords(), transitions: transitions(), calls: handlerCalls() };
    const types: Record<string, number> = {};
    const untapTypes = rt.bus.tap((e) => {
      if (!e.source.startsWith('aws.')) types[e['detail-type']] = (types[e['detail-type']] ?? 0) + 1;
    });
    const bill0 = rt.bill();
    const profile = process.env.LCM_BENCH_CPUPROF;
    const stopProfile = profile ? await cpuProfile(profile) : undefined;
    const cpu0 = cpuSnapshot();
    let wall = 0;
    let completed = 0;
    let fullMarks = 0;
    let conflicts = 0;
    for (let done = 0; done < total; done += wave) {
      const n = Math.min(wave, total - done);
      const r = await driveLablets(fleet, n, { tag: `bench-${done}` });
      wall += r.wallMs;
      completed += r.trees.filter((t) => t.session.status === 'completed').length;
      fullMarks += r.trees.filter((t) => t.session.score_report?.points_awarded === 100).length;
      conflicts += portConflicts(r.trees).length;
    }
    await rt.settle(30_000).catch(() => undefined);
    const cpu1 = cpuSnapshot();
    await stopProfile?.();
    untap();
    untapTypes();
    // + one POST per session: the scheduler's request is part of the cost.
    const calls = handlerCalls() - r0.calls + total;
    const per = perSession(bill0, rt.bill(), total, total, [], types);
    const cpu = cpuBetween(cpu0, cpu1);
    const java = cpu.children.java ?? 0;
    const per1000 = (wall / 1000) * (1000 / total);
    const stateWrites = (stateRecords() - r0.writes) / total;
    const entries = per.eventEntries - (per.eventTypes[EVENT_TYPES.treeChanged] ?? 0);
    const vsFloor = (today: number, floor: number) =>
      `${fmt(today)}   floor ${floor}   ratio ${(today / floor).toFixed(2)} (goal ≤ ${GOAL_FLOOR_RATIO})`;
    return {
      name: 'orchestration: lablets from POST to completed',
      figures: {
        sessions: total,
        'sessions completed': completed,
        'sessions with full marks': fullMarks,
        'wall time (s)': wall / 1000,
        [total === 1000
          ? 'wall time for 1,000 lablets (s)'
          : 'wall time per 1,000 lablets (s), EXTRAPOLATED']:
          `${(total === 1000 ? wall / 1000 : per1000).toFixed(1)}   goal ≤ ${GOAL_1000_LABLETS_S}${total === 1000 ? '' : `   (extrapolated linearly from ${total} sessions: ${(wall / 1000).toFixed(1)} s × ${(1000 / total).toFixed(2)})`}`,
        'load average at start / end (1, 5, 15 min)': `${fmtLoad(cpu0.load)} / ${fmtLoad(cpu1.load)}`,
        'sessions per second': total / (wall / 1000),
        'CPU s, this Node process (drive + settle)': cpu.node,
        'CPU s, DynamoDB Local (java)': java,
        'CPU s, other child processes': JSON.stringify(
          Object.fromEntries(Object.entries(cpu.children).filter(([k]) => k !== 'java')),
        ),
        'wall s of the same span': cpu.wall,
        'CPU busy share of 2 cores ((node + java) / wall / 2)': (cpu.node + java) / cpu.wall / 2,
        'lablet: state-table writes vs floor': vsFloor(stateWrites, LABLET_FLOOR.stateItemWrites),
        'lablet: EventBridge entries (tree_changed excluded) vs floor': vsFloor(
          entries,
          LABLET_FLOOR.eventEntries,
        ),
        'lablet: event-driven invocations vs floor': vsFloor(
          per.eventDrivenInvocations,
          LABLET_FLOOR.eventDrivenInvocations,
        ),
        'lablet: Step Functions state transitions vs floor': vsFloor(
          per.sfnTransitions,
          LABLET_FLOOR.sfnTransitions,
        ),
        'state-table writes per session': (stateRecords() - r0.writes) / total,
        'state transitions per session': (transitions() - r0.transitions) / total,
        'handler invocations per session': calls / total,
        'stream batch handling, mean (ms)': batchMs().total / Math.max(1, batchMs().batches),
        'stream batch handling, slowest (ms)': batchMs().max,
        'records per stream batch': stateRecords() / Math.max(1, batchMs().batches),
        'worker capacity violations': fleet.violations.length,
        'ports held by two pods': conflicts,
      },
      notes: [
        `waves of ${wave} concurrent sessions; the clock is stepped, so wall time is work, not waiting`,
        'handler invocations exclude the driver polling GET /v1/sessions and include one POST per session',
        'views-table writes and write units per lablet need the DynamoDB meter: npm run bench cost',
        ...(profile ? [`CPU profile of the drive written to ${profile}`] : []),
      ],
    };
  } finally {
    await fleet.stop();
  }
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
