/**
 * The bill per session, counted: lablets (and one CCIE lab exam) driven through the whole local
 * runtime on a stepped clock (test/helpers/lablet-fleet.ts), with the runtime's bill counts
 * (`rt.bill()`: Step Functions transitions, Lambda invocations and billed milliseconds, bus
 * entries, task seconds, DynamoDB capacity units through the meter) taken before and after.
 * The cost benchmark (test/bench/cost.bench.ts) prices them; the budget test
 * (test/integration/local/session-budget.test.ts) holds the counts to their recorded budget.
 */
import type { BillCounts, LocalRuntime } from '../../infra/local/runtime.ts';
import { putContent } from '../../infra/local/sample-content.ts';
import { samplePackage } from '../unit/content/packages.ts';
import { call, driveLablets, type Fleet, type FleetTree } from './lablet-fleet.ts';

/** The handler the driver polls (GET /v1/sessions); its invocations are counted by hand. */
const API = 'sessions-api';

export interface PerSession {
  sessions: number;
  ended: string[];
  sfnExecutions: number;
  sfnTransitions: number;
  sfnRetries: number;
  /** Every handler invocation except the driver's polling, plus the session's own API calls. */
  lambdaInvocations: number;
  lambdaByFunction: Record<string, number>;
  /**
   * Invocations that follow from the session itself and do not depend on timing: all but the
   * stream dispatcher (one per batch of records; a busy machine batches more) and the scheduled
   * ticks (one per minute of time, whatever the number of sessions).
   */
  eventDrivenInvocations: number;
  streamBatches: number;
  scheduleTicks: number;
  /** Declared memory × billed duration, the driver's polling excluded. Wall time: noisy under load. */
  lambdaGbSeconds: number;
  /** DynamoDB write requests (a transaction is one), items written, and write units. */
  writeRequests: number;
  itemWrites: number;
  itemWritesByTable: Record<string, number>;
  transactions: number;
  writeUnits: number;
  writeUnitsByTable: Record<string, number>;
  indexWriteUnits: number;
  refusedWrites: number;
  /** Read units, the driver's polling included (reads are not in the goal; shown, not priced). */
  readUnits: number;
  /** DynamoDB requests per operation (the driver's polling included; stream reads not metered). */
  dynamoOperations: Record<string, number>;
  /** Whole items written per kind (`<table>/<entity>`), their bytes, and bytes per attribute (`<kind>.<name>`). */
  itemsByKind: Record<string, number>;
  itemBytesByKind: Record<string, number>;
  attributeBytes: Record<string, number>;
  /** Custom events by detail-type (per session). */
  eventTypes: Record<string, number>;
  eventEntries: number;
  eventChunks: number;
  eventBytes: number;
  taskSeconds: number;
  taskVcpuSeconds: number;
  taskGbSeconds: number;
}

const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);
const diff = (a: Record<string, number> = {}, b: Record<string, number> = {}) => {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
};

/** `after − before`, per session; `apiCalls` is how many sessions-api calls the sessions made. */
export function perSession(
  before: BillCounts,
  after: BillCounts,
  sessions: number,
  apiCalls: number,
  ended: string[],
  eventTypes: Record<string, number> = {},
): PerSession {
  const inv = diff(after.lambda.invocations, before.lambda.invocations);
  const gb = diff(after.lambda.gbSeconds, before.lambda.gbSeconds);
  // The API's invocations are the driver's polling plus the session's own calls: count the
  // latter by hand, and its GB-seconds at the API's mean per call.
  const apiMeanGb = (gb[API] ?? 0) / Math.max(1, inv[API] ?? 0);
  delete inv[API];
  delete gb[API];
  inv[API] = apiCalls;
  const wu = diff(after.dynamodb?.writeUnits, before.dynamodb?.writeUnits);
  const per = (n: number) => n / sessions;
  const perKey = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, per(v)]));
  return {
    sessions,
    ended,
    sfnExecutions: per(after.stepFunctions.executions - before.stepFunctions.executions),
    sfnTransitions: per(after.stepFunctions.transitions - before.stepFunctions.transitions),
    sfnRetries: per(after.stepFunctions.retries - before.stepFunctions.retries),
    lambdaInvocations: per(sum(inv)),
    eventDrivenInvocations: per(
      sum(inv) - (inv['stream-dispatcher'] ?? 0) - (after.scheduleTicks - before.scheduleTicks),
    ),
    streamBatches: per(inv['stream-dispatcher'] ?? 0),
    scheduleTicks: after.scheduleTicks - before.scheduleTicks,
    lambdaByFunction: Object.fromEntries(Object.entries(inv).map(([k, v]) => [k, per(v)])),
    lambdaGbSeconds: per(sum(gb) + apiMeanGb * apiCalls),
    writeRequests: per((after.dynamodb?.writeRequests ?? 0) - (before.dynamodb?.writeRequests ?? 0)),
    itemWrites: per((after.dynamodb?.itemWrites ?? 0) - (before.dynamodb?.itemWrites ?? 0)),
    itemWritesByTable: Object.fromEntries(
      Object.entries(diff(after.dynamodb?.itemWritesByTable, before.dynamodb?.itemWritesByTable)).map(
        ([k, v]) => [k, per(v)],
      ),
    ),
    transactions: per((after.dynamodb?.transactions ?? 0) - (before.dynamodb?.transactions ?? 0)),
    writeUnits: per(sum(wu)),
    writeUnitsByTable: Object.fromEntries(Object.entries(wu).map(([k, v]) => [k, per(v)])),
    indexWriteUnits: per(sum(diff(after.dynamodb?.indexWriteUnits, before.dynamodb?.indexWriteUnits))),
    refusedWrites: per((after.dynamodb?.refusedWrites ?? 0) - (before.dynamodb?.refusedWrites ?? 0)),
    readUnits: per(sum(diff(after.dynamodb?.readUnits, before.dynamodb?.readUnits))),
    dynamoOperations: Object.fromEntries(
      Object.entries(diff(after.dynamodb?.operations, before.dynamodb?.operations)).map(([k, v]) => [
        k,
        per(v),
      ]),
    ),
    itemsByKind: perKey(diff(after.dynamodb?.itemsByKind, before.dynamodb?.itemsByKind)),
    itemBytesByKind: perKey(diff(after.dynamodb?.itemBytesByKind, before.dynamodb?.itemBytesByKind)),
    attributeBytes: perKey(diff(after.dynamodb?.attributeBytes, before.dynamodb?.attributeBytes)),
    eventTypes: Object.fromEntries(Object.entries(eventTypes).map(([k, v]) => [k, per(v)])),
    eventEntries: per(after.events.entries - before.events.entries),
    eventChunks: per(after.events.chunks - before.events.chunks),
    eventBytes: per(after.events.bytes - before.events.bytes),
    taskSeconds: per(after.tasks.seconds - before.tasks.seconds),
    taskVcpuSeconds: per(after.tasks.vcpuSeconds - before.tasks.vcpuSeconds),
    taskGbSeconds: per(after.tasks.gbSeconds - before.tasks.gbSeconds),
  };
}

/** `n` lablets from POST to their end (each runs to its deadline), counted per session. */
export async function billPerLablet(fleet: Fleet, n: number, tag: string): Promise<PerSession> {
  const { rt } = fleet;
  await rt.settle(30_000);
  const types = tapTypes(rt);
  const before = rt.bill();
  const r = await driveLablets(fleet, n, { tag });
  await rt.settle(30_000).catch(() => undefined);
  types.stop();
  const ended = r.trees.map((t) => t.session.status);
  return perSession(before, rt.bill(), n, n, ended, types.counts);
}

/**
 * One CCIE lab exam (DOO on the standard roc_radkit lifecycle, then AI-DOO on the sample
 * lablet's content): the candidate ends each part when it becomes active, as in the e2e test.
 */
export async function billPerCcie(fleet: Fleet, tag: string): Promise<PerSession> {
  const { rt } = fleet;
  await syncAiDoo(rt);
  await rt.settle(30_000);
  const types = tapTypes(rt);
  const before = rt.bill();
  const M = 60_000;
  const t0 = rt.clock.now();
  const slot = {
    start: new Date(t0 + 70 * M).toISOString(),
    end: new Date(t0 + 70 * M + 8 * 60 * M).toISOString(),
  };
  const created = await call<FleetTree>(
    rt,
    'POST',
    '/v1/sessions',
    {
      session_type: 'CCIE-EI-Lab-Exam',
      timeslot: slot,
      parts: [{ order: 2, form: 'Exam CCIE EI v1.1 AI-DOO AIDOO-1' }],
      candidate: { candidate_id: `${tag}-ccie` },
    },
    { 'idempotency-key': `${tag}-ccie` },
  );
  const id = created.session.id;
  let apiCalls = 1;
  const endedParts = new Set<number>();
  let tree: FleetTree;
  for (let virtual = 0; ;) {
    const quiet = await rt.settle(500).then(
      () => true,
      () => false,
    );
    tree = await call<FleetTree>(rt, 'GET', `/v1/sessions/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(tree.session.status)) break;
    for (const p of tree.parts)
      if (p.status === 'waiting' && !endedParts.has(p.order)) {
        await call(rt, 'POST', `/v1/sessions/${id}/parts/${p.order}/end`, {});
        endedParts.add(p.order);
        apiCalls++;
      }
    if (virtual > 16 * 60 * M)
      throw new Error(`the CCIE exam had not ended: ${JSON.stringify(tree.session)}`);
    const step = quiet ? 5 * M : 1_000;
    await rt.advanceClock(step);
    virtual += step;
  }
  await rt.settle(30_000).catch(() => undefined);
  types.stop();
  return perSession(before, rt.bill(), 1, apiCalls, [tree.session.status], types.counts);
}

function tapTypes(rt: LocalRuntime) {
  const counts: Record<string, number> = {};
  const stop = rt.bus.tap((e) => {
    if (!e.source.startsWith('aws.')) counts[e['detail-type']] = (counts[e['detail-type']] ?? 0) + 1;
  });
  return { counts, stop };
}

async function syncAiDoo(rt: LocalRuntime): Promise<void> {
  const manifest = `format_version: PAv1
name: bench-aidoo-1
version: 1.0.0
content_id: ccie-ei-aidoo-1
pod_type: cml_on_aws
description: the OSPF lablet as the AI-DOO part of a CCIE exam
jobs_used: [post_init@v1, grade@v1]
`;
  await putContent(rt.env, [
    {
      key: 'fleet/bench-aidoo-1.zip',
      body: await samplePackage('lablet-ospf-basics', { 'PAv1/manifest.yaml': manifest }),
    },
  ]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await call<{ items: { status: string }[] }>(
      rt,
      'GET',
      '/v1/pod-definitions?name=bench-aidoo-1',
    );
    if (r.items.some((d) => d.status === 'ready')) return;
    if (Date.now() > deadline) throw new Error('the AI-DOO content did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
}
