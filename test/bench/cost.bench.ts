/**
 * The bill per session (issue 17): lablets and one CCIE lab exam driven from POST to their end
 * through the whole local runtime (zero-delay simulators, stepped clock, DynamoDB metered), each
 * count per session beside its floor, priced at AWS list prices (test/bench/prices.ts).
 *
 * Counts do not depend on the machine; GB-seconds do (handler wall time on this machine, waiting
 * on DynamoDB Local included): take them as an upper bound on a loaded machine.
 * `LCM_BENCH_COST_SESSIONS` (default 5) lablets.
 */
import { EVENT_TYPES } from '../../shared/events/types.ts';
import { startFleet } from '../helpers/lablet-fleet.ts';
import { billPerCcie, billPerLablet, type PerSession } from '../helpers/session-bill.ts';
import { PRICES, price } from './prices.ts';
import { LABLET_BUDGET, LABLET_FLOOR } from './session-budget.ts';
import type { BenchResult } from './run.ts';

const usd = (v: number) => `$${v.toFixed(6)}`;
const STATE = 'local-lcm-state';
const VIEWS = 'local-lcm-views';

export async function run(): Promise<BenchResult> {
  const n = Number(process.env.LCM_BENCH_COST_SESSIONS ?? 5);
  const fleet = await startFleet({ workers: Math.ceil(n / 12) + 1, meter: true });
  try {
    const lablet = await billPerLablet(fleet, n, 'cost');
    const ccie = await billPerCcie(fleet, 'cost');
    const figures: Record<string, number | string> = {};
    const row = (label: string, today: number, floor?: number, budget?: number) =>
      (figures[label] =
        `${fmt(today)}${floor !== undefined ? `   floor ${floor}   ratio ${(today / floor).toFixed(2)} (goal ≤ 1.5)` : ''}${budget !== undefined ? `   budget ${budget}` : ''}`);
    const lab = counts(lablet);
    figures['lablets (ended)'] = `${n} (${summary(lablet.ended)})`;
    row(
      'lablet: Step Functions executions',
      lab.sfnExecutions,
      LABLET_FLOOR.sfnExecutions,
      LABLET_BUDGET.sfnExecutions,
    );
    row(
      'lablet: Step Functions state transitions',
      lab.sfnTransitions,
      LABLET_FLOOR.sfnTransitions,
      LABLET_BUDGET.sfnTransitions,
    );
    row('lablet: Lambda invocations, all', lablet.lambdaInvocations);
    row(
      'lablet: Lambda invocations, event-driven',
      lab.eventDrivenInvocations,
      LABLET_FLOOR.eventDrivenInvocations,
      LABLET_BUDGET.eventDrivenInvocations,
    );
    figures['lablet: stream batches / scheduled ticks in the run'] =
      `${fmt(lablet.streamBatches)} / ${lablet.scheduleTicks}`;
    row('lablet: Lambda GB-seconds (wall time, noisy)', lablet.lambdaGbSeconds);
    row(
      'lablet: state-table items written',
      lab.stateItemWrites,
      LABLET_FLOOR.stateItemWrites,
      LABLET_BUDGET.stateItemWrites,
    );
    row(
      'lablet: views-table items written',
      lab.viewItemWrites,
      LABLET_FLOOR.viewItemWrites,
      LABLET_BUDGET.viewItemWrites,
    );
    row('lablet: DynamoDB write requests (transactions)', lablet.writeRequests);
    figures['lablet: of which transactions'] = fmt(lablet.transactions);
    row('lablet: DynamoDB write units', lab.writeUnits, LABLET_FLOOR.writeUnits, LABLET_BUDGET.writeUnits);
    figures['lablet: write units state / views / on indexes'] =
      `${fmt(lablet.writeUnitsByTable[STATE] ?? 0)} / ${fmt(lablet.writeUnitsByTable[VIEWS] ?? 0)} / ${fmt(lablet.indexWriteUnits)}`;
    row('lablet: refused conditional writes', lablet.refusedWrites);
    row('lablet: read units (driver polling included)', lablet.readUnits);
    figures['lablet: DynamoDB requests by operation (driver polling included)'] = JSON.stringify(
      Object.fromEntries(Object.entries(lablet.dynamoOperations).map(([k, v]) => [k, Number(v.toFixed(1))])),
    );
    row(
      'lablet: EventBridge entries',
      lab.eventEntries,
      LABLET_FLOOR.eventEntries,
      LABLET_BUDGET.eventEntries,
    );
    // Issue 17's own measure: the status events, one per transition of the tree (session 7, part 9, pod 5).
    row(
      'lablet: status events (status_changed)',
      Object.entries(lablet.eventTypes)
        .filter(([t]) => t.endsWith('.status_changed.v1'))
        .reduce((n, [, v]) => n + v, 0),
      21,
    );
    figures['lablet: EventBridge 64 KB chunks / mean entry bytes'] =
      `${fmt(lablet.eventChunks)} / ${fmt(lablet.eventBytes / Math.max(1, lablet.eventEntries))}`;
    row('lablet: Fargate task-seconds', lablet.taskSeconds);
    const pl = price(lablet);
    for (const [k, v] of Object.entries(pl)) figures[`lablet cost: ${k}`] = usd(v);
    figures['lablet invocations by function'] = JSON.stringify(lablet.lambdaByFunction);
    figures['lablet events by type'] = JSON.stringify(lablet.eventTypes);
    Object.assign(figures, itemSizes('lablet', lablet));

    figures['CCIE lab exam (ended)'] = summary(ccie.ended);
    row('CCIE: Step Functions executions', ccie.sfnExecutions);
    row('CCIE: Step Functions state transitions', ccie.sfnTransitions);
    row('CCIE: Lambda invocations, all / event-driven', ccie.lambdaInvocations);
    figures['CCIE: Lambda invocations, all / event-driven'] =
      `${fmt(ccie.lambdaInvocations)} / ${fmt(ccie.eventDrivenInvocations)}`;
    row('CCIE: Lambda GB-seconds (wall time, noisy)', ccie.lambdaGbSeconds);
    figures['CCIE: items written state / views'] =
      `${fmt(ccie.itemWritesByTable[STATE] ?? 0)} / ${fmt(ccie.itemWritesByTable[VIEWS] ?? 0)}`;
    row('CCIE: DynamoDB write units', ccie.writeUnits);
    row('CCIE: EventBridge entries (64 KB chunks)', ccie.eventChunks);
    row('CCIE: Fargate task-seconds', ccie.taskSeconds);
    const pc = price(ccie);
    for (const [k, v] of Object.entries(pc)) figures[`CCIE cost: ${k}`] = usd(v);
    figures['CCIE invocations by function'] = JSON.stringify(ccie.lambdaByFunction);
    Object.assign(figures, itemSizes('CCIE', ccie));
    return {
      name: 'cost: the bill per session, against its floor',
      figures,
      notes: [
        `prices: AWS list prices, ${PRICES.region}, recorded ${PRICES.recorded} (test/bench/prices.ts names each page)`,
        'GB-seconds are declared memory × handler wall time here (DynamoDB Local waits included): noisy, an upper bound on a loaded machine',
        'sessions-api: the sessions’ own calls only (the driver’s polling is not a session’s cost)',
        'Fargate: the sample content runs its jobs on Lambda; a job with runtime: fargate bills ≥ 60 s each',
      ],
    };
  } finally {
    await fleet.stop();
  }
}

export function counts(p: PerSession) {
  return {
    sfnExecutions: p.sfnExecutions,
    sfnTransitions: p.sfnTransitions,
    eventDrivenInvocations: p.eventDrivenInvocations,
    stateItemWrites: p.itemWritesByTable[STATE] ?? 0,
    viewItemWrites: p.itemWritesByTable[VIEWS] ?? 0,
    writeUnits: p.writeUnits,
    // The tree_changed nudges are one per stream batch, and a busy machine batches differently
    // (15.5 per lablet in one run, more or fewer in another): like the stream dispatcher's
    // invocations, they are left out of the count held to a budget. The bill above counts them.
    eventEntries: p.eventEntries - (p.eventTypes[EVENT_TYPES.treeChanged] ?? 0),
  };
}

/**
 * What the write units pay for: per kind of whole item written (PutItem and transactions' Puts;
 * `<table>/<entity>`), items per session, mean bytes as DynamoDB sizes them, and the heaviest
 * attributes' mean bytes.
 */
export function itemSizes(label: string, p: PerSession): Record<string, string> {
  const out: Record<string, string> = {};
  const kinds = Object.entries(p.itemsByKind).sort(
    ([a], [b]) => (p.itemBytesByKind[b] ?? 0) - (p.itemBytesByKind[a] ?? 0),
  );
  for (const [kind, items] of kinds) {
    const mean = (p.itemBytesByKind[kind] ?? 0) / items;
    const top = Object.entries(p.attributeBytes)
      .filter(([k]) => k.startsWith(`${kind}.`))
      .map(([k, v]) => [k.slice(kind.length + 1), v / items] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, v]) => `${k} ${Math.round(v)}`)
      .join(', ');
    out[`${label}: items ${kind.replace(/^local-lcm-/, '')}`] =
      `${fmt(items)} per session, mean ${Math.round(mean)} B (${Math.ceil(mean / 1024)} unit${mean > 1024 ? 's' : ''}); heaviest: ${top}`;
  }
  return out;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
const summary = (l: string[]) =>
  Object.entries(l.reduce<Record<string, number>>((m, s) => ((m[s] = (m[s] ?? 0) + 1), m), {}))
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
