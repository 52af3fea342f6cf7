/**
 * Issue 7 figures: lablet sessions driven from POST to `completed` through the whole local
 * runtime against zero-delay simulators, on a stepped clock (test/helpers/lablet-fleet.ts).
 * Reported per session: state-table writes (stream records of the state table), state
 * transitions (status_changed events on the bus) and handler invocations, the counts a real AWS
 * bill follows, next to the wall time.
 *
 * `LCM_BENCH_SESSIONS` (default 1000) sessions run in waves of `LCM_BENCH_WAVE` (default 200),
 * each wave in its own timeslot, on a pool sized for one wave.
 */
import { driveLablets, portConflicts, startFleet } from '../helpers/lablet-fleet.ts';
import type { BenchResult } from './run.ts';

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
    untap();
    // + one POST per session: the scheduler's request is part of the cost.
    const calls = handlerCalls() - r0.calls + total;
    return {
      name: 'orchestration: lablets from POST to completed',
      figures: {
        sessions: total,
        'sessions completed': completed,
        'sessions with full marks': fullMarks,
        'wall time (s)': wall / 1000,
        'sessions per second': total / (wall / 1000),
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
      ],
    };
  } finally {
    await fleet.stop();
  }
}
