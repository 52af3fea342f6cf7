/**
 * The CML fleet in the local runtime (issue 13): from a fresh start with no worker, the warm
 * minimum is launched through the EC2 endpoint, boots on the virtual clock and brings up its own
 * CML at its private address; a lablet is placed on it; when the worker's instance is terminated
 * mid-session the pods are failed or placed again by their part's phase, never silently, and the
 * sessions reconciler instantiates a re-placed pod again on a new worker. Manual clock: time moves
 * only when the test advances it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';
import { putContent } from '../../../infra/local/sample-content.ts';
import type { WorkerRecord } from '../../../shared/domain/worker.ts';
import { samplePackage } from '../../unit/content/packages.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-12-07T06:00:00Z');
const FQN = 'Lablet CCNP ENCOR v1.1 LAB OSPF-101';

let rt: LocalRuntime;

interface Tree {
  session: { id: string; status: string };
  parts: {
    order: number;
    status: string;
    failure?: { error: string };
    waiting_for_capacity?: { since: string; until: string; reason: string };
  }[];
  pods: {
    id: string;
    status: string;
    host_id?: string;
    state_history: { to: string; at: string; reason?: string }[];
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
  (await api<{ items: (WorkerRecord & { instance_id?: string })[] }>('GET', '/v1/workers')).items;
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

async function book(key: string, startInMin: number) {
  const now = rt.clock.now();
  const slot = {
    start: new Date(now + startInMin * MIN).toISOString(),
    end: new Date(now + (startInMin + 120) * MIN).toISOString(),
  };
  const r = await api<Tree>(
    'POST',
    '/v1/sessions',
    { fqn: FQN, candidate: { candidate_id: key }, timeslot: slot },
    { 'idempotency-key': key },
  );
  return r.session.id;
}

beforeAll(async () => {
  rt = await startLocalRuntime({
    port: 0,
    log: () => undefined,
    clock: { kind: 'manual', start: T0 },
  });
  await putContent(rt.env, [
    { key: 'it/lablet-ospf-basics.zip', body: await samplePackage('lablet-ospf-basics') },
  ]);
  // A hang guard only: on a loaded machine start-up and a sync take minutes.
  for (let i = 0; ; i++) {
    const r = await api<{ items: { status: string }[] }>(
      'GET',
      '/v1/pod-definitions?name=lablet-ospf-basics',
    );
    if (r.items.some((d) => d.status === 'ready')) break;
    if (i > 3000) throw new Error('the sample lablet was not synced');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

describe('the CML fleet in the local runtime', () => {
  let first: WorkerRecord & { instance_id?: string };

  it('starts with no worker, launches the warm minimum through EC2, and it boots on the clock to running', async () => {
    // The first pass ran at start: the warm minimum's worker is decided (nothing else is booked).
    const [w, ...more] = await workers();
    expect(more).toEqual([]);
    expect(w).toMatchObject({ status: 'pending', template: 'cml-m5-2xlarge' });
    first = await drive(
      'the warm worker to run',
      async () => (await workers()).find((x) => x.id === w!.id && x.status === 'running'),
      20 * MIN,
    );
    expect(first.instance_id).toMatch(/^i-/);
    expect(rt.fleet.endpoint!.calls).toEqual(
      expect.arrayContaining(['DescribeImages', 'RunInstances', 'DescribeInstances']),
    );
    // The pass acts as the fleet function: its EC2 and DynamoDB calls were checked against the
    // template's grants for it, and none was denied (D191).
    expect(rt.principals.calls['function/fleet-reconciler']).toBeGreaterThanOrEqual(
      rt.fleet.endpoint!.calls.length,
    );
    expect(rt.principals.denials.filter((d) => d.principal === 'function/fleet-reconciler')).toEqual([]);
    expect(first.address).toMatch(/^127\.\d+\.1\.\d+$/);
    // Its own CML answers at its private address.
    const host = rt.fleet.hosts.get(first.instance_id!);
    expect(host?.cml.url).toBe(`http://${first.address}:${rt.fleet.cmlPort}`);
    const statuses = (await events())
      .filter((e) => e.detail.subject === `workers/${w!.id}`)
      .map((e) => [e['detail-type'], e.detail.data.to ?? e.detail.data.reason]);
    expect(statuses).toContainEqual([
      'lcm.worker.scaled_up.v1',
      'warm minimum 1 of cml-m5-2xlarge in eu-west-1',
    ]);
    for (const to of ['provisioning', 'starting', 'running'])
      expect(statuses).toContainEqual(['lcm.worker.status_changed.v1', to]);
  });

  it('a worker lost mid-session: a pod before the candidate is placed again (its part waits for the replacement that boots); one in the candidate hands fails its part with the reason', async () => {
    const waiting = await book('fleet-lost-a', 20);
    const a = await drive(
      'session a to wait for the candidate',
      async () => {
        const t = await tree(waiting);
        return t.parts[0]!.status === 'waiting' && t.pods[0]!.status === 'ready' ? t : undefined;
      },
      40 * MIN,
    );
    expect(a.pods[0]!.host_id).toBe(first.id);
    // A second session whose candidate has started (monitoring) on the same worker.
    const working = await book('fleet-lost-b', 20);
    await drive(
      'session b to wait',
      async () => (await tree(working)).parts[0]!.status === 'waiting',
      40 * MIN,
    );
    // The lab delivery system says the candidate started (on the bus, as the LDS puts it there).
    rt.bus.publish({
      source: 'lds.local',
      'detail-type': 'lds.session.running.v1',
      time: new Date(rt.clock.now()).toISOString(),
      resources: [],
      detail: {
        specversion: '1.0',
        id: `lds-run-${working}`,
        source: 'lds.local',
        type: 'lds.session.running.v1',
        subject: `sessions/${working}/parts/1`,
        data: {},
      },
    });
    await drive(
      'session b to monitor',
      async () => (await tree(working)).parts[0]!.status === 'monitoring',
      10 * MIN,
      1_000,
    );
    const b = await tree(working);
    expect(b.pods[0]!.host_id).toBe(first.id);

    // The instance is gone at once (a host failure).
    rt.fleet.sim.kill(first.instance_id!);
    const lostA = await drive(
      'pod a to be placed again',
      async () => {
        const t = await tree(waiting);
        return t.pods[0]!.state_history.some(
          (h) => h.to === 'pending' && h.reason?.includes(`worker ${first.id} lost`),
        )
          ? t
          : undefined;
      },
      5 * MIN,
      10_000,
    );
    expect(lostA.pods[0]!.state_history.at(-1)!.reason ?? '').not.toBe('');
    const failedB = await drive(
      'part b to fail',
      async () => {
        const t = await tree(working);
        return t.parts[0]!.status === 'failed' || t.session.status === 'failed' ? t : undefined;
      },
      30 * MIN,
    );
    expect(JSON.stringify(failedB)).toContain(`worker ${first.id} lost`);
    const lost = (await workers()).find((x) => x.id === first.id)!;
    expect(lost).toMatchObject({ status: 'failed', allocation: { pods: [] } });

    // The sessions reconciler instantiates pod a again at once. No running worker can take it,
    // but the fleet's replacement, decided in the pass that saw the loss, is booting: the part
    // waits for it (the phase fails with lcm.WaitingForCapacity and runs again on the clock,
    // D150), and the pod is ready on the replacement within its wait (the lead time).
    const lostAt = Date.parse(lostA.pods[0]!.state_history.findLast((h) => h.to === 'pending')!.at);
    const again = await drive(
      'part a to wait for the candidate again, on the replacement',
      async () => {
        const t = await tree(waiting);
        if (t.parts[0]!.status === 'failed') throw new Error(`part a failed: ${JSON.stringify(t.parts[0])}`);
        return t.parts[0]!.status === 'waiting' && t.pods[0]!.status === 'ready' ? t : undefined;
      },
      40 * MIN,
    );
    expect(rt.clock.now()).toBeLessThanOrEqual(lostAt + 15 * MIN);
    expect(again.pods[0]!.host_id).toBeDefined();
    expect(again.pods[0]!.host_id).not.toBe(first.id);
    // Each wait is announced: the instantiate attempt failed with the retryable error.
    const waits = (await events()).filter(
      (e) =>
        e['detail-type'] === 'lcm.session_part.phase_failed.v1' &&
        e.detail.subject === `sessions/${waiting}/parts/1`,
    );
    expect(waits.map((e) => e.detail.data.error)).toContain('lcm.WaitingForCapacity');
    // The wait is announced once, not per attempt (D195): one waiting_for_capacity with its bound,
    // the first attempt's refusal only, and the part no longer carries the wait once placed.
    expect(waits.filter((e) => e.detail.data.error === 'lcm.WaitingForCapacity')).toHaveLength(1);
    const announced = (await events()).filter(
      (e) =>
        e['detail-type'] === 'lcm.session_part.waiting_for_capacity.v1' &&
        e.detail.subject === `sessions/${waiting}/parts/1`,
    );
    expect(announced).toHaveLength(1);
    expect(announced[0]!.detail.data).toMatchObject({ phase: 'instantiate', part_order: 1 });
    expect(Date.parse(String(announced[0]!.detail.data.until))).toBeGreaterThanOrEqual(lostAt);
    expect(String(announced[0]!.detail.data.reason)).toMatch(/waits for a worker that is booting|lost/);
    expect(again.parts[0]!.waiting_for_capacity).toBeUndefined();
    // The fleet launched a replacement for the lost worker.
    const replacement = (await workers()).filter((x) => x.id !== first.id);
    expect(replacement.length).toBeGreaterThan(0);
    const why = (await events()).filter(
      (e) =>
        e['detail-type'] === 'lcm.worker.status_changed.v1' && e.detail.subject === `workers/${first.id}`,
    );
    expect(why.map((e) => e.detail.data.to)).toContain('failed');
  });
});
