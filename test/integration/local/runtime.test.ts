/**
 * The local runtime as a user meets it: `npm start` answers /v1/health, stops cleanly on Ctrl-C
 * leaving no java or node behind, and a write to the state table reaches the stream handler.
 * How fast (start-up, stream latency) is a benchmark (`npm run bench runtime`), not a test: a
 * test must pass on a machine that is busy with something else.
 */
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';
import { EVENT_TYPES } from '../../../shared/events/types.ts';

const root = new URL('../../../', import.meta.url).pathname;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('answers GET /v1/health, and Ctrl-C leaves no java or node process', async () => {
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
      // A hang guard only (the README's start-up time is `npm run bench runtime`'s figure).
      const timer = setTimeout(() => reject(new Error(`not ready in 100 s:\n${out}`)), 100_000);
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
    const ddbPort = Number(/DynamoDB Local http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    expect(await portOpen(ddbPort)).toBe(true);

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('no emulator left running');
    // The JVM is gone: its port closes and no process mentions it.
    await vi.waitFor(async () => expect(await portOpen(ddbPort)).toBe(false), {
      timeout: 30_000,
      interval: 100,
    });
    let procs: string;
    try {
      // `--`: the pattern starts with a dash, which pgrep would otherwise read as an option.
      procs = execFileSync('pgrep', ['-af', '--', `-port ${ddbPort}`]).toString();
    } catch {
      procs = ''; // pgrep exits 1 when nothing matches
    }
    expect(procs.split('\n').filter((l) => l.includes('DynamoDBLocal'))).toEqual([]);
  }, 150_000);
});

describe('the local runtime in process', () => {
  let rt: LocalRuntime;
  beforeAll(async () => {
    rt = await startLocalRuntime({ port: 0, seed: false, clock: { kind: 'real' }, log: () => undefined });
  });
  afterAll(() => rt?.stop());

  it('delivers each state-table write to the stream handler, which fans it out on the bus', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const seenAll: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `ses_latency${i}`;
      const seen = new Promise<string>((resolve) => {
        const off = rt.bus.tap((e) => {
          if (
            e['detail-type'] === EVENT_TYPES.treeChanged &&
            (e.detail as { data: { session_id: string } }).data.session_id === id
          ) {
            off();
            resolve(id);
          }
        });
      });
      await doc.send(
        new PutCommand({
          TableName: rt.env.LCM_STATE_TABLE,
          Item: { pk: `SESSION#${id}`, sk: 'SESSION', entity: 'other', id, state_version: 1 },
        }),
      );
      seenAll.push(await seen);
    }
    expect(seenAll).toEqual([0, 1, 2, 3, 4].map((i) => `ses_latency${i}`));
    expect(rt.fns.invocations.get('stream-dispatcher')).toBeGreaterThanOrEqual(1);
  });

  it('serves the bus log and the clock on its local endpoints', async () => {
    const log = (await (await fetch(`${rt.apiUrl}/local/events/log`)).json()) as { events: unknown[] };
    expect(log.events.length).toBeGreaterThan(0);
    const clock = (await (await fetch(`${rt.apiUrl}/local/clock`)).json()) as { kind: string };
    expect(clock.kind).toBe('real');
  });
});
