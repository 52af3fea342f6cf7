/**
 * The floor (issue 17): how many conditional writes per second DynamoDB Local takes on this
 * machine, and what that makes the least time 1,000 lablets can take when every write a lablet
 * needs goes through it.
 *
 * DynamoDB Local is started as the runtime starts it (`jit: 'throughput'`, as the fleet), the two
 * tables created from the topology's declarations (`infra/system.ts`: the state table with its
 * stream and GSI, the views table with its four GSIs), and written through the SDK's document
 * client as `shared/store/state-store.ts` writes: a conditional PutItem of the whole item (new:
 * `attribute_not_exists(pk)`; replace: `state_version = :v`), and, beside it, a conditional
 * UpdateItem (replace and update cycle over 500 items, one version each). Items are of a lablet's
 * typical sizes (state ≈ 1 KB with the GSI keys; views ≈ 1.5 KB with the listing keys).
 * Sequential, then with 4, 16 and 64 writes in flight (the
 * runtime's SDK clients keep up to 50 sockets each; 200 concurrent sessions keep many in
 * flight).
 *
 * Beside each rate: DynamoDB Local's CPU per write (its JVM, from /proc) and this Node process's
 * CPU per write (the SDK's serialisation, signing, HTTP: the node-side share of each write).
 * `LCM_BENCH_FLOOR_WRITES` (default 2000) writes per measurement.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { createTable } from '../../infra/local/provision.ts';
import { system } from '../../infra/system.ts';
import { QUIET_SDK_LOGGER } from '../../shared/runtime/aws-dynamodb.ts';
import { cpuBetween, cpuSnapshot, fmtLoad } from './process-cpu.ts';
import { LABLET_BUDGET } from './session-budget.ts';
import { GOAL_1000_LABLETS_S } from './orchestration.bench.ts';
import type { BenchResult } from './run.ts';

/**
 * Items written per lablet, measured: state-table writes (the orchestration bench's stream
 * records: 46 in its last runs) and views-table writes (the cost bench's meter: 78.7 at first,
 * 83 after issue 15). The budget's figures are the upper bound the suite holds.
 */
export const WRITES_PER_LABLET = { state: 46, views: 83 };

const pad = (n: number) => 'x'.repeat(n);

function stateItem(i: number, version: number) {
  return {
    pk: `SESSION#ses_floor${i}`,
    sk: 'SESSION',
    entity: 'session',
    id: `ses_floor${i}`,
    state_version: version,
    status: version % 2 ? 'running' : 'scheduled',
    gsi1pk: 'SESSIONS#2026-12-07',
    gsi1sk: `2026-12-07T06:20:00Z#ses_floor${i}`,
    timeslot: { start: '2026-12-07T06:20:00Z', end: '2026-12-07T07:20:00Z' },
    candidate: { candidate_id: `floor-${i}` },
    state_history: Array.from({ length: 4 }, (_, k) => ({ to: `s${k}`, at: '2026-12-07T06:20:00Z' })),
    notes: pad(600),
  };
}

function viewItem(i: number, version: number) {
  return {
    pk: `SESSION#ses_floor${i}`,
    sk: 'TREE',
    state_version: version,
    list_key: 'SESSIONS',
    status_key: `STATUS#${version % 2 ? 'running' : 'scheduled'}`,
    candidate_key: `CANDIDATE#floor-${i}`,
    time_key: `2026-12-07T06:20:00Z#ses_floor${i}`,
    tree: pad(1300),
  };
}

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

export async function run(): Promise<BenchResult> {
  const N = Number(process.env.LCM_BENCH_FLOOR_WRITES ?? 2000);
  const ddb = await startDynamoDbLocal({ jit: 'throughput' });
  const client = new DynamoDBClient({
    endpoint: ddb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const doc = DynamoDBDocumentClient.from(client);
  const figures: Record<string, number | string> = {};
  try {
    const decl = (name: string) => system.tables.find((t) => t.name === name)!;
    await createTable(client, 'floor-state', decl('state'));
    await createTable(client, 'floor-views', decl('views'));
    let base = 10_000; // every measurement writes its own items (the warm-up wrote 0–499 and 1,000,000+)
    const versions = new Map<string, number>();
    const kinds = {
      'state put, new (attribute_not_exists)': (i: number) =>
        doc.send(
          new PutCommand({
            TableName: 'floor-state',
            Item: stateItem(i, 1),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      'state put, replace (state_version = :v)': (i: number) => {
        const k = `s${i % 500}`;
        const v = versions.get(k) ?? 1;
        versions.set(k, v + 1);
        return doc.send(
          new PutCommand({
            TableName: 'floor-state',
            Item: stateItem(i % 500, v + 1),
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'state_version' },
            ExpressionAttributeValues: { ':v': v },
          }),
        );
      },
      'state update (state_version = :v)': (i: number) => {
        const k = `s${i % 500}`;
        const v = versions.get(k) ?? 1;
        versions.set(k, v + 1);
        return doc.send(
          new UpdateCommand({
            TableName: 'floor-state',
            Key: { pk: `SESSION#ses_floor${i % 500}`, sk: 'SESSION' },
            UpdateExpression: 'SET #v = :n, #s = :s',
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'state_version', '#s': 'status' },
            ExpressionAttributeValues: { ':v': v, ':n': v + 1, ':s': `s${v}` },
          }),
        );
      },
      'views put (4 GSIs, no stream)': (i: number) =>
        doc.send(new PutCommand({ TableName: 'floor-views', Item: viewItem(i, 1) })),
    };
    // The items the replace and update measurements find, and the JVM's JIT warmed.
    await pool(500, 16, (i) => kinds['state put, new (attribute_not_exists)'](i + 1_000_000));
    for (let i = 0; i < 500; i++) versions.set(`s${i}`, 0);
    await pool(500, 16, (i) =>
      doc
        .send(new PutCommand({ TableName: 'floor-state', Item: stateItem(i, 1) }))
        .then(() => versions.set(`s${i}`, 1)),
    );
    await pool(N, 16, (i) => kinds['views put (4 GSIs, no stream)'](i + 2_000_000));

    const rates: Record<string, number> = {};
    /** (java + node) CPU ms per write, per measurement. */
    const cpuMs: Record<string, number> = {};
    for (const concurrency of [1, 4, 16, 64])
      for (const [kind, write] of Object.entries(kinds)) {
        const b = base;
        base += N;
        let refused = 0;
        const a = cpuSnapshot();
        await pool(N, concurrency, (i) =>
          write(b + i).catch((e: Error) => {
            // Two writes of one item in flight at once (500 items cycle): DynamoDB refused one, as
            // it would a lost race; it did the work of a conditional write all the same.
            if (e.name !== 'ConditionalCheckFailedException') throw e;
            refused++;
          }),
        );
        const z = cpuSnapshot();
        const cpu = cpuBetween(a, z);
        const rate = N / cpu.wall;
        rates[`${kind} ×${concurrency}`] = rate;
        cpuMs[`${kind} ×${concurrency}`] = (1000 * ((cpu.children.java ?? 0) + cpu.node)) / N;
        figures[`${kind}, ${concurrency} in flight (writes/s)`] =
          `${rate.toFixed(0)}   java ${((1000 * (cpu.children.java ?? 0)) / N).toFixed(3)} ms CPU/write   node ${((1000 * cpu.node) / N).toFixed(3)} ms CPU/write   load ${fmtLoad(z.load)}${refused ? `   refused ${refused}` : ''}`;
      }
    // D270: this process's CPU per write with the SDK's default logger (the client above) and with
    // the runtime's (no `info`: no redacted copies of each input and output), interleaved.
    const quiet = new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      logger: QUIET_SDK_LOGGER,
    });
    const quietDoc = DynamoDBDocumentClient.from(quiet);
    const nodeMs = { default: [] as number[], quiet: [] as number[] };
    for (let round = 0; round < 3; round++)
      for (const [k, d] of [
        ['default', doc],
        ['quiet', quietDoc],
      ] as const) {
        const b = base;
        base += N;
        const a = cpuSnapshot();
        await pool(N, 16, (i) =>
          d.send(
            new PutCommand({
              TableName: 'floor-state',
              Item: stateItem(b + i, 1),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
        nodeMs[k].push((1000 * cpuBetween(a, cpuSnapshot()).node) / N);
      }
    quiet.destroy();
    const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
    figures['node CPU per state put, SDK default logger → runtime logger (ms, median of 3)'] =
      `${med(nodeMs.default).toFixed(3)} → ${med(nodeMs.quiet).toFixed(3)}   (${((1 - med(nodeMs.quiet) / med(nodeMs.default)) * 100).toFixed(0)} % less; D270)`;
    // The floor: a lablet's writes at the best rate measured for state and views writes alike.
    const best = (prefix: string) =>
      Math.max(
        ...Object.entries(rates)
          .filter(([k]) => k.startsWith(prefix))
          .map(([, v]) => v),
      );
    const seq = (prefix: string) =>
      Math.max(
        ...Object.entries(rates)
          .filter(([k]) => k.startsWith(prefix) && k.endsWith('×1'))
          .map(([, v]) => v),
      );
    const stateRate = best('state put, new');
    const viewsRate = best('views put');
    const floor = 1000 * (WRITES_PER_LABLET.state / stateRate + WRITES_PER_LABLET.views / viewsRate);
    const floorSeq =
      1000 *
      (WRITES_PER_LABLET.state / seq('state put, replace') + WRITES_PER_LABLET.views / seq('views put'));
    figures['writes per lablet (state + views, measured)'] =
      `${WRITES_PER_LABLET.state} + ${WRITES_PER_LABLET.views} (budget ${LABLET_BUDGET.stateItemWrites} + ${LABLET_BUDGET.viewItemWrites})`;
    figures['floor for 1,000 lablets at the best concurrent rate (s)'] =
      `${floor.toFixed(1)}   goal ≤ ${GOAL_1000_LABLETS_S}`;
    figures['floor for 1,000 lablets, writes one at a time (s)'] = floorSeq.toFixed(1);
    // CPU, which a loaded machine inflates less than wall time: the least (java + node) CPU per
    // write measured, times a lablet's writes, on two cores with nothing else running.
    const leastCpu = (prefix: string) =>
      Math.min(
        ...Object.entries(cpuMs)
          .filter(([k]) => k.startsWith(prefix))
          .map(([, v]) => v),
      );
    const cpuPerLablet =
      WRITES_PER_LABLET.state * leastCpu('state put, new') + WRITES_PER_LABLET.views * leastCpu('views put');
    figures['CPU per lablet for its writes, java + node (ms)'] = cpuPerLablet.toFixed(0);
    figures['CPU floor for 1,000 lablets on 2 idle cores (s)'] =
      `${(cpuPerLablet / 2).toFixed(1)}   goal ≤ ${GOAL_1000_LABLETS_S}`;
    return {
      name: 'DynamoDB Local: conditional writes per second, and the floor for 1,000 lablets',
      figures,
      notes: [
        'a floor counts only the writes a lablet needs; reads (read-modify-write, the stream pollers’ GetRecords, the driver’s listing) and all other work come on top',
        'replace and update cycle over 500 items; a write whose condition lost to another in flight on the same item is counted as refused (it did the work all the same)',
        'java and node CPU per write from /proc and process.cpuUsage; the machine is shared, so the rates move with the load shown',
      ],
    };
  } finally {
    client.destroy();
    await ddb.stop();
  }
}
