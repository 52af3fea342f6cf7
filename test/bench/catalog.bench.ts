/**
 * Issue 3 figures: selector resolution over a 10,000-form catalog, and POST /v1/sessions through
 * the whole local HTTP stack (API server → handler → DynamoDB Local transaction), p50/p95 over
 * 1,000 requests.
 */
import { candidates } from '../../shared/catalog/resolve.ts';
import { compileSelector } from '../../shared/catalog/selector.ts';
import type { Form } from '../../shared/catalog/types.ts';
import { startLocalRuntime } from '../../infra/local/runtime.ts';
import { percentile } from './stats.ts';
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
    await rt.settle(240_000); // 1,000 trees projected and reconciled once each
    return {
      name: 'catalog and scheduling',
      figures: {
        'selector resolution over 10,000 forms (ms/call; goal ≤ 5)': resolveMs,
        'forms admitted by the benchmark selector': admitted,
        'POST /v1/sessions p50 (ms)': percentile(lat, 50),
        'POST /v1/sessions p95 (ms)': percentile(lat, 95),
        'POST /v1/sessions throughput (req/s, sequential)': Math.round((N / wall) * 1000),
        'handler invocations per scheduled session (incl. stream, reconciler)':
          (rt.fns.totalInvocations() - before) / N,
      },
    };
  } finally {
    await rt.stop();
  }
}
