/**
 * Issue 13's end-to-end case for scaling ahead of demand: from zero workers (no warm minimum), a
 * CCIE lab exam's DOO pod is ready before its window because the fleet started its worker ahead,
 * from the booking (the pod's provision time minus the CML boot time and margin), not when the
 * pod asked for it. Driven through the public edges only (the HTTP API, the content bucket, the
 * bus log) on the local runtime's manual clock, which moves only when this test steps it: a
 * runtime of its own, since the e2e project's shared runtime runs an accelerated clock and keeps
 * the seeded warm minimum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';
import { putContent } from '../../../infra/local/sample-content.ts';
import type { WorkerRecord } from '../../../shared/domain/worker.ts';
import { samplePackage } from '../../unit/content/packages.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-12-08T05:00:00Z');

let rt: LocalRuntime;

interface Tree {
  session: { id: string; status: string };
  parts: { order: number; status: string; timeslot: { start: string; lead_time_minutes: number } }[];
  pods: {
    id: string;
    part_order: number;
    status: string;
    host_id?: string;
    state_history: { to: string; at: string }[];
  }[];
}
interface Bus {
  'detail-type': string;
  detail: { subject?: string; data: Record<string, unknown> };
}

async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(rt.apiUrl + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
const workers = async () =>
  (
    await api<{
      items: (Pick<WorkerRecord, 'id' | 'status' | 'scaling'> & { instance_id?: string })[];
    }>('GET', '/v1/workers')
  ).items;
const tree = (id: string) => api<Tree>('GET', `/v1/sessions/${id}`);
const events = async () => (await api<{ events: Bus[] }>('GET', '/local/events/log')).events;

/** Steps the manual clock (quiet → `step`, busy → a second) until `done` answers, within `maxMs` of virtual time. */
async function drive<T>(what: string, done: () => Promise<T | undefined | false>, maxMs: number, step = MIN) {
  let virtual = 0;
  for (;;) {
    const quiet = await rt.settle(500).then(
      () => true,
      () => false,
    );
    const got = await done();
    if (got) return got;
    if (virtual > maxMs) throw new Error(`${what}: not after ${virtual / MIN} virtual minutes`);
    const by = quiet ? step : 1_000;
    await rt.advanceClock(by);
    virtual += by;
  }
}

beforeAll(async () => {
  rt = await startLocalRuntime({
    port: 0,
    log: () => undefined,
    clock: { kind: 'manual', start: T0 },
    // No warm minimum: every worker is launched for booked demand.
    fleet: { warm: [] },
  });
  await putContent(rt.env, [{ key: 'it/doo-bgp.zip', body: await samplePackage('doo-bgp') }]);
  // A hang guard only: on a loaded machine start-up and a sync take minutes.
  for (let i = 0; ; i++) {
    const r = await api<{ items: { status: string }[] }>('GET', '/v1/pod-definitions?name=ccie-ei-doo-1');
    if (r.items.some((d) => d.status === 'ready')) break;
    if (i > 3000) throw new Error('the DOO content was not synced');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

describe('scaling ahead of demand, end to end', () => {
  it("from zero workers, a CCIE exam's DOO pod is ready before its window: its worker was started ahead", async () => {
    expect(await workers()).toEqual([]);
    // Booked two hours ahead: the DOO part (lead time 60 min) provisions at +60 min.
    const start = rt.clock.now() + 120 * MIN;
    const booked = await api<Tree>(
      'POST',
      '/v1/sessions',
      {
        session_type: 'CCIE-EI-Lab-Exam',
        timeslot: { start: new Date(start).toISOString(), end: new Date(start + 8 * 60 * MIN).toISOString() },
        parts: [{ order: 1, form: 'Exam CCIE EI v1.1 DOO DOO-1' }],
        candidate: { candidate_id: 'fleet-ahead-1' },
      },
      { 'idempotency-key': 'fleet-ahead-1' },
    );
    const id = booked.session.id;
    const doo = booked.parts.find((p) => p.order === 1)!;
    const dooPod = booked.pods.find((p) => p.part_order === 1)!;
    const windowStart = Date.parse(doo.timeslot.start);
    const provisionAt = windowStart - doo.timeslot.lead_time_minutes * MIN;
    expect(provisionAt).toBe(T0 + 60 * MIN);

    // Nothing is launched while the pod is further away than the CML boot time and margin
    // (12 + 3 min, seeds/workers.yaml).
    await drive(
      'the clock to reach the launch window',
      async () => rt.clock.now() >= provisionAt - 20 * MIN,
      90 * MIN,
    );
    expect(await workers()).toEqual([]);

    // The fleet launches a worker for the DOO pod ahead of it, and it boots to running before
    // the pod's provision time.
    const w = await drive(
      'a worker to run',
      async () => (await workers()).find((x) => x.status === 'running'),
      30 * MIN,
    );
    expect(rt.clock.now()).toBeLessThanOrEqual(provisionAt);
    expect(w.scaling).toMatchObject({ direction: 'up' });
    expect(w.scaling!.reason).toContain(
      `pod ${dooPod.id} provisions at ${new Date(provisionAt).toISOString()}`,
    );
    // Decided no earlier than the boot time and margin (and one pass) before the provision time.
    const launchedAt = Date.parse(w.scaling!.at);
    expect(launchedAt).toBeGreaterThanOrEqual(provisionAt - 15 * MIN - MIN);
    expect(w.instance_id).toMatch(/^i-/);
    expect(rt.fleet.endpoint!.calls).toEqual(expect.arrayContaining(['RunInstances']));

    // The DOO part instantiates at its provision time on that worker, at the first attempt, and
    // its pod is ready before the DOO window opens.
    const ready = await drive(
      'the DOO pod to be ready',
      async () => {
        const t = await tree(id);
        return t.pods.find((p) => p.part_order === 1)!.status === 'ready' ? t : undefined;
      },
      60 * MIN,
    );
    const pod = ready.pods.find((p) => p.part_order === 1)!;
    expect(pod.host_id).toBe(w.id);
    expect(Date.parse(pod.state_history.find((h) => h.to === 'ready')!.at)).toBeLessThan(windowStart);
    expect(ready.parts.find((p) => p.order === 1)!.status).toBe('instantiating');
    const failedPhases = (await events()).filter(
      (e) =>
        e['detail-type'] === 'lcm.session_part.phase_failed.v1' &&
        e.detail.subject?.startsWith(`sessions/${id}/`),
    );
    expect(failedPhases).toEqual([]);
    // The bus log says why the worker was started.
    const up = (await events()).find(
      (e) => e['detail-type'] === 'lcm.worker.scaled_up.v1' && e.detail.subject === `workers/${w.id}`,
    );
    expect(String(up?.detail.data.reason)).toContain(`pod ${dooPod.id}`);
  });
});
