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
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { signedDelivery } from '../../../infra/local/sim/webhooks.ts';
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
      // A hang guard only (the README's start-up time is `npm run bench runtime`'s figure). A fresh
      // clone synthesizes the CDK app first; on a machine loaded twentyfold that took over 100 s.
      const timer = setTimeout(() => reject(new Error(`not ready in 480 s:\n${out}`)), 480_000);
      const check = () => {
        const m = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        } else setTimeout(check, 50);
      };
      check();
    });
    // Shallow: the API and, locally, its emulators.
    const shallow = await fetch(`${url}/v1/health`);
    expect(shallow.status).toBe(200);
    expect(Object.keys(((await shallow.json()) as { components: object }).components)).not.toContain(
      'state_table',
    );
    // Deep (operator scope; every scope is granted locally): each dependency, called with the
    // system-api function's own environment and grants.
    const res = await fetch(`${url}/v1/health/deep`);
    const health = (await res.json()) as { status: string; components: Record<string, { status: string }> };
    expect(res.status, JSON.stringify(health.components)).toBe(200);
    expect(health.status).toBe('ok');
    expect(Object.keys(health.components)).toEqual(
      expect.arrayContaining([
        'state_table',
        'views_table',
        'content_bucket',
        'artefacts_bucket',
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
      timeout: 120_000,
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
  }, 600_000);
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

  it('answers the shallow health check without calling any dependency; the deep one calls each', async () => {
    const before = rt.principals.calls['function/system-api'] ?? 0;
    const shallow = await fetch(`${rt.apiUrl}/v1/health`);
    expect(shallow.status).toBe(200);
    expect(rt.principals.calls['function/system-api'] ?? 0).toBe(before);
    const deep = await fetch(`${rt.apiUrl}/v1/health/deep`);
    expect(deep.status).toBe(200);
    expect(rt.principals.calls['function/system-api']).toBe(before + 6);
    expect(rt.principals.denials.filter((d) => d.principal === 'function/system-api')).toEqual([]);
  });

  it('gives each function exactly the environment its synthesized template gives it', () => {
    for (const [name, p] of Object.entries(rt.profiles.functions)) {
      const env = rt.fns.environment(name)!;
      const product = (e: Record<string, string>) =>
        Object.keys(e)
          .filter(
            (k) =>
              k.startsWith('LCM_') &&
              !['LCM_CLOCK', 'LCM_CML_CREDENTIALS', 'LCM_LDS_CREDENTIALS', 'LCM_WEBHOOK_CLIENTS'].includes(k),
          )
          .sort();
      expect(product(env), name).toEqual(product(p.environment));
      expect(env.AWS_LAMBDA_FUNCTION_NAME).toBe(`local-${name}`);
      if (!p.environment.LCM_CML_SECRET_ARN) expect(env.LCM_CML_CREDENTIALS, name).toBeUndefined();
      // The function that verifies webhooks gets the local clients inline (no Secrets Manager here).
      expect(!!env.LCM_WEBHOOK_CLIENTS, name).toBe(!!p.environment.LCM_WEBHOOK_SECRET_ARN);
    }
    expect(rt.fns.environment('catalog-api')!.LCM_CONTENT_BUCKET).toBeUndefined();
    expect(rt.fns.environment('catalog-api')!.LCM_EVENT_BUS).toBeUndefined();
  });

  it('points every function at the local endpoint of each AWS service the product calls (none reaches the real AWS)', () => {
    // ECS was missing: the reconciler's stop of an ended phase's job tasks went to
    // ecs.us-east-1.amazonaws.com and failed (ENOTFOUND), so a task outliving its phase was never stopped locally.
    const services = ['DYNAMODB', 'S3', 'EVENTBRIDGE', 'SFN', 'ECS', 'LAMBDA', 'EC2'];
    for (const name of Object.keys(rt.profiles.functions)) {
      const env = rt.fns.environment(name)!;
      const missing = services.filter((s) => !env[`AWS_ENDPOINT_URL_${s}`]?.startsWith('http://127.0.0.1:'));
      expect(missing, name).toEqual([]);
    }
  });

  it('denies each AWS call the template does not grant, naming function, action and resource', async () => {
    const as = (name: string) => {
      const e = rt.fns.environment(name)!;
      return {
        region: e.AWS_REGION!,
        credentials: {
          accessKeyId: e.AWS_ACCESS_KEY_ID!,
          secretAccessKey: e.AWS_SECRET_ACCESS_KEY!,
          sessionToken: e.AWS_SESSION_TOKEN!,
        },
        env: e,
      };
    };
    const catalog = as('catalog-api');
    const table = rt.env.LCM_STATE_TABLE!;
    const tableArn = `arn:aws:dynamodb:us-east-1:000000000000:table/${table}`;
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...catalog, endpoint: catalog.env.AWS_ENDPOINT_URL_DYNAMODB, maxAttempts: 1 }),
    );
    // Granted (read): answered by DynamoDB Local.
    await doc.send(new GetCommand({ TableName: table, Key: { pk: 'x', sk: 'y' } }));
    // Not granted (write).
    const denied = (p: Promise<unknown>) =>
      p.then(
        () => {
          throw new Error('the call was allowed');
        },
        (e: Error) => e,
      );
    const put = await denied(doc.send(new PutCommand({ TableName: table, Item: { pk: 'x', sk: 'y' } })));
    expect(put.name).toBe('AccessDeniedException');
    expect(put.message).toContain('(function/catalog-api) is not authorized to perform: dynamodb:PutItem');
    expect(put.message).toContain(`on resource: ${tableArn}`);

    const s3 = new S3Client({
      ...catalog,
      endpoint: catalog.env.AWS_ENDPOINT_URL_S3,
      forcePathStyle: true,
      maxAttempts: 1,
    });
    const get = await denied(s3.send(new GetObjectCommand({ Bucket: rt.env.LCM_CONTENT_BUCKET!, Key: 'k' })));
    expect(get.name).toBe('AccessDenied');
    expect(get.message).toContain(`s3:GetObject on resource: arn:aws:s3:::${rt.env.LCM_CONTENT_BUCKET}/k`);

    const eb = new EventBridgeClient({
      ...catalog,
      endpoint: catalog.env.AWS_ENDPOINT_URL_EVENTBRIDGE,
      maxAttempts: 1,
    });
    const pe = await denied(
      eb.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: rt.env.LCM_EVENT_BUS, Source: 'x', DetailType: 'y', Detail: '{}' }],
        }),
      ),
    );
    expect(pe.message).toContain('events:PutEvents');

    const lambda = new LambdaClient({
      ...catalog,
      endpoint: catalog.env.AWS_ENDPOINT_URL_LAMBDA,
      maxAttempts: 1,
    });
    const inv = await denied(
      lambda.send(new InvokeCommand({ FunctionName: 'local-native-steps', Payload: '{}' })),
    );
    expect(inv.message).toContain(
      'lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:local-native-steps',
    );

    const reconciler = as('reconciler');
    const sfn = new SFNClient({
      ...reconciler,
      endpoint: reconciler.env.AWS_ENDPOINT_URL_SFN,
      maxAttempts: 1,
    });
    const create = await denied(
      sfn.send(
        new CreateStateMachineCommand({
          name: 'local-lcm-x',
          definition: '{}',
          roleArn: 'arn:aws:iam::000000000000:role/r',
        }),
      ),
    );
    expect(create.message).toContain(
      '(function/reconciler) is not authorized to perform: states:CreateStateMachine',
    );

    expect(rt.principals.denials).toEqual(
      expect.arrayContaining([
        { principal: 'function/catalog-api', action: 'dynamodb:PutItem', resource: tableArn },
        {
          principal: 'function/catalog-api',
          action: 'lambda:InvokeFunction',
          resource: expect.stringContaining('local-native-steps'),
        },
      ]),
    );
  });

  it('verifies a signed webhook with the local clients: an unknown type is acknowledged, never a 5xx', async () => {
    const { headers, body } = signedDelivery({
      specversion: '1.0',
      id: 'local-runtime-hook-1',
      source: 'lds.local',
      type: 'lds.session.reticulated.v1',
    });
    const res = await fetch(`${rt.apiUrl}/v1/events`, { method: 'POST', headers, body });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ outcome: 'ignored' });
  });

  it('serves the bus log and the clock on its local endpoints', async () => {
    const log = (await (await fetch(`${rt.apiUrl}/local/events/log`)).json()) as { events: unknown[] };
    expect(log.events.length).toBeGreaterThan(0);
    const clock = (await (await fetch(`${rt.apiUrl}/local/clock`)).json()) as { kind: string };
    expect(clock.kind).toBe('real');
  });
});
