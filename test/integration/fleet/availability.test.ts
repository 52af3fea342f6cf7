/**
 * GET /v1/availability's answer (D123) on DynamoDB Local: the catalog and the workers in a state
 * table, booked demand in a views table, planned exactly as booking would plan; boundaries: fits
 * on running capacity, does not fit (the region's bound, a booking holding the last place), a new
 * worker startable in time or one minute too late, and bad input refused without a write.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSession } from '../../../shared/catalog/plan.ts';
import { loadSeeds } from '../../../shared/catalog/seeds.ts';
import { ManualClock, iso } from '../../../shared/domain/clock.ts';
import type { SessionId } from '../../../shared/domain/ids.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { DEFAULT_FLEET_CONFIG, type FleetConfig } from '../../../shared/domain/scaling.ts';
import type { WorkerRecord } from '../../../shared/domain/worker.ts';
import { availability } from '../../../shared/fleet/availability.ts';
import { allWorkers } from '../../../shared/fleet/reconcile.ts';
import type { DemandOf } from '../../../shared/fleet/demand.ts';
import { seedItems } from '../../../shared/store/catalog-repo.ts';
import { keys, PARTITIONS, viewKeys } from '../../../shared/store/keys.ts';
import type { StateStore, StoredItem } from '../../../shared/store/state-store.ts';
import { ViewStore } from '../../../shared/store/views.ts';
import { freshStateStore, freshTable, testDocumentClient } from '../../helpers/tables.ts';
import { MIN, T0, templates, worker } from '../../unit/fleet/fixtures.ts';

let state: Awaited<ReturnType<typeof freshStateStore>>;
let viewsTable: Awaited<ReturnType<typeof freshTable>>;
let views: ViewStore;
const clock = new ManualClock(T0);
// Every practice lab pod asks half of a cml-m5-2xlarge (8 cores).
const demandOf: DemandOf = async () => ({
  host_type: 'cml_on_aws',
  license: 'enterprise',
  needs: { cpu_cores: 4, memory_gb: 16, nodes: 4, ports: 4 },
});
const config: FleetConfig = { ...DEFAULT_FLEET_CONFIG, boot_minutes: 12, margin_minutes: 3 };
const LEAD = 20; // practicelab's lead time (seeds/session-definitions.yaml)
const DURATION = 180;

async function putWorker(store: StateStore, w: WorkerRecord) {
  await store.put(
    {
      ...w,
      ...keys.worker(w.id),
      entity: 'worker',
      gsi1pk: PARTITIONS.allWorkers,
      gsi1sk: `${w.region}#${w.id}`,
    } as StoredItem & WorkerRecord,
    null,
  );
}

/** A booked practice lab at `start`, as the views hold it (planned by the same planner). */
async function book(id: string, start: number) {
  const seeds = await loadSeeds('seeds');
  const { tree } = planSession({
    definitions: seeds.definitions,
    forms: seeds.forms,
    request: {
      session_type: 'practicelab',
      timeslot: { start: iso(start), end: iso(start + DURATION * MIN) },
      candidate: { candidate_id: `c-${id}` },
    },
    now: clock.now(),
    sessionId: id as SessionId,
    createdBy: 'test',
    phasesFor: () => ({}),
  });
  await testDocumentClient().send(
    new PutCommand({
      TableName: viewsTable.name,
      Item: {
        ...viewKeys.sessionTree(id),
        ...tree,
        tree_version: 1,
        list_key: viewKeys.listAll,
        status_key: viewKeys.byStatus('pending'),
        time_key: `${iso(start)}#${id}`,
      },
    }),
  );
}

const ask = (start: number, cfg: FleetConfig = config) =>
  availability(
    { store: state.store, views, clock, demandOf, config: cfg },
    { session_type: 'practicelab', start: iso(start) },
  );

beforeAll(async () => {
  [state, viewsTable] = await Promise.all([freshStateStore(), freshTable('views')]);
  views = new ViewStore(testDocumentClient(), viewsTable.name);
  const seeds = await loadSeeds('seeds');
  const now = iso(T0);
  await seedItems(
    state.store,
    [
      ...seeds.definitions.map((d) => ({
        key: keys.sessionDefinition(d.session_type),
        entity: 'session_definition',
        doc: { ...d },
      })),
      ...seeds.forms.map((f) => ({ key: keys.form(f.fqn, f.version), entity: 'form', doc: { ...f } })),
      ...templates.map((t) => ({
        key: keys.workerTemplate(t.name),
        entity: 'worker_template',
        doc: { ...t },
      })),
    ],
    now,
  );
  // One running cml-m5-2xlarge: room for two practice lab pods at a time.
  await putWorker(state.store, worker('wrk_run'));
  // Two practice labs booked at +4 h take it whole for their window.
  await book('ses_booked1', T0 + 240 * MIN);
  await book('ses_booked2', T0 + 240 * MIN);
});
afterAll(() => Promise.all([state.drop(), viewsTable.drop()]));

describe('can a practice lab starting then be hosted', () => {
  it('fits on the running worker: yes, nothing to start, with the pod the plan needs', async () => {
    // Released (T0 + 220 min) when the booked pair provisions: nothing else is needed.
    const start = T0 + 30 * MIN;
    const r = await ask(start);
    expect(r).toMatchObject({
      session_type: 'practicelab',
      start: iso(start),
      hostable: true,
      reasons: [],
      scale_ups: 0,
    });
    expect(r.pods).toEqual([
      {
        part_order: 1,
        host_type: 'cml_on_aws',
        provision_at: iso(start - LEAD * MIN),
        needs: { cpu_cores: 4, memory_gb: 16, nodes: 4, ports: 4 },
      },
    ]);
    // Thirty minutes later its window meets the booked pair's: one of the pair then needs a
    // second worker, which the answer counts as the asked session's.
    expect(await ask(start + 30 * MIN)).toMatchObject({ hostable: true, reasons: [], scale_ups: 1 });
  });

  it('does not fit beside the booked demand when the region may not grow: no, with the bound as the reason', async () => {
    const start = T0 + 240 * MIN; // the booked pair's window: the running worker is full
    const r = await ask(start, { ...config, max_workers_per_region: 1 });
    expect(r.hostable).toBe(false);
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/eu-west-1 has 1 live workers, the region's maximum/);
    // After the booked window (its cleanup deadline passed) the same worker is free again.
    const after = T0 + (240 + DURATION + 10 + LEAD) * MIN;
    expect((await ask(after, { ...config, max_workers_per_region: 1 })).hostable).toBe(true);
    // One minute earlier the booked pods still hold it.
    expect((await ask(after - MIN, { ...config, max_workers_per_region: 1 })).hostable).toBe(false);
  });

  it('a worker the bounds let start: yes when it boots before the provision time, no one minute later', async () => {
    const booked = T0 + 240 * MIN;
    // Asked well ahead: a second worker will be launched in time.
    expect(await ask(booked)).toMatchObject({ hostable: true, reasons: [], scale_ups: 1 });
    // Provision time exactly the boot time from now: just in time.
    clock.set(booked - LEAD * MIN - config.boot_minutes * MIN);
    expect((await ask(booked)).hostable).toBe(true);
    // One minute later: the new worker would be ready a minute after the pod provisions.
    clock.set(booked - LEAD * MIN - (config.boot_minutes - 1) * MIN);
    const late = await ask(booked);
    expect(late.hostable).toBe(false);
    expect(late.reasons[0]).toMatch(
      /nothing running fits it and a worker launched \(cml-m5-2xlarge\) now is ready at/,
    );
  });

  it('refuses bad input with a problem and writes nothing', async () => {
    const before = await allWorkers(state.store);
    await expect(
      availability(
        { store: state.store, views, clock, demandOf, config },
        { session_type: 'no-such-type', start: iso(T0 + 60 * MIN) },
      ),
    ).rejects.toMatchObject({ kind: 'unknown-session-type' });
    await expect(ask(T0 - 600 * MIN)).rejects.toBeInstanceOf(Problem);
    await expect(ask(T0 - 600 * MIN)).rejects.toMatchObject({ kind: 'invalid-timeslot' });
    expect(await allWorkers(state.store)).toEqual(before);
    expect(before.map((w) => w.id)).toEqual(['wrk_run']);
  });
});

describe('a session of several parts: each part is checked at its own provision time (docs/testing.md ¹⁰)', () => {
  // A CCIE lab exam starting at S: DOO provisions at S − 60 min and is released at S + 195 min;
  // AI-DOO provisions at S + 150 min and runs to S + 495 min (seeds/session-definitions.yaml).
  const S = T0 + 20 * MIN;
  const early = new ManualClock(T0 - 600 * MIN);
  const exam = (cfg: FleetConfig) =>
    availability(
      { store: state.store, views, clock: early, demandOf, config: cfg },
      { session_type: 'CCIE-EI-Lab-Exam', start: iso(S) },
    );
  it("the second part would take a booked pod's place on the one worker the region allows: no, naming that pod", async () => {
    const r = await exam({ ...config, max_workers_per_region: 1 });
    expect(r.pods.map((p) => [p.part_order, p.provision_at])).toEqual([
      [1, iso(S - 60 * MIN)],
      [2, iso(S + 150 * MIN)],
    ]);
    // DOO fits the running worker before the booked pair starts; AI-DOO fits beside DOO's tail
    // (4 + 4 of 8 cores) and is placed first, so when the pair provisions (T0 + 220 min) one of
    // the booked pods would find no room and the region may not grow: no, naming that pod.
    expect(r.hostable).toBe(false);
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(
      new RegExp(
        `^booked pod \\S+ \\(session ses_booked[12]\\) would lose its place: pod \\S+ provisions at ${iso(T0 + 220 * MIN)} .*eu-west-1 has 1 live workers, the region's maximum$`,
      ),
    );
    // When the region may grow, a second worker is launched for it in time.
    expect(await exam(config)).toMatchObject({ hostable: true, reasons: [], scale_ups: 1 });
  });
});
