/**
 * The local runtime as a developer meets it: how long `startLocalRuntime` takes to be ready (what
 * `npm start` prints), and how long a state-table write takes to reach the stream dispatcher and
 * come out on the bus (the stream poller's latency). Times, so they vary with the machine.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BenchResult } from './run.ts';
import { percentile } from './stats.ts';
import { startLocalRuntime } from '../../infra/local/runtime.ts';
import { EVENT_TYPES } from '../../shared/events/types.ts';

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const rt = await startLocalRuntime({ port: 0, seed: false, clock: { kind: 'real' }, log: () => undefined });
  const ready = performance.now() - t0;
  try {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `ses_benchlatency${i}`;
      const seen = new Promise<number>((resolve) => {
        const off = rt.bus.tap((e) => {
          if (
            e['detail-type'] === EVENT_TYPES.treeChanged &&
            (e.detail as { data: { session_id: string } }).data.session_id === id
          ) {
            off();
            resolve(performance.now());
          }
        });
      });
      const at = performance.now();
      await doc.send(
        new PutCommand({
          TableName: rt.env.LCM_STATE_TABLE,
          Item: { pk: `SESSION#${id}`, sk: 'SESSION', entity: 'other', id, state_version: 1 },
        }),
      );
      samples.push((await seen) - at);
    }
    return {
      name: 'Local runtime',
      figures: {
        'ready after (ms)': Math.round(ready),
        'write → stream dispatcher → bus, p50 (ms)': percentile(samples, 50),
        'write → stream dispatcher → bus, max of 20 (ms)': Math.max(...samples),
      },
      notes: ['goals: ready under 15 s, a write on the bus under 1 s (README)'],
    };
  } finally {
    await rt.stop();
  }
}
