/**
 * The local runtime as a user meets it: `npm start` answers /v1/health quickly, stops cleanly on
 * Ctrl-C leaving no java or node behind, and a write to the state table reaches the stream
 * handler in well under a second.
 */
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';

const root = new URL('../../../', import.meta.url).pathname;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('answers GET /v1/health in under 15 s, and Ctrl-C leaves no java or node process', async () => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        LCM_PORT: '0',
        LCM_SEED: 'false',
        AWS_ENDPOINT_URL_DYNAMODB: '',
        AWS_ENDPOINT_URL_S3: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in 15 s:\n${out}`)), 15_000);
      const check = () => {
        const m = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        } else setTimeout(check, 50);
      };
      check();
    });
    const res = await fetch(`${url}/v1/health`);
    const health = (await res.json()) as { status: string; components: Record<string, { status: string }> };
    const elapsed = Date.now() - t0;
    expect(res.status).toBe(200);
    expect(health.status).toBe('ok');
    expect(Object.keys(health.components)).toEqual(
      expect.arrayContaining([
        'state_table',
        'views_table',
        'content_bucket',
        'event_bus',
        'step_functions',
        'dynamodb_local',
        's3rver',
        'stream_poller',
        'scheduler',
        'clock',
      ]),
    );
    expect(elapsed).toBeLessThan(15_000);
    const ddbPort = Number(/DynamoDB Local http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    expect(await portOpen(ddbPort)).toBe(true);

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('no emulator left running');
    // The JVM is gone: its port is closed and no process mentions it.
    await new Promise((r) => setTimeout(r, 300));
    expect(await portOpen(ddbPort)).toBe(false);
    let procs: string;
    try {
      procs = execFileSync('pgrep', ['-af', `-port ${ddbPort}`]).toString();
    } catch {
      procs = ''; // pgrep exits 1 when nothing matches
    }
    expect(procs.split('\n').filter((l) => l.includes('DynamoDBLocal'))).toEqual([]);
  }, 40_000);
});

describe('the local runtime in process', () => {
  let rt: LocalRuntime;
  beforeAll(async () => {
    rt = await startLocalRuntime({ port: 0, seed: false, clock: { kind: 'real' }, log: () => undefined });
  }, 30_000);
  afterAll(() => rt?.stop());

  it('delivers a state-table write to the stream handler in under 1 s', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `ses_latency${i}`;
      const seen = new Promise<number>((resolve) => {
        const off = rt.bus.tap((e) => {
          if (
            e['detail-type'] === 'lcm.orchestration.tree_changed.v1' &&
            (e.detail as { data: { session_id: string } }).data.session_id === id
          ) {
            off();
            resolve(Date.now());
          }
        });
      });
      const t0 = Date.now();
      await doc.send(
        new PutCommand({
          TableName: rt.env.LCM_STATE_TABLE,
          Item: { pk: `SESSION#${id}`, sk: 'SESSION', entity: 'other', id, state_version: 1 },
        }),
      );
      samples.push((await seen) - t0);
    }
    samples.sort((a, b) => a - b);
    expect(samples.at(-1)!).toBeLessThan(1000);
    expect(rt.fns.invocations.get('stream-dispatcher')).toBeGreaterThanOrEqual(1);
  });

  it('serves the bus log and the clock on its local endpoints', async () => {
    const log = (await (await fetch(`${rt.apiUrl}/local/events/log`)).json()) as { events: unknown[] };
    expect(log.events.length).toBeGreaterThan(0);
    const clock = (await (await fetch(`${rt.apiUrl}/local/clock`)).json()) as { kind: string };
    expect(clock.kind).toBe('real');
  });
});
