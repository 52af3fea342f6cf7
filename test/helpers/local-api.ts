/**
 * The product's HTTP API in-process, for suites that send many requests: the local API
 * dispatcher (the same route matching and API Gateway events the local runtime serves) calling
 * the real handler modules, on fresh tables in the shared DynamoDB Local and buckets in s3rver.
 * Nothing runs behind the API (no stream poller, reconciler or state machines), so the tables
 * change only when a request changes them. The AWS edges the API functions call besides
 * DynamoDB and S3 (Lambda Invoke, EventBridge and Step Functions health probes) answer from a
 * loopback stub that records every invocation.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createLocalApi, localToken } from '../../infra/local/api-server.ts';
import { LocalFunctions } from '../../infra/local/functions.ts';
import { LOCAL_WEBHOOK_CLIENTS } from '../../infra/local/sim/webhooks.ts';
import { listenOnLoopback } from '../../infra/local/ports.ts';
import { createTable } from '../../infra/local/provision.ts';
import { bucketName, busName, tableName } from '../../infra/naming.ts';
import { system } from '../../infra/system.ts';
import { seedCatalog } from '../../shared/catalog/seed.ts';
import { ManualClock } from '../../shared/domain/clock.ts';
import { resetClients } from '../../shared/runtime/aws.ts';
import { dynamoClient } from '../../shared/runtime/aws-dynamodb.ts';
import { setRuntimeClock } from '../../shared/runtime/clock.ts';
import { ENV } from '../../shared/runtime/env.ts';
import { keys } from '../../shared/store/keys.ts';
import { StateStore } from '../../shared/store/state-store.ts';
import { ViewStore } from '../../shared/store/views.ts';
import { testDocumentClient } from './tables.ts';
import { stringify as stableStringify } from 'safe-stable-stringify';

const ROOT = resolve(import.meta.dirname, '../..');
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T;
  text: string;
}

export interface LocalApiHarness {
  stage: string;
  clock: ManualClock;
  store: StateStore;
  /** Lambda invocations the API functions made (function name, payload). */
  invocations: { function: string; payload: string }[];
  /** While true, Lambda Invoke answers a service error (the function cannot be started). */
  failInvocations: boolean;
  /** The state table's items, unmarshalled. */
  scan(): Promise<Record<string, unknown>[]>;
  request<T = unknown>(
    method: string,
    path: string,
    opts?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<ApiAnswer<T>>;
  /** What the stream dispatcher would do after a write: project the session's tree view. */
  project(sessionId: string): Promise<void>;
  /** Every item of both tables and every invocation so far, as one comparable string. */
  snapshot(): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalApi(
  opts: { seed?: boolean; now?: string; extraEnv?: Record<string, string> } = {},
): Promise<LocalApiHarness> {
  const stage = `t${randomUUID().slice(0, 8)}`;
  const clock = new ManualClock(opts.now ?? '2030-01-01T08:00:00Z');
  setRuntimeClock(clock);

  const invocations: { function: string; payload: string }[] = [];
  const stub: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
      if (invoke && harness.failInvocations)
        return res
          .writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'ServiceException' })
          .end(JSON.stringify({ message: 'injected: the function could not be started' }));
      if (invoke) {
        invocations.push({ function: decodeURIComponent(invoke[1]!), payload: raw });
        return res.writeHead(202, { 'content-type': 'application/json' }).end('');
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const json = (body: unknown) =>
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      if (target === 'AWSEvents.DescribeEventBus') return json({ Name: busName(stage) });
      if (target === 'AWSStepFunctions.ListStateMachines') return json({ stateMachines: [] });
      res
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
    });
  });
  const port = await listenOnLoopback(stub, 0);
  const stubUrl = `http://127.0.0.1:${port}`;

  const names = {
    state: tableName(stage, 'state'),
    views: tableName(stage, 'views'),
    content: bucketName(stage, 'content'),
    artefacts: bucketName(stage, 'artefacts'),
  };
  const previous = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_EVENTBRIDGE: stubUrl,
    AWS_ENDPOINT_URL_SFN: stubUrl,
    AWS_ENDPOINT_URL_LAMBDA: stubUrl,
    AWS_LAMBDA_FUNCTION_NAME: 'lcm-local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    [ENV.stage]: stage,
    [ENV.stateTable]: names.state,
    [ENV.viewsTable]: names.views,
    [ENV.contentBucket]: names.content,
    [ENV.artefactsBucket]: names.artefacts,
    [ENV.eventBus]: busName(stage),
    [ENV.contentSyncFunction]: `${stage}-content-sync`,
    [ENV.jobRunnerFunction]: `${stage}-job-runner`,
    [ENV.webhookClients]: JSON.stringify(LOCAL_WEBHOOK_CLIENTS),
    ...opts.extraEnv,
  });
  resetClients();

  const ddb = new DynamoDBClient({});
  for (const t of system.tables) await createTable(ddb, tableName(stage, t.name), t);
  const s3 = new S3Client({ forcePathStyle: true });
  for (const b of [names.content, names.artefacts]) await s3.send(new CreateBucketCommand({ Bucket: b }));
  s3.destroy();

  const doc = testDocumentClient();
  const store = new StateStore(doc, names.state);
  if (opts.seed !== false)
    await seedCatalog({ store, dir: resolve(ROOT, 'seeds'), now: new Date(clock.now()).toISOString() });

  const fns = new LocalFunctions(system, { root: ROOT, region: REGION, accountId: ACCOUNT, stage });
  const api = createLocalApi({ system, fns, clock, accountId: ACCOUNT });

  async function scanAll(table: string): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  const harness: LocalApiHarness = {
    stage,
    clock,
    store,
    invocations,
    failInvocations: false,
    async scan() {
      return (await scanAll(names.state)).map((i) => unmarshall(i));
    },
    async request<T>(
      method: string,
      path: string,
      o: { body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<ApiAnswer<T>> {
      const body =
        o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      const res = await api.dispatch({
        method,
        url: path,
        headers: {
          ...(body !== undefined && typeof o.body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...o.headers,
        },
        ...(body === undefined ? {} : { body }),
      });
      const text = res.body?.toString('utf8') ?? '';
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      return { status: res.status, headers: res.headers, body: parsed as T, text };
    },
    async project(sessionId: string) {
      await new ViewStore(doc, names.views).projectSessionTree(store, sessionId);
    },
    async snapshot() {
      const key = (i: Record<string, AttributeValue>) => `${i.pk?.S}|${i.sk?.S}`;
      const tables = await Promise.all([names.state, names.views].map(scanAll));
      const sorted = tables.map((items) =>
        items
          .map((i) => [key(i), canonical(i)] as const)
          .sort((a, b) => (a[0] < b[0] ? -1 : 1))
          .map(([k, v]) => `${k}=${v}`),
      );
      return JSON.stringify({ tables: sorted, invocations: invocations.length });
    },
    async stop() {
      await new Promise<void>((r) => stub.close(() => r()));
      ddb.destroy();
      doc.destroy();
      for (const k of Object.keys(process.env)) if (!(k in previous)) delete process.env[k];
      Object.assign(process.env, previous);
      resetClients();
    },
  };
  return harness;
}

/** JSON with object keys sorted (DynamoDB returns an item's attributes in no fixed order). */
const canonical = (v: unknown): string => stableStringify(v) ?? 'undefined';

/** An API caller's headers: a local token for `client` with these `lcm/<scope>` scopes. */
export const callerHeaders = (client: string, ...scopes: string[]) => ({
  authorization: `Bearer ${localToken({ sub: client, client_id: client, scope: scopes.map((s) => `lcm/${s}`).join(' ') })}`,
});

/**
 * The next DynamoDB request the API's handlers send that `matches` lands, and then the invocation
 * fails (a timeout, a lost answer): what an Idempotency-Key must survive. Answers the undo.
 */
export function failAfterNextWrite(matches: (commandName: string, input: unknown) => boolean): () => void {
  const name = `fail-after-write-${randomUUID()}`;
  let armed = true;
  dynamoClient().middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (armed && matches(String(context.commandName), args.input)) {
        armed = false;
        throw Object.assign(new Error('the invocation timed out after its write'), { name: 'TimeoutError' });
      }
      return out;
    },
    { step: 'initialize', name },
  );
  return () => void dynamoClient().middlewareStack.remove(name);
}

/** A synced, ready pod definition that defines `jobs`: what `POST /v1/jobs` checks before storing a job. */
export const putReadyPodDefinition = (store: StateStore, id: string, jobs: string[]) =>
  store.put(
    { ...keys.podDefinition(id), id, name: 'fixture', status: 'ready', jobs, state_version: 1 },
    null,
  );
