/**
 * Issue 3 figures: selector resolution over a 10,000-form catalog, and POST /v1/sessions through
 * the whole local HTTP stack (API server → handler → DynamoDB Local transaction), p50/p95 over
 * 1,000 requests sent one after the other.
 *
 * Issue 17's rate test: the same request sent open-loop at fixed rates (`LCM_BENCH_RATES`,
 * default 10,25,50,100,150,200 req/s; `LCM_BENCH_RATE_COUNT`, default 300 requests each), each
 * request started on its schedule whether or not the earlier ones have answered, and its latency
 * counted from the time it was due (so a sender that falls behind shows as latency, not as a
 * lower rate). The runtime settles between rates. Goals: p95 ≤ 50 ms at ≥ 100 req/s; and the
 * highest rate at which p95 stays ≤ 100 ms.
 */
import { candidates } from '../../shared/catalog/resolve.ts';
import { compileSelector } from '../../shared/catalog/selector.ts';
import type { Form } from '../../shared/catalog/types.ts';
import { startLocalRuntime } from '../../infra/local/runtime.ts';
import { percentile } from './stats.ts';
import { fmtLoad } from './process-cpu.ts';
import { loadavg } from 'node:os';
import type { BenchResult } from './run.ts';

function catalog(n: number): Form[] {
  const tracks = ['CCNA', 'ENCOR', 'ENARSI', 'SCOR', 'DCCOR', 'AUTO', 'EI', 'SEC', 'DC', 'CCDE'];
  const modules = ['LAB', 'DES', 'DOO', 'AI-DOO', 'COR'];
  return Array.from({ length: n }, (_, i) => {
    const t = tracks[i % tracks.length]!;
    const m = modules[Math.floor(i / tracks.length) % modules.length]!;
    const fqn = `Exam CCIE ${t} v1.${i % 4} ${m} F-${i}`;
    return {
      fqn,
      version: '1',
      track_type: 'Exam',
      track_level: 'CCIE',
      track_acronym: t,
      exam_version: `1.${i % 4}`,
      module_acronym: m,
      form: `F-${i}`,
      status: i % 17 === 0 ? 'draft' : 'published',
      content_id: `c-${i}`,
      exposure_count: i % 13,
      ...(m === 'DES' || m === 'COR'
        ? {}
        : { pod_ref: { pod_type: 'cml_on_aws' as const, status: 'ready' as const } }),
    };
  });
}

export async function run(): Promise<BenchResult> {
  const forms = catalog(10_000);
  const sel = '* CCDE * COR';
  compileSelector(sel);
  const reps = 50;
  let t0 = performance.now();
  let admitted = 0;
  for (let i = 0; i < reps; i++)
    admitted = candidates(forms, 'Exam CCIE * * DES*', { track_acronyms: ['EI', 'SEC'], requires_pod: false })
      .admitted.length;
  const resolveMs = (performance.now() - t0) / reps;

  const rt = await startLocalRuntime({
    port: 0,
    log: () => undefined,
    clock: { kind: 'manual', start: Date.parse('2026-12-01T00:00:00Z') },
  });
  try {
    const lat: number[] = [];
    const before = rt.fns.totalInvocations();
    const N = 1000;
    t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      const res = await fetch(`${rt.apiUrl}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          session_type: 'CCDE-Design-Exam',
          timeslot: { start: '2026-12-20T09:00:00Z', end: '2026-12-20T17:00:00Z' },
          candidate: { candidate_id: `bench-${i}` },
        }),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`POST returned ${res.status}`);
      lat.push(performance.now() - s);
    }
    const wall = performance.now() - t0;
    const seqLoad = loadavg();
    await rt.settle(240_000); // 1,000 trees projected and reconciled once each
    const perSession = (rt.fns.totalInvocations() - before) / N;

    const rates = (process.env.LCM_BENCH_RATES ?? '10,25,50,100,150,200').split(',').map(Number);
    const count = Number(process.env.LCM_BENCH_RATE_COUNT ?? 300);
    const rateFigures: Record<string, string> = {};
    let highest = 0;
    let atGoalRate: number | undefined;
    for (const rate of rates) {
      const r = await openLoop(rt.apiUrl, rate, count, `rate${rate}`);
      const p95 = percentile(r.latencies, 95);
      if (p95 <= 100 && r.errors === 0) highest = Math.max(highest, rate);
      if (rate === 100) atGoalRate = p95;
      rateFigures[`POST /v1/sessions at ${rate} req/s open-loop: p50 / p95 (ms)`] =
        `${percentile(r.latencies, 50).toFixed(1)} / ${p95.toFixed(1)}   achieved ${r.achieved.toFixed(0)} req/s   errors ${r.errors}   load ${fmtLoad(r.load)}`;
      await rt.settle(240_000);
    }
    return {
      name: 'catalog and scheduling',
      figures: {
        'selector resolution over 10,000 forms (ms/call; goal ≤ 5)': resolveMs,
        'forms admitted by the benchmark selector': admitted,
        'POST /v1/sessions p50 (ms), sequential': percentile(lat, 50),
        'POST /v1/sessions p95 (ms), sequential': percentile(lat, 95),
        'POST /v1/sessions throughput (req/s, sequential)': Math.round((N / wall) * 1000),
        'load average after the sequential run': fmtLoad(seqLoad),
        ...rateFigures,
        'POST /v1/sessions p95 at 100 req/s (ms)':
          atGoalRate === undefined
            ? 'not measured (100 not in LCM_BENCH_RATES)'
            : `${atGoalRate.toFixed(1)}   goal ≤ 50`,
        'highest rate tried with p95 ≤ 100 ms (req/s)': `${highest || 'none'}   goal ≥ 100 with p95 ≤ 50 ms (of ${rates.join(', ')})`,
        'handler invocations per scheduled session (incl. stream, reconciler)': perSession,
      },
      notes: [
        `rate test: ${count} requests per rate, each due at its fixed interval and timed from then (open loop); the runtime settles between rates`,
      ],
    };
  } finally {
    await rt.stop();
  }
}

/**
 * `count` POSTs, the i-th due at i / rate seconds after the start, each sent when due whatever
 * the earlier ones are doing; latency from the due time to the answer.
 */
async function openLoop(apiUrl: string, rate: number, count: number, tag: string) {
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now() + 20;
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      fetch(`${apiUrl}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          session_type: 'CCDE-Design-Exam',
          timeslot: { start: '2026-12-21T09:00:00Z', end: '2026-12-21T17:00:00Z' },
          candidate: { candidate_id: `${tag}-${i}` },
        }),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          if (res.status !== 201) errors++;
          latencies.push(performance.now() - due);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inFlight);
  const span = performance.now() - t0;
  return { latencies, errors, achieved: (count * 1000) / span, load: loadavg() };
}
