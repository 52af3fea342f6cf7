/**
 * Issue: orchestration. Whole sessions driven by the clock and by intent, through the public
 * edges only (HTTP API, content bucket, the bus log): a lablet from POST to `completed`; the
 * two-part CCIE with eager DOO provisioning and the gate; the four-part CCDE without pods; a
 * part that fails after its retries; every part failing; cancel mid-run; the cleanup deadline.
 * The clock runs ×600 (LCM_E2E_CLOCK_FACTOR): an eight-hour exam takes under a minute.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { api, busEvents, contentBucket, hasLocalEndpoints, waitFor, type BusEvent } from './support/api.ts';
import { samplePackage } from '../unit/content/packages.ts';
import { signedDelivery } from '../../infra/local/sim/webhooks.ts';

interface Part {
  order: number;
  name: string;
  status: string;
  form: { fqn: string };
  timeslot: { start: string; end: string };
  activated_at?: string;
  score_report?: { points_awarded: number; points_max: number; per_item?: { id: string; passed: boolean }[] };
  failure?: { phase: string; error: string };
  phase_log?: { phase: string; outcome?: string; attempt: number }[];
  phase_execution?: { phase: string; outcome?: string; attempt: number };
  state_history?: { to: string; at: string }[];
}
interface Pod {
  id: string;
  part_order: number;
  status: string;
  host_id?: string;
  state_history: { to: string; at: string }[];
}
interface Tree {
  session: {
    id: string;
    status: string;
    timeslot: { start: string; end: string };
    score_report?: {
      points_awarded: number;
      points_max: number;
      per_part: { order: number; status: string; points_awarded: number | null; per_item?: unknown[] }[];
    };
    escalation?: { failed_parts: number[] };
  };
  parts: Part[];
  pods: Pod[];
}

let s3: S3Client;
let bucket: string;
let now: () => Promise<number>;
const H = 3600_000;
const M = 60_000;
let seq = 0;

async function sync(
  name: string,
  contentId: string,
  changes: Record<string, string | null>,
): Promise<string> {
  const manifest = `format_version: PAv1
name: ${name}
version: 1.0.${Date.now() % 1000}
content_id: ${contentId}
pod_type: cml_on_aws
description: e2e variant of the OSPF lablet
jobs_used: [post_init@v1, grade@v1]
`;
  const zip = await samplePackage('lablet-ospf-basics', { 'PAv1/manifest.yaml': manifest, ...changes });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `e2e/${name}.zip`, Body: zip }));
  const pd = await waitFor(`${name} to be ready`, async () => {
    const l = await api<{ items: { id: string; status: string; error_detail?: unknown }[] }>(
      'GET',
      `/v1/pod-definitions?name=${name}`,
    );
    if (l.status !== 200) throw new Error(`listing ${name} answered ${l.status}: ${JSON.stringify(l.body)}`);
    const failed = l.body.items.find((d) => d.status === 'failed');
    if (failed) throw new Error(`${name} failed to sync: ${JSON.stringify(failed.error_detail)}`);
    return l.body.items.find((d) => d.status === 'ready');
  });
  return pd.id;
}

/** Syncs the seeded DOO package (ssh connectors) once; it serves form DOO-1 (content ccie-ei-doo-1). */
let dooSynced: Promise<string> | undefined;
function syncDoo(): Promise<string> {
  dooSynced ??= (async () => {
    const zip = await samplePackage('doo-bgp');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'e2e/doo-bgp.zip', Body: zip }));
    const pd = await waitFor('the DOO content to be ready', async () => {
      const l = await api<{ items: { id: string; status: string; error_detail?: unknown }[] }>(
        'GET',
        '/v1/pod-definitions?name=ccie-ei-doo-1',
      );
      const failed = l.body.items.find((d) => d.status === 'failed');
      if (failed) throw new Error(`the DOO content failed to sync: ${JSON.stringify(failed.error_detail)}`);
      return l.body.items.find((d) => d.status === 'ready');
    });
    return pd.id;
  })();
  return dooSynced;
}

/** A timeslot that starts `inMs` from the target's now and lasts `lengthMs`. */
async function slotIn(inMs: number, lengthMs: number): Promise<{ start: string; end: string }> {
  const start = (await now()) + inMs;
  return { start: new Date(start).toISOString(), end: new Date(start + lengthMs).toISOString() };
}

async function schedule(body: Record<string, unknown>): Promise<Tree> {
  const r = await api<Tree>('POST', '/v1/sessions', {
    candidate: { candidate_id: `e2e-life-${Date.now()}-${++seq}` },
    ...body,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const read = async (id: string) => (await api<Tree>('GET', `/v1/sessions/${id}`)).body;
const until = (id: string, what: string, pred: (t: Tree) => boolean, ms = 180_000) =>
  waitFor(
    what,
    async () => {
      const t = await read(id);
      return t?.session && pred(t) ? t : undefined;
    },
    ms,
  );
const ended = (t: Tree) => ['completed', 'failed', 'cancelled'].includes(t.session.status);

/** A CCIE lab exam starting in 65 min whose AI-DOO part delivers `aiDooForm`, driven until AI-DOO is active. */
async function ccieUntilAiDooActive(aiDooForm: string): Promise<string> {
  const tree = await schedule({
    session_type: 'CCIE-EI-Lab-Exam',
    timeslot: await slotIn(65 * M, 8 * H),
    parts: [{ order: 2, form: aiDooForm }],
  });
  const id = tree.session.id;
  await until(id, 'DOO active', (t) => t.parts[0]!.status === 'waiting');
  await api('POST', `/v1/sessions/${id}/parts/1/end`, {});
  await until(id, 'AI-DOO active', (t) => t.parts[1]!.status === 'waiting', 180_000);
  return id;
}

async function eventsOf(id: string): Promise<BusEvent[]> {
  return (await busEvents()).filter(
    (e) => e.detail?.subject?.startsWith(`sessions/${id}`) && !e['detail-type'].includes('tree_changed'),
  );
}
/** docs/events.md, "Order, per scenario": a session that completes. */
const COMPLETED_SESSION = [
  'session.scheduled',
  'session.status_changed:pending',
  'session.status_changed:admitting',
  'session.status_changed:running',
  'session.status_changed:aggregating',
  'session.status_changed:submitting',
  'session.status_changed:finalizing',
  'session.status_changed:completed',
  'session.completed',
];
/** A session that ends `status` after `through` of the completed sequence, then finalizing: its own event last. */
const endedSession = (through: number, status: 'failed' | 'cancelled', last: string) => [
  ...COMPLETED_SESSION.slice(0, through),
  'session.status_changed:finalizing',
  `session.status_changed:${status}`,
  `session.${last}`,
];
const sessionEvents = async (id: string, last: string) => {
  await waitFor(`${last} of ${id}`, async () => (await eventsOf(id)).some((e) => e['detail-type'] === last));
  return typesFor(await eventsOf(id), 'lcm.session.');
};
const short = (t: string) => t.replace(/^lcm\./, '').replace(/\.v1$/, '');

/** One transition, one event: no id twice, no (type, subject, from → to, phase) twice. */
function expectNoDuplicates(events: BusEvent[]) {
  const ids = events.map((e) => e.detail.id);
  expect(new Set(ids).size).toBe(ids.length);
  const keys = events.map((e) =>
    JSON.stringify([
      e['detail-type'],
      e.detail.subject,
      e.detail.data.from,
      e.detail.data.to,
      e.detail.data.execution_name,
    ]),
  );
  expect(new Set(keys).size).toBe(keys.length);
}

const typesFor = (events: BusEvent[], prefix: string) =>
  events
    .filter((e) => e['detail-type'].startsWith(prefix))
    .map(
      (e) =>
        `${short(e['detail-type'])}${e.detail.data.to ? `:${String(e.detail.data.to)}` : e.detail.data.phase ? `:${String(e.detail.data.phase)}` : ''}`,
    );

beforeAll(async () => {
  ({ s3, bucket } = contentBucket());
  now = async () =>
    hasLocalEndpoints()
      ? Date.parse((await api<{ now: string }>('GET', '/local/clock')).body.now)
      : Date.now();
  // The sample lablet delivers the OSPF-101 form.
  const l = await api<{ items: { status: string }[] }>('GET', '/v1/pod-definitions?name=lablet-ospf-basics');
  if (!l.body.items.some((d) => d.status === 'ready')) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'e2e/lifecycle-lablet.zip',
        Body: await samplePackage('lablet-ospf-basics'),
      }),
    );
    await waitFor('the sample lablet', async () =>
      (
        await api<{ items: { status: string }[] }>('GET', '/v1/pod-definitions?name=lablet-ospf-basics')
      ).body.items.some((d) => d.status === 'ready'),
    );
  }
});

describe('whole sessions, end to end', () => {
  it('a lablet runs from POST to completed: instantiated, used, graded 100/100, archived, its pod torn down; its report published with the reference of its document (issue 15, finding 10)', async () => {
    const tree = await schedule({
      fqn: 'Lablet CCNP ENCOR v1.1 LAB OSPF-101',
      timeslot: await slotIn(20 * M, 120 * M),
    });
    const id = tree.session.id;
    const waiting = await until(
      id,
      'the lab to be ready for the candidate',
      (t) => t.parts[0]!.status === 'waiting',
    );
    expect(waiting.pods[0]).toMatchObject({ status: 'ready', host_id: expect.stringMatching(/^wrk_/) });
    // The candidate finishes early (operator action); collection, grading and archiving follow.
    expect(
      (await api('POST', `/v1/sessions/${id}/parts/1/end`, { reason: 'candidate finished' })).status,
    ).toBe(202);
    const done = await until(id, 'completion', ended);
    expect(done.session.status).toBe('completed');
    expect(done.parts[0]).toMatchObject({
      status: 'archived',
      score_report: { points_awarded: 100, points_max: 100 },
    });
    expect(done.parts[0]!.score_report!.per_item).toHaveLength(10);
    expect(done.session.score_report).toMatchObject({
      points_awarded: 100,
      points_max: 100,
      per_part: [{ order: 1, points_awarded: 100 }],
    });
    expect(done.pods.map((p) => p.status)).toEqual(['terminated']);
    const phases = [...(done.parts[0]!.phase_log ?? []), done.parts[0]!.phase_execution!];
    expect(phases.map((e) => `${e.phase}:${e.outcome}`)).toEqual([
      'instantiate:succeeded',
      'collect:succeeded',
      'grade:succeeded',
      'archive:succeeded',
    ]);

    await waitFor('the completed event', async () =>
      (await eventsOf(id)).some((e) => e['detail-type'] === 'lcm.session.completed.v1'),
    );
    await waitFor('the report event', async () =>
      (await eventsOf(id)).some((e) => e['detail-type'] === 'lcm.grading.score_report.published.v1'),
    );
    // The part's last write and the session's can be one transaction: their records (and events)
    // may be published in either order. Wait for the part's and the pod's last events too.
    await waitFor('the part and pod to announce their ends', async () => {
      const ev = await eventsOf(id);
      return (
        typesFor(ev, 'lcm.session_part.').includes('session_part.status_changed:archived') &&
        typesFor(ev, 'lcm.pod_instance.').includes('pod_instance.status_changed:terminated')
      );
    });
    const events = await eventsOf(id);
    expectNoDuplicates(events);
    // The documented order (docs/events.md, "A lablet, in order"), per resource.
    expect(typesFor(events, 'lcm.session.')).toEqual(COMPLETED_SESSION);
    expect(typesFor(events, 'lcm.session_part.')).toEqual([
      'session_part.status_changed:pending',
      'session_part.status_changed:instantiating',
      'session_part.phase_started:instantiate',
      'session_part.phase_completed:instantiate',
      'session_part.status_changed:waiting',
      'session_part.status_changed:collecting',
      'session_part.phase_started:collect',
      'session_part.phase_completed:collect',
      'session_part.status_changed:grading',
      'session_part.phase_started:grade',
      'session_part.phase_completed:grade',
      'session_part.status_changed:reviewing',
      'session_part.status_changed:submitting',
      'session_part.status_changed:archiving',
      'session_part.phase_started:archive',
      'session_part.phase_completed:archive',
      'session_part.status_changed:archived',
    ]);
    expect(typesFor(events, 'lcm.pod_instance.')).toEqual([
      'pod_instance.status_changed:pending',
      'pod_instance.status_changed:provisioning',
      'pod_instance.status_changed:ready',
      'pod_instance.status_changed:tearing_down',
      'pod_instance.status_changed:terminated',
    ]);
    expect(typesFor(events, 'lcm.grading.')).toEqual(['grading.score_report.published']);
    // Finding 10: the session's score_report_ref is set, the event carries it, and it names the
    // combined report's document, already written.
    const ref = (done.session as { score_report_ref?: string }).score_report_ref;
    expect(ref).toMatch(new RegExp(`^s3://[^/]+/reports/${id}/session\\.json$`));
    const pub = events.find((e) => e['detail-type'] === 'lcm.grading.score_report.published.v1')!;
    expect(pub.detail.data).toMatchObject({
      session_id: id,
      score_report_ref: ref,
      summary: { points_awarded: 100, points_max: 100 },
    });
    const [, docBucket, docKey] = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref!)!;
    const doc = await s3.send(new GetObjectCommand({ Bucket: docBucket, Key: docKey }));
    expect(JSON.parse(await doc.Body!.transformToString())).toMatchObject({
      points_awarded: 100,
      per_part: [{ order: 1, points_awarded: 100 }],
    });
  });

  it('an external grader (issue 15, finding 7): grading.completed and grading.failed reach the part’s report and the combined report, which is published again with its new reference', async () => {
    const tree = await schedule({
      fqn: 'Lablet CCNP ENCOR v1.1 LAB OSPF-101',
      timeslot: await slotIn(20 * M, 120 * M),
    });
    const id = tree.session.id;
    await until(id, 'the lab to be ready', (t) => t.parts[0]!.status === 'waiting');
    expect((await api('POST', `/v1/sessions/${id}/parts/1/end`, {})).status).toBe(202);
    type Graded = Tree & {
      session: Tree['session'] & { score_report_ref?: string };
      parts: (Part & {
        score_report?: { external?: { status: string; reason?: string; event_id: string } };
      })[];
    };
    const first = (await until(
      id,
      'completion with its report',
      (t) => ended(t) && !!(t as Graded).session.score_report_ref,
    )) as Graded;
    expect(first.session.status).toBe('completed');
    const published = async (n: number) =>
      (
        await waitFor(`score_report.published #${n}`, async () => {
          const ev = (await eventsOf(id)).filter(
            (e) => e['detail-type'] === 'lcm.grading.score_report.published.v1',
          );
          return ev.length >= n ? ev : undefined;
        })
      ).map((e) => e.detail.data as { score_report_ref: string; summary: { points_awarded: number } });
    expect((await published(1))[0]!.score_report_ref).toBe(first.session.score_report_ref);
    // Signed with the runtime's clock, as its graders sign. At ×600 the five minutes a timestamp
    // may be off are half a second of wall time, which one slow request on a busy machine can
    // pass: a delivery refused for its timestamp alone (401, nothing recorded) is signed afresh
    // and sent again, as a sender does; every other answer is the one asserted.
    const grader = async (type: string, data: Record<string, unknown>) => {
      for (let attempt = 1; ; attempt++) {
        const { headers, body } = signedDelivery(
          {
            specversion: '1.0',
            id: `grader-${type}-${id}`,
            source: 'grader.local',
            type,
            subject: `sessions/${id}/parts/1`,
            data,
          },
          { nowMs: await now() },
        );
        const r = await api<{ outcome: string; detail?: string }>('POST', '/v1/events', body, headers);
        if (r.status !== 401 || !/webhook-timestamp is more than/.test(String(r.body.detail)) || attempt >= 5)
          return r;
      }
    };
    // A report outside 0..max is refused by name and changes nothing.
    const bad = await grader('grader.grading.completed.v1', { points_awarded: 120, points_max: 100 });
    expect(bad.status).toBe(422);
    const ok = await grader('grader.grading.completed.v1', {
      points_awarded: 42,
      points_max: 100,
      report_ref: 's3://grader/r-1.json',
    });
    expect(ok).toMatchObject({ status: 202, body: { outcome: 'applied' } });
    const regraded = (await until(
      id,
      'the combined report revised and referenced again',
      (t) =>
        (t as Graded).session.score_report?.points_awarded === 42 && !!(t as Graded).session.score_report_ref,
    )) as Graded;
    expect(regraded.parts[0]!.score_report).toMatchObject({
      points_awarded: 42,
      points_max: 100,
      passed: false,
      external: { status: 'completed', source: 'grader.local', report_ref: 's3://grader/r-1.json' },
    });
    expect(regraded.session.score_report!.per_part[0]).toMatchObject({ order: 1, points_awarded: 42 });
    const second = await published(2);
    expect(second[1]).toMatchObject({
      score_report_ref: regraded.session.score_report_ref,
      summary: { points_awarded: 42 },
    });
    // The grader then reports a failure: recorded on the part and the combined report, points kept.
    expect((await grader('grader.grading.failed.v1', { reason: 'rubric engine crashed' })).body.outcome).toBe(
      'applied',
    );
    const failed = (await until(
      id,
      'the failure recorded',
      (t) =>
        (t as Graded).parts[0]!.score_report?.external?.status === 'failed' &&
        // The part's report changes first; the combined report follows it.
        (t.session.score_report?.per_part[0] as { external?: { status: string } } | undefined)?.external
          ?.status === 'failed' &&
        !!(t as Graded).session.score_report_ref,
    )) as Graded;
    expect(failed.parts[0]!.score_report).toMatchObject({
      points_awarded: 42,
      external: { status: 'failed', reason: 'rubric engine crashed' },
    });
    expect(failed.session.score_report!.per_part[0]).toMatchObject({ external: { status: 'failed' } });
    expect((await published(3)).map((e) => e.summary.points_awarded)).toEqual([100, 42, 42]);
    expect(typesFor(await eventsOf(id), 'lcm.grading.')).toEqual([
      'grading.score_report.published',
      'grading.score_report.published',
      'grading.score_report.published',
    ]);
    expect(await sessionEvents(id, 'lcm.session.completed.v1')).toEqual(COMPLETED_SESSION);
  });

  it('extend: bounded by the definition, announced, and the new end pushed to the lab delivery system', async () => {
    const tree = await schedule({
      fqn: 'Lablet CCNP ENCOR v1.1 LAB OSPF-101',
      timeslot: await slotIn(20 * M, 120 * M),
    });
    const id = tree.session.id;
    await until(id, 'the lab to be ready', (t) => t.parts[0]!.status === 'waiting');
    const end = Date.parse(tree.session.timeslot.end);
    const iso = (ms: number) => new Date(ms).toISOString();
    const far = await api<{ type: string; errors: { rule: string }[] }>('POST', `/v1/sessions/${id}/extend`, {
      end: '9999-12-31T00:00:00Z',
    });
    expect(far.status).toBe(422);
    expect(far.body.errors[0]!.rule).toBe('extend.max');
    // The lablet definition allows 30 minutes more: one minute past is refused, 30 accepted.
    expect((await api('POST', `/v1/sessions/${id}/extend`, { end: iso(end + 31 * M) })).status).toBe(422);
    expect((await api('POST', `/v1/sessions/${id}/extend`, { end: iso(end + 30 * M) })).status).toBe(202);
    const extended = await until(
      id,
      'the extension applied',
      (t) => t.session.timeslot.end === iso(end + 30 * M),
    );
    expect(extended.parts[0]!.timeslot.end).toBe(iso(end + 30 * M));
    type Lds = {
      sessions: {
        lds_session_id: string;
        external_ref: string;
        state: string;
        parts: Record<string, { ends_at: string; state: string }>;
      }[];
      calls: { method: string; path: string }[];
    };
    // The part's new end, in the session's one LDS session (D160).
    const lds = await waitFor('the LDS to see the new end', async () => {
      const l = (await api<Lds>('GET', '/local/lds')).body;
      const mine = l.sessions.find((x) => x.external_ref === id);
      return mine?.parts['1']?.ends_at === iso(end + 30 * M) ? { l, mine } : undefined;
    });
    expect(
      lds.l.calls.some(
        (c) => c.method === 'PATCH' && c.path === `/v1/sessions/${lds.mine.lds_session_id}/parts/1`,
      ),
    ).toBe(true);
    await api('POST', `/v1/sessions/${id}/parts/1/end`, {});
    await until(id, 'completion', ended);
    // The session's end released its LDS session.
    await waitFor(
      'the LDS session released',
      async () =>
        (await api<Lds>('GET', '/local/lds')).body.sessions.find((x) => x.external_ref === id)?.state ===
        'released',
    );
    expect(await sessionEvents(id, 'lcm.session.completed.v1')).toEqual([
      ...COMPLETED_SESSION.slice(0, 4),
      'session.extended',
      ...COMPLETED_SESSION.slice(4),
    ]);
  });

  it('pause and resume (issue 15, finding 5): a paused CCIE DOO part resumes with its deadline moved by exactly the pause; the LDS saw the pause, the resume and the extension', async () => {
    await sync('e2e-aidoo-1', 'ccie-ei-aidoo-1', {});
    await syncDoo();
    const tree = await schedule({
      session_type: 'CCIE-EI-Lab-Exam',
      timeslot: await slotIn(65 * M, 8 * H),
      parts: [{ order: 2, form: 'Exam CCIE EI v1.1 AI-DOO AIDOO-1' }],
    });
    const id = tree.session.id;
    type Paused = Part & {
      deadline?: string;
      paused?: { at: string; by: string };
      pauses?: { at: string; until: string; by: string; resumed_by: string }[];
    };
    const active = await until(id, 'DOO active', (t) => t.parts[0]!.status === 'waiting');
    const before = active.parts[0] as Paused;
    expect(before.deadline).toBeDefined();
    // A part that is not running cannot be paused; resuming a part that is not paused is refused.
    expect((await api('POST', `/v1/sessions/${id}/parts/2/pause`, {})).status).toBe(409);
    expect((await api('POST', `/v1/sessions/${id}/parts/1/resume`, {})).status).toBe(409);
    expect(
      (await api('POST', `/v1/sessions/${id}/parts/1/pause`, { reason: 'fire alarm in the test centre' }))
        .status,
    ).toBe(202);
    const paused = await until(id, 'DOO paused', (t) => !!(t.parts[0] as Paused).paused);
    expect((paused.parts[0] as Paused).paused).toMatchObject({ by: 'local-developer' });
    expect((await api('POST', `/v1/sessions/${id}/parts/1/resume`, {})).status).toBe(202);
    const resumed = await until(
      id,
      'DOO resumed',
      (t) => !(t.parts[0] as Paused).paused && !!(t.parts[0] as Paused).pauses?.length,
    );
    const doo = resumed.parts[0] as Paused;
    const [pause] = doo.pauses!;
    const pauseMs = Date.parse(pause!.until) - Date.parse(pause!.at);
    expect(pauseMs).toBeGreaterThan(0);
    expect(doo.status).toBe('waiting');
    // The clock stopped for exactly the pause: the deadline, the window, the later part and the
    // session's end all moved by it.
    expect(Date.parse(doo.deadline!) - Date.parse(before.deadline!)).toBe(pauseMs);
    expect(Date.parse(doo.timeslot.end) - Date.parse(before.timeslot.end)).toBe(pauseMs);
    expect(Date.parse(resumed.parts[1]!.timeslot.start) - Date.parse(tree.parts[1]!.timeslot.start)).toBe(
      pauseMs,
    );
    expect(Date.parse(resumed.session.timeslot.end) - Date.parse(tree.session.timeslot.end)).toBe(pauseMs);
    // The lab delivery system was told: pause, resume, then the new end of the DOO session.
    type Lds = {
      sessions: {
        lds_session_id: string;
        external_ref: string;
        parts: Record<string, { ends_at: string; state: string }>;
      }[];
      calls: { method: string; path: string }[];
    };
    const lds = await waitFor('the LDS to see the new end', async () => {
      const l = (await api<Lds>('GET', '/local/lds')).body;
      const mine = l.sessions.find((x) => x.external_ref === id);
      return mine?.parts['1']?.ends_at === doo.timeslot.end ? { l, mine } : undefined;
    });
    const mine = lds.l.calls
      .filter((c) => c.path.startsWith(`/v1/sessions/${lds.mine.lds_session_id}/parts/1`))
      .map((c) => `${c.method} ${c.path.replace(`/v1/sessions/${lds.mine.lds_session_id}`, '')}`);
    expect(mine.filter((c) => /pause|resume|PATCH/.test(c))).toEqual([
      'POST /parts/1/pause',
      'POST /parts/1/resume',
      'PATCH /parts/1',
    ]);
    expect(lds.mine.parts['1']!.state).not.toBe('paused');
    // Announced, in order: the part's pause and resume; the session's end moving.
    await waitFor('the resumed event', async () =>
      typesFor(await eventsOf(id), 'lcm.session_part.').includes('session_part.resumed'),
    );
    const ev = await eventsOf(id);
    const dooEvents = typesFor(
      ev.filter((e) => e.detail.subject === `sessions/${id}/parts/1`),
      'lcm.session_part.',
    );
    expect(dooEvents.slice(dooEvents.indexOf('session_part.status_changed:waiting'))).toEqual([
      'session_part.status_changed:waiting',
      'session_part.paused',
      'session_part.resumed',
    ]);
    const resumedEvent = ev.find((e) => e['detail-type'] === 'lcm.session_part.resumed.v1')!;
    expect(resumedEvent.detail.data).toMatchObject({
      part_order: 1,
      paused_ms: pauseMs,
      deadline: doo.deadline,
    });
    expect(await api('POST', `/v1/sessions/${id}/cancel`, {})).toMatchObject({ status: 202 });
    await until(id, 'the session to end', ended, 180_000);
    expect(await sessionEvents(id, 'lcm.session.cancelled.v1')).toEqual([
      ...endedSession(4, 'cancelled', 'cancelled').slice(0, 4),
      'session.extended',
      ...endedSession(4, 'cancelled', 'cancelled').slice(4),
    ]);
    expectNoDuplicates(await eventsOf(id));
  });

  it('the lab delivery system in depth (issue 15, finding 6): one LDS session across the parts, the web-only DES included; devices per part; its events correlated by lds_session_id; released at the end', async () => {
    await sync('e2e-aidoo-1', 'ccie-ei-aidoo-1', {});
    await syncDoo();
    const tree = await schedule({
      session_type: 'CCIE-EI-Exam-With-Design',
      timeslot: await slotIn(10 * M, 8 * H),
      parts: [
        { order: 2, form: 'Exam CCIE EI v1.1 DOO DOO-1' },
        { order: 3, form: 'Exam CCIE EI v1.1 AI-DOO AIDOO-1' },
      ],
    });
    const id = tree.session.id;
    await until(id, 'admitting', (t) => t.session.status === 'admitting');
    expect((await api('POST', `/v1/sessions/${id}/admit`, {})).status).toBe(202);
    type Registered = Part & { lds_session_id?: string; launch_url?: string; candidate_started_at?: string };
    type LdsPart = {
      order: number;
      kind: string;
      devices: { host: string; port: number }[];
      state: string;
      launch_url: string;
      ends_at: string;
    };
    type LdsView = {
      sessions: {
        lds_session_id: string;
        external_ref: string;
        state: string;
        parts: Record<string, LdsPart>;
      }[];
    };
    const ldsOf = async () =>
      (await api<LdsView>('GET', '/local/lds')).body.sessions.filter((x) => x.external_ref === id);
    const act = (what: string, extra: Record<string, unknown>) =>
      api<{ status: number; body: { outcome: string } }>('POST', '/local/lds/act', { what, ...extra });

    // The web-only DES (no pod) is registered when it opens: its launch URL, no devices.
    const des = await until(id, 'DES open and registered', (t) => !!(t.parts[0] as Registered).launch_url);
    const ldsId = (des.parts[0] as Registered).lds_session_id!;
    expect(des.pods.map((p) => p.part_order).sort()).toEqual([2, 3]);
    // The DOO pod provisioned early and registered in the same LDS session.
    const doo0 = await until(id, 'DOO registered', (t) => !!(t.parts[1] as Registered).launch_url);
    expect((doo0.parts[1] as Registered).lds_session_id).toBe(ldsId);
    const [mine] = await ldsOf();
    expect(await ldsOf()).toHaveLength(1);
    expect(mine!.lds_session_id).toBe(ldsId);
    expect(mine!.parts['1']).toMatchObject({
      kind: 'web',
      devices: [],
      launch_url: (des.parts[0] as Registered).launch_url,
    });
    expect(mine!.parts['2']).toMatchObject({
      kind: 'lab',
      launch_url: (doo0.parts[1] as Registered).launch_url,
    });
    expect(mine!.parts['2']!.devices.length).toBeGreaterThan(0);
    expect(mine!.parts['2']!.launch_url).not.toBe(mine!.parts['1']!.launch_url);

    // The candidate starts and ends DES at the LDS: its events name only the LDS session.
    expect((await act('running', { lds_session_id: ldsId })).body).toMatchObject({
      body: { outcome: 'applied' },
    });
    await until(id, 'DES monitored', (t) => t.parts[0]!.status === 'monitoring');
    expect((await act('ended', { lds_session_id: ldsId })).body).toMatchObject({
      body: { outcome: 'applied' },
    });
    const doo = await until(id, 'DOO open', (t) => t.parts[1]!.status === 'waiting', 180_000);
    expect(doo.parts[0]!.status).toBe('archived');
    expect((await ldsOf())[0]!.parts['1']!.state).toBe('released');
    // Pause and resume of DOO at the LDS, by its session and part.
    expect(
      (await act('paused', { lds_session_id: ldsId, part_order: 2, reason: 'candidate unwell' })).body,
    ).toMatchObject({
      body: { outcome: 'applied' },
    });
    await until(id, 'DOO paused', (t) => !!(t.parts[1] as Part & { paused?: object }).paused);
    expect((await act('resumed', { lds_session_id: ldsId, part_order: 2 })).body).toMatchObject({
      body: { outcome: 'applied' },
    });
    const resumed = await until(
      id,
      'DOO resumed',
      (t) => !!(t.parts[1] as Part & { pauses?: object[] }).pauses?.length,
    );
    const doo2 = resumed.parts[1] as Part & {
      pauses: { at: string; until: string; by: string }[];
      deadline: string;
    };
    expect(doo2.pauses[0]!.by).toBe('lds.local');
    // The LDS learns the part's new end (it asked for the pause itself: no echo of it).
    await waitFor("the LDS to see DOO's new end", async () =>
      (await ldsOf())[0]!.parts['2']!.ends_at === doo2.timeslot.end ? true : undefined,
    );
    expect(Date.parse(doo2.timeslot.end) - Date.parse(doo.parts[1]!.timeslot.end)).toBe(
      Date.parse(doo2.pauses[0]!.until) - Date.parse(doo2.pauses[0]!.at),
    );
    // The session's end releases the one LDS session.
    expect((await api('POST', `/v1/sessions/${id}/cancel`, {})).status).toBe(202);
    await until(id, 'the session to end', ended, 180_000);
    const released = await waitFor('the LDS session released', async () => {
      const [l] = await ldsOf();
      return l?.state === 'released' ? l : undefined;
    });
    expect(Object.values(released.parts).every((p) => p.state === 'released')).toBe(true);
    expect(await sessionEvents(id, 'lcm.session.cancelled.v1')).toEqual([
      ...endedSession(4, 'cancelled', 'cancelled').slice(0, 3),
      'session.admitted',
      ...endedSession(4, 'cancelled', 'cancelled').slice(3, 4),
      'session.extended',
      ...endedSession(4, 'cancelled', 'cancelled').slice(4),
    ]);
    const part2 = typesFor(
      (await eventsOf(id)).filter((e) => e.detail.subject === `sessions/${id}/parts/2`),
      'lcm.session_part.',
    );
    expect(
      part2.slice(
        part2.indexOf('session_part.status_changed:waiting'),
        part2.indexOf('session_part.status_changed:waiting') + 3,
      ),
    ).toEqual(['session_part.status_changed:waiting', 'session_part.paused', 'session_part.resumed']);
    expectNoDuplicates(await eventsOf(id));
  });

  it('the proctor admission gate (issue 15, finding 9): no part opens before a proctor admits; then the session runs', async () => {
    const tree = await schedule({
      session_type: 'CCIE-EI-Exam-With-Design',
      timeslot: await slotIn(10 * M, 8 * H),
    });
    const id = tree.session.id;
    type Admitted = Tree & { session: Tree['session'] & { admitted?: { at: string; by: string } } };
    const start = Date.parse(tree.session.timeslot.start);
    await waitFor('ten minutes past the start', async () => (await now()) >= start + 10 * M, 180_000);
    const held = await read(id);
    expect(held.session.status).toBe('admitting');
    expect(held.parts.every((p) => !p.activated_at)).toBe(true);
    expect((await api('POST', `/v1/sessions/${id}/admit`, {})).status).toBe(202);
    const running = (await until(
      id,
      'the first part to open',
      (t) => t.session.status === 'running' && !!t.parts[0]!.activated_at,
    )) as Admitted;
    expect(running.session.admitted).toMatchObject({ by: 'local-developer' });
    expect(Date.parse(running.parts[0]!.activated_at!)).toBeGreaterThanOrEqual(
      Date.parse(running.session.admitted!.at),
    );
    expect(Date.parse(running.session.admitted!.at)).toBeGreaterThanOrEqual(start + 10 * M);
    // Admitting twice changes nothing; a session without the gate refuses admission.
    expect((await api('POST', `/v1/sessions/${id}/admit`, {})).status).toBe(202);
    expect(((await read(id)) as Admitted).session.admitted).toEqual(running.session.admitted);
    const ungated = await schedule({
      fqn: 'Lablet CCNP ENCOR v1.1 LAB OSPF-101',
      timeslot: await slotIn(20 * M, 120 * M),
    });
    expect((await api('POST', `/v1/sessions/${ungated.session.id}/admit`, {})).status).toBe(409);
    await api('POST', `/v1/sessions/${ungated.session.id}/cancel`, {});
    expect((await api('POST', `/v1/sessions/${id}/cancel`, {})).status).toBe(202);
    await until(id, 'the session to end', ended, 180_000);
    expect(await sessionEvents(id, 'lcm.session.cancelled.v1')).toEqual([
      ...endedSession(4, 'cancelled', 'cancelled').slice(0, 3),
      'session.admitted',
      ...endedSession(4, 'cancelled', 'cancelled').slice(3),
    ]);
    expectNoDuplicates(await eventsOf(id));
  });

  it('the CCIE lab exam: the DOO pod provisions before its window while nothing else is active; AI-DOO activates only after DOO settles; one combined report', async () => {
    await sync('e2e-aidoo-1', 'ccie-ei-aidoo-1', {});
    // The seeded DOO content: two routers graded over SSH (seeds/content/doo-bgp).
    await syncDoo();
    const tree = await schedule({
      session_type: 'CCIE-EI-Lab-Exam',
      timeslot: await slotIn(70 * M, 8 * H),
      parts: [
        { order: 1, form: 'Exam CCIE EI v1.1 DOO DOO-1' },
        { order: 2, form: 'Exam CCIE EI v1.1 AI-DOO AIDOO-1' },
      ],
    });
    const id = tree.session.id;
    const [dooWindow, aiWindow] = tree.parts.map((p) => p.timeslot);
    // Eager provisioning: the DOO pod is ready before the DOO window opens, with AI-DOO untouched.
    const early = await until(
      id,
      'the DOO pod to be ready',
      (t) => t.pods.find((p) => p.part_order === 1)!.status === 'ready',
    );
    const dooReadyAt = early.pods
      .find((p) => p.part_order === 1)!
      .state_history.find((h) => h.to === 'ready')!.at;
    expect(Date.parse(dooReadyAt)).toBeLessThan(Date.parse(dooWindow!.start));
    expect(early.parts.map((p) => p.status)).toEqual(['instantiating', 'pending']);
    expect(early.pods.find((p) => p.part_order === 2)!.status).toBe('pending');

    await until(id, 'DOO to be active', (t) => t.parts[0]!.status === 'waiting');
    expect((await api('POST', `/v1/sessions/${id}/parts/1/end`, {})).status).toBe(202);
    const aiWaiting = await until(
      id,
      'AI-DOO to be active',
      (t) => t.parts[1]!.status === 'waiting',
      180_000,
    );
    const dooSettledAt = Date.parse((aiWaiting.parts[0] as Part & { ended_at: string }).ended_at);
    expect(aiWaiting.parts[0]!.status).toBe('archived');
    // The gate: AI-DOO activates when DOO has settled and its own pods are ready — and never
    // before its planned window, though DOO ended early (issue 15, finding 2).
    const aiActiveAt = Date.parse(aiWaiting.parts[1]!.state_history!.find((h) => h.to === 'waiting')!.at);
    const aiReadyAt = aiWaiting.pods
      .find((p) => p.part_order === 2)!
      .state_history.find((h) => h.to === 'ready')!.at;
    expect(Date.parse(aiWaiting.parts[1]!.activated_at!)).toBeGreaterThanOrEqual(dooSettledAt);
    expect(aiActiveAt).toBeGreaterThanOrEqual(dooSettledAt);
    expect(aiActiveAt).toBeGreaterThanOrEqual(Date.parse(aiReadyAt));
    expect(aiActiveAt).toBeGreaterThanOrEqual(Date.parse(aiWindow!.start));
    expect(Date.parse(aiWaiting.parts[1]!.activated_at!)).toBeGreaterThanOrEqual(Date.parse(aiWindow!.start));
    expect((await api('POST', `/v1/sessions/${id}/parts/2/end`, {})).status).toBe(202);
    const done = await until(id, 'completion', ended, 180_000);
    expect(done.session.status).toBe('completed');
    expect(done.session.score_report!.per_part.map((p) => [p.order, p.status, p.points_awarded])).toEqual([
      [1, 'archived', 20],
      [2, 'archived', 100],
    ]);
    // The DOO part was graded over SSH, item by item.
    expect(done.parts[0]!.score_report).toMatchObject({ points_awarded: 20, points_max: 20 });
    expect(done.parts[0]!.score_report!.per_item!.map((i) => [i.id, i.passed])).toEqual([
      ['core01-bgp', true],
      ['core02-bgp', true],
    ]);
    expect(done.pods.map((p) => p.status)).toEqual(['terminated', 'terminated']);
    await waitFor('one report event', async () =>
      (await eventsOf(id)).some((e) => e['detail-type'].includes('score_report')),
    );
    const events = await eventsOf(id);
    expectNoDuplicates(events);
    expect(events.filter((e) => e['detail-type'].includes('score_report'))).toHaveLength(1);
    expect(await sessionEvents(id, 'lcm.session.completed.v1')).toEqual(COMPLETED_SESSION);
  });

  it('the CCDE design exam: four sequential web-only parts, no pods; COR-4 reviewed two hours after the cleanup deadline; one report over the four', async () => {
    const tree = await schedule({
      session_type: 'CCDE-Design-Exam',
      timeslot: await slotIn(15 * M, 8 * H),
    });
    const id = tree.session.id;
    expect(tree.parts).toHaveLength(4);
    expect(tree.pods).toEqual([]);
    // The candidate finishes each part early; the next one opens when the previous settles.
    // The last part is reviewed by hand (the definition says `review: manual`): it waits in
    // `reviewing` until a reviewer decides.
    const endedParts = new Set<number>();
    const activeTogether: number[] = [];
    const reviewing = await until(
      id,
      'the last part to await its review',
      (t) => {
        activeTogether.push(t.parts.filter((p) => ['waiting', 'monitoring'].includes(p.status)).length);
        for (const p of t.parts)
          if (p.status === 'waiting' && !endedParts.has(p.order)) {
            endedParts.add(p.order);
            void api('POST', `/v1/sessions/${id}/parts/${p.order}/end`, {});
          }
        return t.parts[3]!.status === 'reviewing' || ended(t);
      },
      180_000,
    );
    expect(reviewing.parts.map((p) => p.status)).toEqual(['archived', 'archived', 'archived', 'reviewing']);
    // A review decision for a part that is not reviewing is refused, and changes nothing.
    const early = await api<{ type: string }>('POST', `/v1/sessions/${id}/parts/1/review`, {
      decision: 'accept',
    });
    expect(early.status).toBe(409);
    // Reviewers find what waits for them (by session type, by age).
    type Reviews = { items: { session_id: string; part_order: number; escalated: boolean }[] };
    const awaiting = await waitFor('the review to be listed', async () => {
      const l = await api<Reviews>(
        'GET',
        '/v1/reviews?status=awaiting&session_type=CCDE-Design-Exam&limit=100',
      );
      return l.body.items.find((r) => r.session_id === id);
    });
    expect(awaiting).toMatchObject({ part_order: 4, escalated: false });
    const old = await api<Reviews>('GET', '/v1/reviews?status=awaiting&older_than_minutes=525600&limit=100');
    expect(old.status).toBe(200);
    expect(old.body.items.map((r) => r.session_id)).not.toContain(id);
    const other = await api<Reviews>('GET', '/v1/reviews?status=awaiting&session_type=lablet&limit=100');
    expect(other.body.items.map((r) => r.session_id)).not.toContain(id);
    // The reviewer decides two hours after the cleanup deadline: the review held the session open.
    const cleanup = Date.parse(tree.session.timeslot.end) + 10 * M;
    await waitFor(
      'two hours past the cleanup deadline',
      async () => (await now()) >= cleanup + 2 * H,
      240_000,
    );
    const held = await read(id);
    expect(held.session.status).toBe('running');
    expect(held.parts[3]).toMatchObject({
      status: 'reviewing',
      score_report: { points_max: expect.any(Number) },
    });
    expect(
      (
        await api('POST', `/v1/sessions/${id}/parts/4/review`, {
          decision: 'accept',
          comment: 'sound design',
        })
      ).status,
    ).toBe(202);
    const done = await until(id, 'completion', ended, 180_000);
    expect(done.session.status).toBe('completed');
    expect(done.parts.map((p) => p.status)).toEqual(['archived', 'archived', 'archived', 'archived']);
    expect(done.parts[3]!.score_report).toMatchObject({
      review: { decision: 'accept', comment: 'sound design', by: 'local-developer' },
    });
    expect((done.parts[3] as Part & { review_decision: { by: string } }).review_decision.by).toBe(
      'local-developer',
    );
    const decided = await waitFor('the review_decided event', async () =>
      (await eventsOf(id)).find((e) => e['detail-type'] === 'lcm.session_part.review_decided.v1'),
    );
    expect(decided.detail.data).toMatchObject({ part_order: 4, decision: 'accept', by: 'local-developer' });
    await waitFor('part 4 archived on the bus', async () =>
      typesFor(await eventsOf(id), 'lcm.session_part.').includes('session_part.status_changed:archived'),
    );
    const part4 = (await eventsOf(id)).filter((e) => e.detail.subject === `sessions/${id}/parts/4`);
    expect(typesFor(part4, 'lcm.session_part.').slice(-5)).toEqual([
      'session_part.status_changed:reviewing',
      'session_part.review_decided',
      'session_part.status_changed:submitting',
      'session_part.status_changed:archiving',
      'session_part.status_changed:archived',
    ]);
    expect(Math.max(...activeTogether)).toBeLessThanOrEqual(1);
    expect(done.session.score_report!.per_part.map((p) => p.order)).toEqual([1, 2, 3, 4]);
    // The lab delivery system saw one session with the four web-only parts, each with its launch
    // URL, and released it at the end (issue 15, finding 6; D160).
    type Lds = {
      sessions: {
        external_ref: string;
        state: string;
        parts: Record<string, { kind: string; devices: unknown[]; launch_url: string }>;
      }[];
    };
    const ldsSession = await waitFor('the LDS session released', async () => {
      const l = (await api<Lds>('GET', '/local/lds')).body.sessions.filter((x) => x.external_ref === id);
      return l.length === 1 && l[0]!.state === 'released' ? l[0]! : undefined;
    });
    expect(Object.keys(ldsSession.parts)).toEqual(['1', '2', '3', '4']);
    for (const p of done.parts as (Part & { launch_url?: string })[]) {
      expect(p.launch_url).toMatch(/\/launch\//);
      expect(ldsSession.parts[String(p.order)]).toMatchObject({
        kind: 'web',
        devices: [],
        launch_url: p.launch_url,
      });
    }
    // Each part opened only after the previous one settled.
    const at = (p: Part, to: string) => Date.parse(p.state_history!.find((h) => h.to === to)!.at);
    for (let i = 1; i < 4; i++)
      expect(at(done.parts[i]!, 'waiting')).toBeGreaterThanOrEqual(at(done.parts[i - 1]!, 'archived'));
    expect(await sessionEvents(id, 'lcm.session.completed.v1')).toEqual(COMPLETED_SESSION);
    expectNoDuplicates(await eventsOf(id));
  });

  it('an undecided review past its deadline is escalated once, never dropped (issue 15, finding 1): the CCDE COR-4 review waits 48 hours, is escalated, then decided', async () => {
    const tree = await schedule({
      session_type: 'CCDE-Design-Exam',
      timeslot: await slotIn(15 * M, 8 * H),
    });
    const id = tree.session.id;
    const endedParts = new Set<number>();
    const reviewing = await until(
      id,
      'the last part to await its review',
      (t) => {
        for (const p of t.parts)
          if (p.status === 'waiting' && !endedParts.has(p.order)) {
            endedParts.add(p.order);
            void api('POST', `/v1/sessions/${id}/parts/${p.order}/end`, {});
          }
        return t.parts[3]!.status === 'reviewing' || ended(t);
      },
      180_000,
    );
    type Review = Part & { review_due?: string; review_escalated?: { at: string; reason: string } };
    const due = (reviewing.parts[3] as Review).review_due!;
    const since = Date.parse(reviewing.parts[3]!.state_history!.findLast((h) => h.to === 'reviewing')!.at);
    // The definition's review_deadline_minutes (2880) from entering `reviewing`.
    expect(Date.parse(due) - since).toBe(2880 * M);
    // The controllable clock: straight past the review deadline.
    const gap = Date.parse(due) - (await now());
    if (gap > 0) expect((await api('POST', '/local/clock/advance', { ms: gap + M })).status).toBe(200);
    const escalated = await until(
      id,
      'the review escalated',
      (t) => !!(t.parts[3] as Review).review_escalated,
    );
    expect(escalated.session.status).toBe('running');
    expect(escalated.parts[3]).toMatchObject({
      status: 'reviewing',
      review_escalated: { reason: 'review deadline passed' },
      score_report: { points_max: expect.any(Number) },
    });
    type Reviews = { items: { session_id: string; part_order: number; escalated: boolean }[] };
    const listed = await waitFor('the review listed as escalated', async () =>
      (
        await api<Reviews>('GET', '/v1/reviews?status=awaiting&session_type=CCDE-Design-Exam&limit=100')
      ).body.items.find((r) => r.session_id === id && r.escalated),
    );
    expect(listed.part_order).toBe(4);
    expect((await api('POST', `/v1/sessions/${id}/parts/4/review`, { decision: 'accept' })).status).toBe(202);
    const done = await until(id, 'completion', ended, 180_000);
    expect(done.session.status).toBe('completed');
    expect(done.session.score_report!.per_part.map((p) => p.order)).toEqual([1, 2, 3, 4]);
    await waitFor('part 4 archived on the bus', async () =>
      typesFor(await eventsOf(id), 'lcm.session_part.').includes('session_part.status_changed:archived'),
    );
    const part4 = (await eventsOf(id)).filter((e) => e.detail.subject === `sessions/${id}/parts/4`);
    expect(typesFor(part4, 'lcm.session_part.').slice(-6)).toEqual([
      'session_part.status_changed:reviewing',
      'session_part.review_escalated',
      'session_part.review_decided',
      'session_part.status_changed:submitting',
      'session_part.status_changed:archiving',
      'session_part.status_changed:archived',
    ]);
    const esc = part4.find((e) => e['detail-type'] === 'lcm.session_part.review_escalated.v1')!;
    expect(esc.detail.data).toMatchObject({
      part_order: 4,
      reason: 'review deadline passed',
      review_due: due,
    });
    expect(await sessionEvents(id, 'lcm.session.completed.v1')).toEqual(COMPLETED_SESSION);
    expectNoDuplicates(await eventsOf(id));
  });

  it('a part whose phase fails after its retries fails alone: the session completes with the other part', async () => {
    await sync('e2e-aidoo-2-broken', 'ccie-ei-aidoo-2', BROKEN_GRADE);
    const id = await ccieUntilAiDooActive('Exam CCIE EI v1.1 AI-DOO AIDOO-2');
    await api('POST', `/v1/sessions/${id}/parts/2/end`, {});
    const done = await until(id, 'the session to end', ended, 180_000);
    expect(done.session.status).toBe('completed');
    expect(done.parts.map((p) => p.status)).toEqual(['archived', 'failed']);
    expect(done.parts[1]!.failure).toMatchObject({ phase: 'grade' });
    const grades = [...(done.parts[1]!.phase_log ?? []), done.parts[1]!.phase_execution!].filter(
      (e) => e.phase === 'grade',
    );
    expect(grades.length).toBeGreaterThan(0);
    expect(grades.every((g) => g.outcome === 'failed')).toBe(true);
    expect(done.pods.map((p) => p.status)).toEqual(['terminated', 'terminated']);
    const events = await eventsOf(id);
    expect(
      events.some(
        (e) => e['detail-type'] === 'lcm.session_part.phase_failed.v1' && e.detail.data.phase === 'grade',
      ),
    ).toBe(true);
    expect(events.some((e) => e['detail-type'] === 'lcm.session.escalated.v1')).toBe(false);
    expect(await sessionEvents(id, 'lcm.session.completed.v1')).toEqual(COMPLETED_SESSION);
  });

  it('placement asks for the pod definition’s host type (issue 15, finding 8): content declaring host_type vmware is never placed on a CML worker, and the part fails saying why', async () => {
    // AUTO-L05's content, declared for VMware hosts: the local fleet runs CML workers only. Before
    // D77 the worker's host type was compared with the pod *type* (cml_on_aws) and it was placed.
    const manifest = `format_version: PAv1
name: e2e-auto5-vmware
version: 1.0.${Date.now() % 1000}
content_id: lablet-auto-5
pod_type: cml_on_aws
host_type: vmware
license: enterprise
description: e2e variant of the OSPF lablet that asks for a VMware host
jobs_used: [post_init@v1, grade@v1]
`;
    const pd = await sync('e2e-auto5-vmware', 'lablet-auto-5', { 'PAv1/manifest.yaml': manifest });
    const def = await api<{ host_type: string; pod_type: string }>('GET', `/v1/pod-definitions/${pd}`);
    expect(def.body).toMatchObject({ host_type: 'vmware', pod_type: 'cml_on_aws' });
    const tree = await schedule({
      fqn: 'Lablet CCNP AUTO v1.1 LAB AUTO-L05',
      timeslot: await slotIn(20 * M, 120 * M),
    });
    const id = tree.session.id;
    const done = await until(
      id,
      'the part to fail',
      (t) => t.parts[0]!.status === 'failed' || ended(t),
      240_000,
    );
    expect(done.parts[0]!.status).toBe('failed');
    expect(done.parts[0]!.failure).toMatchObject({ phase: 'instantiate' });
    expect(JSON.stringify(done.parts[0]!.failure)).toMatch(/host type cml_on_aws cannot run vmware/);
    expect(done.pods[0]!.host_id).toBeUndefined();
    const over = await until(id, 'the session to end', ended, 180_000);
    expect(over.session.status).toBe('failed');
    expect(await sessionEvents(id, 'lcm.session.escalated.v1')).toEqual(
      endedSession(5, 'failed', 'escalated'),
    );
  });

  it('every part failing: the session ends failed, with an escalation event', async () => {
    // ENARSI-L03, not EIGRP-201: the sessions suite relies on EIGRP-201's content never being synced.
    await sync('e2e-enarsi3-broken', 'lablet-enarsi-3', BROKEN_GRADE);
    const tree = await schedule({
      fqn: 'Lablet CCNP ENARSI v1.1 LAB ENARSI-L03',
      timeslot: await slotIn(20 * M, 120 * M),
    });
    const id = tree.session.id;
    await until(id, 'the lab to be ready', (t) => t.parts[0]!.status === 'waiting');
    await api('POST', `/v1/sessions/${id}/parts/1/end`, {});
    const done = await until(id, 'the session to end', ended);
    expect(done.session.status).toBe('failed');
    expect(done.session.escalation).toMatchObject({ failed_parts: [1] });
    expect(done.pods.map((p) => p.status)).toEqual(['terminated']);
    expect(await sessionEvents(id, 'lcm.session.escalated.v1')).toEqual(
      endedSession(5, 'failed', 'escalated'),
    );
    expectNoDuplicates(await eventsOf(id));
  });

  it('cancel mid-run: the running part pod is torn down, the settled part keeps its result', async () => {
    const id = await ccieUntilAiDooActive('Exam CCIE EI v1.1 AI-DOO AIDOO-1');
    expect((await api('POST', `/v1/sessions/${id}/cancel`, { reason: 'candidate withdrew' })).status).toBe(
      202,
    );
    const done = await until(id, 'the session to end', ended, 180_000);
    expect(done.session.status).toBe('cancelled');
    expect(done.parts[0]).toMatchObject({ status: 'archived', score_report: { points_max: 0 } });
    expect(done.parts[1]!.status).toBe('cancelled');
    expect(done.pods.map((p) => p.status)).toEqual(['terminated', 'terminated']);
    expect(await sessionEvents(id, 'lcm.session.cancelled.v1')).toEqual(
      endedSession(4, 'cancelled', 'cancelled'),
    );
    expectNoDuplicates(await eventsOf(id));
  });

  it('the cleanup deadline passing with work outstanding: nothing survives it', async () => {
    await sync('e2e-encor2-hang', 'lablet-encor-2', HANGING_SETUP);
    // A twenty-minute slot for a 120-minute part: the explicit window says so (issue 15: without
    // it the slot is refused, the part is never shrunk silently).
    const timeslot = await slotIn(16 * M, 20 * M);
    const tree = await schedule({
      fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L02',
      timeslot,
      parts: [{ order: 1, window: timeslot }],
    });
    const id = tree.session.id;
    await until(id, 'the part to be instantiating', (t) => t.parts[0]!.status === 'instantiating');
    // The setup job runs all along, so the clock runs at its busy rate: 45 virtual minutes.
    const done = await until(id, 'the cleanup deadline', ended, 240_000);
    // Still instantiating when the deadline came (a two-hour setup job in a twenty-minute slot):
    // the deadline cut it short, and with no part archived the session failed and escalated.
    expect(done.session.status).toBe('failed');
    expect(done.session.escalation).toBeDefined();
    const history = done.parts[0]!.state_history!;
    expect(history.at(-2)!.to).toBe('instantiating');
    expect(['failed', 'cancelled']).toContain(done.parts[0]!.status);
    expect(JSON.stringify(history.at(-1))).toMatch(/cleanup deadline/i);
    expect(done.pods.every((p) => p.status === 'terminated')).toBe(true);
    expect(await sessionEvents(id, 'lcm.session.escalated.v1')).toEqual(
      endedSession(4, 'failed', 'escalated'),
    );
    expectNoDuplicates(await eventsOf(id));
    // Time passes: nothing comes back to life after the deadline.
    const later = await until(id, 'a quiet while later', () => true);
    await new Promise((r) => setTimeout(r, 1500));
    const again = await read(id);
    expect(again.session.status).toBe(done.session.status);
    expect(again.pods.map((p) => p.status)).toEqual(later.pods.map((p) => p.status));
  });
});

/** A grade job that always fails (an invalid regular expression), with the phase retried once. */
const BROKEN_GRADE: Record<string, string> = {
  // The sample grade job with one more step that cannot succeed.
  'PAv1/jobs/grade.yaml':
    readFileSync(
      new URL('../../seeds/content/lablet-ospf-basics/PAv1/jobs/grade.yaml', import.meta.url),
      'utf8',
    ) + '    - { id: broken, uses: evaluate.regex@v1, with: { source: "x", regex: "(" }, stage: evaluate }\n',
  'PAv1/lifecycle.yaml': `kind: Lifecycle
spec:
  phases:
    - name: instantiate
      native_steps_by_pod_type:
        cml_on_aws: [lab_resolve, ports_alloc, tags_sync, lab_start, lds_register, mark_ready]
    - name: collect
    - name: grade
      jobs:
        - { definition: grade@v1, process_type: Grading, rubric: rubric }
      retry: { max_attempts: 2, backoff_seconds: 1 }
    - name: archive
      native_steps_by_pod_type:
        cml_on_aws: [lab_stop, lab_wipe, archive, ports_release, lds_release]
`,
};

/** Setup that outlives the session: a two-hour job on Fargate (heartbeating) in instantiate. */
const HANGING_SETUP: Record<string, string> = {
  'PAv1/jobs/post_init.yaml': `kind: JobDefinition
metadata: { name: post_init, version: v1 }
spec:
  process_type: Initialization
  steps:
    - { id: forever, uses: pause@v1, with: { seconds: 3500 }, timeout: 3600 }
    - { id: again, uses: pause@v1, with: { seconds: 3500 }, timeout: 3600 }
`,
  'PAv1/lifecycle.yaml': `kind: Lifecycle
spec:
  phases:
    - name: instantiate
      native_steps_by_pod_type:
        cml_on_aws: [lab_resolve, ports_alloc, tags_sync, lab_start, lds_register, mark_ready]
      jobs:
        - { definition: post_init@v1, process_type: Initialization, runtime: fargate }
      timeout_seconds: 86400
    - name: grade
      jobs:
        - { definition: grade@v1, process_type: Grading, rubric: rubric }
    - name: archive
      native_steps_by_pod_type:
        cml_on_aws: [lab_stop, lab_wipe, archive, ports_release, lds_release]
`,
};
