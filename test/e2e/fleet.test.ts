/**
 * Issue 13 (the CML worker fleet), through the public edges only (HTTP API, content bucket, the
 * bus log): from zero running workers of the template a CCIE exam's DOO pod needs, the fleet
 * launches one ahead of demand, from the booking alone, and the pod is ready before its window.
 * The warm minimum (one cml-m5-2xlarge, 8 cores) cannot host this DOO content (two 6-core
 * routers), so no running worker fits it: only the ahead-of-demand rule can have it ready in time.
 * Timing assertions are on the runtime's clock (accelerated); the waits are hang guards only.
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { api, busEvents, contentBucket, hasLocalEndpoints, waitFor } from './support/api.ts';
import { DOO_AHEAD_CONTENT, DOO_AHEAD_FORM, E2E_FLEET_MARGIN_MINUTES } from './support/seeds.ts';
import { samplePackage } from '../unit/content/packages.ts';

interface Worker {
  id: string;
  status: string;
  template: string;
  scaling?: { direction: string; reason: string; at: string };
  state_history?: unknown[];
}
interface Tree {
  session: { id: string; status: string };
  parts: {
    order: number;
    status: string;
    launch_url?: string;
    timeslot: { start: string; end: string; lead_time_minutes: number };
    waiting_for_capacity?: unknown;
  }[];
  pods: {
    id: string;
    part_order: number;
    status: string;
    host_id?: string;
    state_history: { to: string; at: string }[];
  }[];
}

const M = 60_000;
const H = 60 * M;
const BIG = 'cml-m5-4xlarge';
const LIVE = new Set(['pending', 'provisioning', 'starting', 'running', 'draining']);
const workers = async () => (await api<{ items: Worker[] }>('GET', '/v1/workers')).body.items;
const now = async () => Date.parse((await api<{ now: string }>('GET', '/local/clock')).body.now);

/** The seeded DOO package (two routers over SSH) as its own content, each router with 6 cores. */
async function syncBigDoo(): Promise<void> {
  const { s3, bucket } = contentBucket();
  const dir = 'seeds/content/doo-bgp/PAv1';
  const manifest = readFileSync(`${dir}/manifest.yaml`, 'utf8')
    .replace(/^name: .*$/m, `name: ${DOO_AHEAD_CONTENT}`)
    .replace(/^content_id: .*$/m, `content_id: ${DOO_AHEAD_CONTENT}`);
  const topology = readFileSync(`${dir}/topology/cml.yaml`, 'utf8').replaceAll('cpus: 1', 'cpus: 6');
  expect(topology.match(/cpus: 6/g)).toHaveLength(2);
  const zip = await samplePackage('doo-bgp', {
    'PAv1/manifest.yaml': manifest,
    'PAv1/topology/cml.yaml': topology,
  });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'e2e/doo-ahead.zip', Body: zip }));
  await waitFor('the 12-core DOO content to be ready', async () => {
    const l = await api<{ items: { status: string; error_detail?: unknown }[] }>(
      'GET',
      `/v1/pod-definitions?name=${DOO_AHEAD_CONTENT}`,
    );
    const failed = l.body.items.find((d) => d.status === 'failed');
    if (failed) throw new Error(`the DOO content failed to sync: ${JSON.stringify(failed.error_detail)}`);
    return l.body.items.some((d) => d.status === 'ready');
  });
}

describe('the CML fleet scales ahead of booked demand (issue 13)', () => {
  it.runIf(hasLocalEndpoints())(
    'from zero running workers that fit it, a CCIE exam’s DOO pod is ready before its window because a worker was launched ahead, from the booking',
    async () => {
      await syncBigDoo();
      // Zero: no live worker of the template the pod needs; the warm one (8 cores) cannot host it.
      const before = await workers();
      expect(before.filter((w) => w.template === BIG && LIVE.has(w.status))).toEqual([]);
      expect(before.some((w) => w.status === 'running')).toBe(true);

      const start = Math.ceil(((await now()) + 3 * H) / M) * M;
      const booked = await api<Tree>('POST', '/v1/sessions', {
        session_type: 'CCIE-EI-Lab-Exam',
        candidate: { candidate_id: `e2e-fleet-${Date.now()}` },
        timeslot: { start: new Date(start).toISOString(), end: new Date(start + 8 * H).toISOString() },
        parts: [
          { order: 1, form: DOO_AHEAD_FORM },
          { order: 2, form: 'Exam CCIE EI v1.1 AI-DOO AIDOO-1' },
        ],
      });
      expect(booked.status, JSON.stringify(booked.body)).toBe(201);
      const id = booked.body.session.id;
      const doo = booked.body.parts.find((p) => p.order === 1)!;
      const windowStart = Date.parse(doo.timeslot.start);
      const provisionAt = windowStart - doo.timeslot.lead_time_minutes * M;
      expect(provisionAt).toBe(start - 60 * M);
      const podId = booked.body.pods.find((p) => p.part_order === 1)!.id;

      // Hang guard only (wall time, generous): the exam's DOO window opens about 18 s of quiet
      // runtime after booking at ×600.
      const active = await waitFor(
        'the DOO part to be active',
        async () => {
          const t = (await api<Tree>('GET', `/v1/sessions/${id}`)).body;
          return t.parts[0]!.status === 'waiting' && t.parts[0]!.launch_url ? t : undefined;
        },
        10 * 60_000,
        100,
      );

      // The worker: launched for this pod from its booking (the ahead-of-demand rule's reason,
      // not placement's "found no fit"), of the template that fits it, and the pod runs on it.
      const reason = `pod ${podId} provisions at ${new Date(provisionAt).toISOString()} and no worker that will be running by then fits it: cheapest fitting template ${BIG}`;
      const ours = (await workers()).filter((w) => w.scaling?.reason === reason);
      // On failure, say what became of each worker launched for the pod (status and history).
      expect(
        ours,
        JSON.stringify(ours.map((x) => ({ id: x.id, status: x.status, history: x.state_history }))),
      ).toHaveLength(1);
      const w = ours[0]!;
      expect(w).toMatchObject({ template: BIG, status: 'running', scaling: { direction: 'up' } });
      const pod = active.pods.find((p) => p.part_order === 1)!;
      expect(pod.host_id).toBe(w.id);

      // The bus says why and when: the scale-up was decided before the pod's provision time (a
      // reactive one comes only after placement failed at it), then the worker booted to running.
      const events = (await busEvents()).filter((e) => e.detail.subject === `workers/${w.id}`);
      const up = events.filter((e) => e['detail-type'] === 'lcm.worker.scaled_up.v1');
      expect(up).toHaveLength(1);
      expect(up[0]!.detail.data).toMatchObject({ template: BIG, reason });
      // Decided a boot and the (e2e) margin before the pod provisions; one pass late is fine.
      const decidedAt = Date.parse(w.scaling!.at);
      expect(Date.parse(up[0]!.time)).toBe(Math.floor(decidedAt / 1000) * 1000);
      expect(decidedAt).toBeGreaterThanOrEqual(provisionAt - (12 + E2E_FLEET_MARGIN_MINUTES) * M - M);
      expect(decidedAt).toBeLessThan(provisionAt - 12 * M);
      const moves = events
        .filter((e) => e['detail-type'] === 'lcm.worker.status_changed.v1')
        .map((e) => [e.detail.data.to, Date.parse(e.time)] as const);
      expect(moves.map(([to]) => to)).toEqual(
        expect.arrayContaining(['provisioning', 'starting', 'running']),
      );
      // Running before the pod provisions: placement found it there, nothing waited for capacity.
      const runningAt = moves.find(([to]) => to === 'running')![1];
      expect(runningAt).toBeLessThanOrEqual(provisionAt);
      expect(active.parts[0]!.waiting_for_capacity).toBeUndefined();
      const waits = (await busEvents()).filter(
        (e) =>
          e.detail.subject?.startsWith(`sessions/${id}`) &&
          e['detail-type'] === 'lcm.session_part.waiting_for_capacity.v1',
      );
      expect(waits).toEqual([]);

      // Ready before its window: the pod at once, the part at its window's start with its launch URL.
      const readyAt = Date.parse(pod.state_history.find((h) => h.to === 'ready')!.at);
      expect(readyAt).toBeLessThan(windowStart);
      expect(readyAt).toBeGreaterThanOrEqual(provisionAt);
      expect(active.parts[0]!.launch_url).toMatch(/^https?:\/\//);

      expect((await api('POST', `/v1/sessions/${id}/cancel`, {})).status).toBe(202);
    },
    15 * 60_000,
  );
});
