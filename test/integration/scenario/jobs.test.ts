/**
 * The scenario engine through the local runtime: the sample lablet synced through the content
 * bucket, jobs submitted over HTTP, run by the job runner against the simulated device consoles,
 * reports stored in the artefacts bucket, events on the bus; and the Fargate entry killed
 * mid-job, which the state machine turns into a heartbeat timeout.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_ACCOUNT, startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';
import { runningTasks } from '../../../infra/local/tasks.ts';
import { samplePackage } from '../../unit/content/packages.ts';
import { lifecycleJobId } from '../../../shared/scenario/jobs.ts';
import { StateStore, type StoredItem } from '../../../shared/store/state-store.ts';
import { keys } from '../../../shared/store/keys.ts';
import { waitFor } from '../../helpers/wait.ts';

const FACTOR = 20;
const SECRET = 'e2e-Enable-Secret-7Qx';

const models = parse(
  readFileSync(new URL('../../../seeds/devices/lablet-ospf-basics.yaml', import.meta.url), 'utf8'),
) as {
  devices: Record<string, { enable_password: string; commands: Record<string, string> }>;
};

const extraJobs: Record<string, string> = {
  'PAv1/jobs/slow.yaml': `kind: JobDefinition
metadata: { name: slow, version: v1 }
spec:
  steps:
    - { id: warm, uses: pause@v1, with: { seconds: 1 } }
    - { id: stuck, uses: pause@v1, with: { seconds: 600 }, timeout: 10 }
    - { id: never, uses: pause@v1, with: { seconds: 1 } }
`,
  'PAv1/jobs/flaky.yaml': `kind: JobDefinition
metadata: { name: flaky, version: v1 }
spec:
  steps:
    - { id: clear, uses: exec@v1, target: rtr01, with: { command: "clear ip ospf process" }, on_error: { action: retry, retries: 3, backoff: 20 }, capture: { output: cleared } }
`,
  'PAv1/jobs/long.yaml': `kind: JobDefinition
metadata: { name: long, version: v1 }
spec:
  steps:
${[0, 1, 2, 3, 4, 5].map((i) => `    - { id: wait_${i}, uses: pause@v1, with: { seconds: 20 } }`).join('\n')}
`,
  'PAv1/jobs/tolerant.yaml': `kind: JobDefinition
metadata: { name: tolerant, version: v1 }
spec:
  steps:
    - { id: bogus, uses: collect@v1, target: rtr01, with: { command: "show bogus" }, on_error: { action: continue }, capture: { output: bogus_out } }
    - { id: neighbors, uses: collect@v1, target: rtr01, with: { command: "show ip ospf neighbor" }, capture: { output: nbrs } }
`,
  // Collects a whole device's worth of output (2 MB): far more than a DynamoDB item or an event holds.
  'PAv1/jobs/bulky.yaml': `kind: JobDefinition
metadata: { name: bulky, version: v1 }
spec:
  steps:
    - { id: tech, uses: collect@v1, target: rtr01, with: { command: "show tech-support" }, capture: { output: tech }, timeout: 600 }
    - { id: uptime, uses: evaluate.regex@v1, with: { source: "\${ .vars.tech }", regex: "uptime is (\\\\d+) weeks" }, capture: { groups: uptime } }
`,
  // Reads every string it can reach and captures @base64, ascii_upcase, explode and regex
  // groups of them: none may contain the enable password the connector resolved by reference.
  'PAv1/jobs/leaky.yaml': `kind: JobDefinition
metadata: { name: leaky, version: v1 }
spec:
  steps:
    - { id: cfg, uses: collect@v1, target: rtr01, with: { command: "show running-config | include enable" }, capture: { output: enable_line } }
    - { id: b64, uses: evaluate.regex@v1, with: { source: "\${ [(.runtime_env, .session, .vars) | .. | strings] | join(\\",\\") | @base64 }", regex: ".*" }, capture: { match: b64 } }
    - { id: upper, uses: evaluate.regex@v1, with: { source: "\${ [(.runtime_env, .session, .vars) | .. | strings] | join(\\",\\") | ascii_upcase }", regex: ".*" }, capture: { match: upper } }
    - { id: codes, uses: evaluate.regex@v1, with: { source: "\${ [(.runtime_env, .session, .vars) | .. | strings] | join(\\",\\") | explode | map(tostring) | join(\\",\\") }", regex: ".*" }, capture: { match: codes } }
    - { id: groups, uses: evaluate.regex@v1, with: { source: "\${ .vars.enable_line }", regex: "enable secret (\\\\S+)" }, capture: { groups: groups } }
    - { id: ready, uses: report.readiness@v1, with: { checks: "\${ [.vars.b64 != null] }" }, capture: { ready: is_ready } }
    - { id: bad_regex, uses: evaluate.regex@v1, with: { source: "x", regex: "\${ .vars.enable_line + \\"(\\" }" } }
`,
};

const lifecycle = readFileSync(
  new URL('../../../seeds/content/lablet-ospf-basics/PAv1/lifecycle.yaml', import.meta.url),
  'utf8',
)
  .replace(
    '    - name: collect\n',
    '    - name: monitor\n      jobs:\n        - { definition: long@v1, runtime: fargate }\n    - name: collect\n',
  )
  // A Fargate phase with a retry: a SIGKILLed task's retry takes the job over and completes it.
  .replace(
    '    - name: archive\n',
    '    - name: review\n      jobs:\n        - { definition: long@v1, runtime: fargate }\n      retry: { max_attempts: 2, backoff_seconds: 1 }\n    - name: archive\n',
  );

let rt: LocalRuntime;
let pdId: string;
const ports: Record<string, number> = {};
let output = '';
const restore: (() => void)[] = [];

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(rt.apiUrl + path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
}

interface Job {
  id: string;
  status: string;
  progress?: { step_id: string; status: string };
  steps?: { id: string; status: string; attempts: number; error?: { status: number } }[];
  outputs?: Record<string, unknown>;
  error?: { status: number; kind: string; step_id?: string; detail: string };
  report_ref?: string;
  reports?: { kind: string; ref: string }[];
  metadata: Record<string, unknown>;
}

/** A job's runtime_env names the pod's places, never credentials (connectors name those). */
const runtimeEnv = () => ({
  worker: { address: '127.0.0.1' },
  devices: Object.fromEntries(Object.keys(models.devices).map((n) => [n, { serial_port: ports[n] }])),
});

async function submit(job: string, metadata: Record<string, unknown>, env = runtimeEnv()) {
  const r = await api<{ job_id: string }>('POST', '/v1/jobs', {
    job,
    pod_definition_id: pdId,
    input: { runtime_env: env, session: { cut_score: 80 } },
    metadata,
  });
  expect(r.status).toBe(202);
  return r.body.job_id;
}
const settled = (id: string) =>
  waitFor(`job ${id} to end`, async () => {
    const j = (await api<Job>('GET', `/v1/jobs/${id}`)).body;
    return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
  });
const eventsOf = async (id: string) =>
  (
    await api<{ events: { 'detail-type': string; detail: { data: Record<string, unknown> } }[] }>(
      'GET',
      '/local/events/log',
    )
  ).body.events.filter((e) => e.detail?.data?.job_id === id);

/** Events reach the bus after the write that caused them (the stream is the outbox). */
const eventually = (id: string, type: string, n = 1) =>
  waitFor(`${n} ${type} for ${id}`, async () => {
    const got = (await eventsOf(id)).filter((e) => e['detail-type'] === `lcm.scenario_engine.job.${type}.v1`);
    return got.length >= n ? got : undefined;
  });

beforeAll(async () => {
  // Everything any handler prints while the suite runs, to search for secrets.
  for (const stream of [process.stdout, process.stderr]) {
    const orig = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return (orig as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = orig));
  }
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  rt = await startLocalRuntime({
    port: 0,
    clock: { kind: 'accelerated', factor: FACTOR },
    log: () => undefined,
  });
  for (const [name, m] of Object.entries(models.devices))
    ports[name] = await rt.consoles.addDevice({
      hostname: name,
      enablePassword: m.enable_password,
      commands: { ...m.commands },
    });
  const zip = await samplePackage('lablet-ospf-basics', { ...extraJobs, 'PAv1/lifecycle.yaml': lifecycle });
  const s3 = new S3Client({
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(
    new PutObjectCommand({ Bucket: rt.env.LCM_CONTENT_BUCKET, Key: 'it/lablet-jobs.zip', Body: zip }),
  );
  const pd = await waitFor(
    'the package to be ready',
    async () => {
      const r = await api<{ items: { id: string; status: string; error_detail?: unknown }[] }>(
        'GET',
        '/v1/pod-definitions?name=lablet-ospf-basics',
      );
      const failed = r.body.items.find((d) => d.status === 'failed');
      if (failed) throw new Error(JSON.stringify(failed.error_detail));
      return r.body.items.find((d) => d.status === 'ready');
    },
    480_000,
  );
  pdId = pd.id;
  // A hang guard only: on a machine shared with other suites, starting the runtime and syncing
  // the package can take minutes.
}, 600_000);

afterAll(async () => {
  restore.forEach((f) => f());
  await rt?.stop();
});

describe('jobs through the local runtime', () => {
  it("the sample lablet's grade job scores 100 against the correct devices, and exactly the two changed items fail after two answers change", async () => {
    const first = await settled(await submit('grade@v1', { ticket: 'T-1' }));
    expect(first.status, JSON.stringify(first.error)).toBe('completed');
    const s3 = new S3Client({
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const read = async (ref: string) => {
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref)!;
      return JSON.parse(
        await (await s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }))).Body!.transformToString(),
      ) as {
        points_awarded: number;
        percentage: number;
        per_item: { id: string; passed: boolean; issues: string[] }[];
      };
    };
    const full = await read(first.report_ref!);
    expect(full).toMatchObject({ points_awarded: 100, percentage: 100 });

    rt.consoles.setAnswer(
      'rtr01',
      'show ip route ospf',
      'Gateway of last resort is not set\nO        2.2.2.2 [110/2] via 10.0.0.2',
    );
    rt.consoles.setAnswer(
      'rtr02',
      'show ip ospf interface brief',
      'Interface    PID   Area  IP Address/Mask  Cost  State Nbrs F/C\nGi0/1        1     51    10.0.0.2/24      1     BDR   2/2',
    );
    try {
      const second = await settled(await submit('grade@v1', { ticket: 'T-2' }));
      const r = await read(second.report_ref!);
      const failed = r.per_item.filter((i) => !i.passed);
      expect(failed.map((i) => i.id)).toEqual(['r1-loopbacks', 'r2-area0']);
      expect(failed.map((i) => i.issues)).toEqual([
        ['rtr01 does not learn 3.3.3.3/32 via OSPF'],
        ['Gi0/1 on rtr02 is not in OSPF area 0'],
      ]);
      expect(r).toMatchObject({ points_awarded: 75, percentage: 75 });
      await eventually(second.id, 'completed');
      const types = (await eventsOf(second.id)).map((e) => e['detail-type']);
      expect(types[0]).toBe('lcm.scenario_engine.job.started.v1');
      expect(types.at(-1)).toBe('lcm.scenario_engine.job.completed.v1');
      expect(types.filter((t) => t.endsWith('progress.v1'))).toHaveLength(9);
      expect(new Set((await eventsOf(second.id)).map((e) => JSON.stringify(e.detail.data.metadata)))).toEqual(
        new Set(['{"ticket":"T-2"}']),
      );
    } finally {
      for (const [n, m] of Object.entries(models.devices))
        for (const [c, o] of Object.entries(m.commands)) rt.consoles.setAnswer(n, c, o);
    }
  });

  it('a step that times out fails the job with 408, and the failed event echoes the metadata', async () => {
    const id = await submit('slow@v1', { case: 'timeout' });
    const j = await settled(id);
    expect(j).toMatchObject({ status: 'failed', error: { status: 408, kind: 'timeout', step_id: 'stuck' } });
    expect(j.steps!.map((s) => s.id)).toEqual(['warm', 'stuck']);
    const failed = await eventually(id, 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail.data).toMatchObject({ metadata: { case: 'timeout' }, error: { status: 408 } });
  });

  it('a step that fails, retries, and then succeeds completes the job', async () => {
    const id = await submit('flaky@v1', { case: 'retry' });
    await waitFor(
      'a retry',
      async () => (await api<Job>('GET', `/v1/jobs/${id}`)).body.progress?.status === 'retrying',
    );
    rt.consoles.setAnswer('rtr01', 'clear ip ospf process', 'Reset ALL OSPF processes? [no]: yes');
    const j = await settled(id);
    expect(j.status).toBe('completed');
    expect(j.steps![0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(j.outputs!.cleared).toContain('Reset ALL OSPF');
    await eventually(id, 'completed');
    const types = (await eventsOf(id)).map((e) => e['detail-type'].split('.').at(-2));
    expect(types).toContain('progress');
    expect(types.at(-1)).toBe('completed');
  });

  it('DELETE cancels a running job between steps: it ends cancelled with a cancelled event', async () => {
    const id = await submit('long@v1', { case: 'cancel' });
    await waitFor('the first step', async () => (await api<Job>('GET', `/v1/jobs/${id}`)).body.progress);
    expect((await api<Job>('DELETE', `/v1/jobs/${id}`)).status).toBe(202);
    const j = await settled(id);
    expect(j.status).toBe('cancelled');
    expect(j.steps!.length).toBeLessThan(6);
    const cancelled = await eventually(id, 'cancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.detail.data.metadata).toEqual({ case: 'cancel' });
  });

  it('on_error: continue records the failed step and the job completes', async () => {
    const j = await settled(await submit('tolerant@v1', { case: 'continue' }));
    expect(j.status).toBe('completed');
    expect(j.steps!.map((s) => [s.id, s.status])).toEqual([
      ['bogus', 'continued'],
      ['neighbors', 'succeeded'],
    ]);
    expect(j.steps![0]!.error!.status).toBe(422);
    expect(String(j.outputs!.nbrs)).toContain('FULL');
  });

  it('a job collecting 2 MB of device output completes: its record stays under 400 KB and its event under 256 KB, and the whole output is one link away', async () => {
    const line = (i: number) =>
      `line ${String(i).padStart(6, '0')} of the tech-support output: interface counters and more\n`;
    let big = 'rtr01 uptime is 12 weeks, 3 days\n';
    for (let i = 0; big.length < 2 * 1024 * 1024; i++) big += line(i);
    rt.consoles.setAnswer('rtr01', 'show tech-support', big.trimEnd());
    const id = await submit('bulky@v1', { case: 'bulky' });
    const j = await settled(id);
    expect(j.status, JSON.stringify(j.error)).toBe('completed');
    // The small capture stays inline; the big one is a reference into the stored document.
    expect(j.outputs).toMatchObject({ uptime: ['12'] });
    expect(j.outputs!.tech).toMatchObject({ pointer: '/tech', bytes: expect.any(Number) });
    const stored = await new StateStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({})),
      rt.env.LCM_STATE_TABLE!,
    ).get(keys.job(id));
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(400 * 1024);
    const [completed] = await eventually(id, 'completed');
    expect(Buffer.byteLength(JSON.stringify(completed))).toBeLessThan(256 * 1024);
    expect(completed!.detail.data.outputs_ref).toMatch(new RegExp(`^s3://[^/]+/outputs/${id}/run-1\\.json$`));
    // The whole output, from the link GET /v1/jobs/{id} answers (presigned, short-lived).
    const view = (await api<Job & { outputs_url: string }>('GET', `/v1/jobs/${id}`)).body;
    const doc = (await (await fetch(view.outputs_url)).json()) as Record<string, unknown>;
    expect(doc.tech).toBe(big.trimEnd());
  });

  it('no stream record was dead-lettered while the jobs ran', async () => {
    const dl = await api<{ events: unknown[]; streams: unknown[] }>('GET', '/local/dead-letters');
    expect(dl.body).toEqual({ events: [], streams: [], async: [] });
  });

  it("a job runner's asynchronous invocation that keeps failing is retried per its EventInvokeConfig, then dead-lettered with the job id only (no secret); the redrive runs the job", async () => {
    // The device credentials (the CML secret) hold SECRET; the job's connectors name them.
    const creds = rt.env.LCM_CML_CREDENTIALS!;
    const cmlPassword = (JSON.parse(creds) as { cml: { password: string } }).cml.password;
    rt.env.LCM_CML_CREDENTIALS = JSON.stringify({
      ...(JSON.parse(creds) as object),
      devices: { enable_password: SECRET },
    });
    rt.refreshEnvironments();
    // The runner's role loses its grants for a while: each attempt fails in the handler
    // (its DynamoDB calls are denied), as a runner that cannot reach its store would.
    const get = rt.principals.get;
    rt.principals.get = (pid) => {
      const p = get(pid);
      return pid === 'function/job-runner' && p ? { ...p, statements: [] } : p;
    };
    let id = '';
    type Letter = {
      destination?: string;
      record: {
        requestContext: Record<string, unknown>;
        requestPayload: unknown;
        responsePayload: Record<string, unknown>;
      };
    };
    let letter: Letter;
    try {
      id = await submit('grade@v1', { case: 'async-dead-letter' });
      letter = await waitFor('the async dead letter', async () =>
        (await api<{ async?: Letter[] }>('GET', '/local/dead-letters')).body.async?.find(
          (d) => JSON.stringify(d.record.requestPayload) === JSON.stringify({ job_id: id }),
        ),
      );
    } finally {
      rt.principals.get = get;
      rt.env.LCM_CML_CREDENTIALS = creds;
      rt.refreshEnvironments();
    }
    expect(letter.destination).toBe(`arn:aws:sqs:us-east-1:${LOCAL_ACCOUNT}:local-lcm-job-runner-async-dlq`);
    expect(letter.record.requestContext).toMatchObject({
      functionArn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:local-job-runner:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(letter.record.responsePayload.errorType).toBe('AccessDeniedException');
    // The invocation carries the job id, never its input or a credential (D40).
    expect(letter.record.requestPayload).toEqual({ job_id: id });
    const text = JSON.stringify(letter);
    for (const f of [
      SECRET,
      SECRET.toUpperCase(),
      Buffer.from(SECRET).toString('base64').slice(0, 12),
      [...SECRET].map((c) => c.codePointAt(0)).join(','),
      cmlPassword,
      'runtime_env',
    ])
      expect(text, f).not.toContain(f);
    expect((await api<Job>('GET', `/v1/jobs/${id}`)).body.status).toBe('submitted');
    // `lcm ops redrive`'s logic hands the letter back to the runner, which now runs the job.
    const r = await api<{ rows: { kind: string; outcome: string; target: string }[] }>(
      'POST',
      '/local/dead-letters/redrive',
    );
    expect(r.body.rows).toContainEqual(
      expect.objectContaining({
        kind: 'async',
        outcome: 'redriven',
        target: expect.stringContaining('job-runner'),
      }),
    );
    expect((await settled(id)).status).toBe('completed');
    const after = (await api<{ async: Letter[] }>('GET', '/local/dead-letters')).body.async;
    expect(after.filter((d) => JSON.stringify(d.record.requestPayload).includes(id))).toEqual([]);
  });

  it('credentials sent in a job request are refused, naming where and not what', async () => {
    const env = runtimeEnv();
    (env.devices.rtr01 as Record<string, unknown>).enable_password = SECRET;
    const r = await api<{ status: number; errors: { pointer: string }[] }>('POST', '/v1/jobs', {
      job: 'grade@v1',
      pod_definition_id: pdId,
      input: { runtime_env: env },
    });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e) => e.pointer)).toEqual(['/input/runtime_env/devices/rtr01/enable_password']);
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
  });

  it('a job capturing @base64, ascii_upcase, explode and regex groups of everything it sees leaks the resolved secret into no log line, event, job record, API answer or report', async () => {
    rt.consoles.setAnswer('rtr01', 'show running-config | include enable', `enable secret ${SECRET}`);
    const device = rt.consoles.device('rtr01')!;
    device.enablePassword = SECRET;
    // The product's device credentials (the CML secret) hold it; the job names them by reference.
    // (Each function runs with its own environment: the runtime's stand-in secret is rotated.)
    const creds = rt.env.LCM_CML_CREDENTIALS!;
    rt.env.LCM_CML_CREDENTIALS = JSON.stringify({
      ...(JSON.parse(creds) as object),
      devices: { enable_password: SECRET },
    });
    rt.refreshEnvironments();
    const id = await submit('leaky@v1', { case: 'secret' });
    const j = await settled(id).finally(() => {
      device.enablePassword = models.devices.rtr01!.enable_password;
      rt.env.LCM_CML_CREDENTIALS = creds;
      rt.refreshEnvironments();
    });
    expect(j.status, JSON.stringify(j)).toBe('failed'); // the last step's regex is invalid, and its error names the expression
    expect(j.error).toMatchObject({ step_id: 'bad_regex' });
    expect(j.outputs, JSON.stringify(j)).toMatchObject({
      enable_line: 'enable secret ***',
      groups: ['***'],
      is_ready: true,
    });
    const stored = await new StateStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({})),
      rt.env.LCM_STATE_TABLE!,
    ).get(keys.job(id));
    const s3 = new S3Client({
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(j.reports![0]!.ref)!;
    const report = await (
      await s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }))
    ).Body!.transformToString();
    await eventually(id, 'failed');
    // The bus's and the stream's dead letters too: what lands there is what was published.
    const deadLetters = (await api<unknown>('GET', '/local/dead-letters')).body;
    const all = JSON.stringify({ job: j, stored, events: await eventsOf(id), report, deadLetters }) + output;
    expect(all).toContain(id); // the search covers this job's traces
    const forms = [
      SECRET,
      SECRET.toUpperCase(),
      Buffer.from(SECRET).toString('base64').slice(0, 12),
      [...SECRET].map((c) => c.codePointAt(0)).join(','),
    ];
    for (const f of forms) expect(all, f).not.toContain(f);
  });
});

/**
 * A session that has ended (so the reconciler leaves it alone) with one part and, when `placed`, a
 * pod on a worker whose consoles are the simulated devices: what a phase's job reads its scopes from.
 */
async function endedSessionWithPod(sessionId: string, placed: boolean) {
  const store = new StateStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), rt.env.LCM_STATE_TABLE!);
  const now = new Date(rt.clock.now()).toISOString();
  const base = { state_version: 1, state_history: [], created_at: now, updated_at: now };
  const timeslot = { start: now, end: new Date(rt.clock.now() + 3600_000).toISOString() };
  await store.put(
    {
      ...keys.session(sessionId),
      ...base,
      entity: 'session',
      id: sessionId,
      status: 'completed',
      desired_status: 'completed',
      session_type: 'lablet',
      part_execution: 'single',
      timeslot,
      candidate: { candidate_id: 'c-1' },
    },
    null,
  );
  await store.put(
    {
      ...keys.part(sessionId, 1),
      ...base,
      entity: 'part',
      id: `${sessionId}.p1`,
      session_id: sessionId,
      order: 1,
      name: 'lab',
      status: 'archived',
      desired_status: 'archived',
      form: { fqn: 'x', version: '1' },
      timeslot,
      phases: {},
    },
    null,
  );
  if (placed) {
    const worker = `wrk_${sessionId.slice(4)}`;
    // Not listed by the fleet (no listing key): only this pod names it.
    await store.put({ ...keys.worker(worker), ...base, id: worker, address: '127.0.0.1' }, null);
    await store.put(
      {
        ...keys.pod(sessionId, 1),
        ...base,
        entity: 'pod',
        id: `${sessionId}.pod1`,
        session_id: sessionId,
        part_order: 1,
        index: 0,
        pod_type: 'cml_on_aws',
        pod_definition_id: pdId,
        status: 'terminated',
        desired_status: 'terminated',
        host_id: worker,
        ports: Object.fromEntries(Object.entries(ports).map(([n, p]) => [`${n}_serial`, p])),
      },
      null,
    );
  }
  return store;
}

/** Starts one phase's compiled state machine for part 1 of `sessionId`; answers its ARN. */
async function startPhase(sessionId: string, phase: string, name: string) {
  const pd = (await api<{ state_machines: Record<string, string> }>('GET', `/v1/pod-definitions/${pdId}`))
    .body;
  const machine = pd.state_machines[phase]!;
  const { executionArn } = await new SFNClient({}).send(
    new StartExecutionCommand({
      stateMachineArn: `arn:aws:states:${rt.env.AWS_REGION}:${LOCAL_ACCOUNT}:stateMachine:${machine}`,
      name: `${machine}-${name}`,
      input: JSON.stringify({
        session_id: sessionId,
        part_order: 1,
        phase,
        attempt: 1,
        pod_definition_id: pdId,
        pods: [],
        cleanup: false,
      }),
    }),
  );
  return executionArn!;
}

const executionEnd = (executionArn: string, ms = 120_000) =>
  waitFor(
    'the execution to end',
    async () => {
      const d = await new SFNClient({}).send(new DescribeExecutionCommand({ executionArn }));
      return d.status !== 'RUNNING' ? d : undefined;
    },
    ms,
  );

describe('phase retries through Step Functions', () => {
  it('with the console dropped on the first attempt and retry.max_attempts: 2, the grade phase succeeds and the score is recorded', async () => {
    const sessionId = 'ses_dropgrade01';
    const store = await endedSessionWithPod(sessionId, true);
    rt.consoles.dropNext('rtr01', 1);
    const ended = await executionEnd(await startPhase(sessionId, 'grade', 'drop-1'));
    expect(ended.status, ended.cause).toBe('SUCCEEDED');
    const part = await store.get<
      StoredItem & { score_report?: { points_awarded: number; points_max: number } }
    >(keys.part(sessionId, 1));
    expect(part?.score_report).toMatchObject({ points_awarded: 100, points_max: 100 });
    // One job, run twice: the first run failed on the dropped console, the retry ran it afresh.
    const job = await store.get<StoredItem & Job & { run: number; runs: unknown[] }>(
      keys.job(
        lifecycleJobId({ session_id: sessionId, part_order: 1, phase: 'grade', attempt: 1 }, 'grade@v1'),
      ),
    );
    expect(job).toMatchObject({ status: 'completed', run: 2 });
    expect(job!.runs).toMatchObject([{ run: 1, status: 'failed', error: { kind: 'communication-error' } }]);
  });
});

describe('the Fargate job entry', () => {
  it('SIGKILLed mid-job in a phase with a retry: the retry takes the job over and completes it; no record stays running', async () => {
    const sessionId = 'ses_fargatekill02';
    const store = await endedSessionWithPod(sessionId, false);
    const executionArn = await startPhase(sessionId, 'review', 'kill-retry-1');
    const jobId = lifecycleJobId(
      { session_id: sessionId, part_order: 1, phase: 'review', attempt: 1 },
      'long@v1',
    );
    await waitFor(
      'the task to start the job',
      async () => (await store.get<StoredItem & Job>(keys.job(jobId)))?.progress,
      120_000, // a process start on a busy machine
    );
    expect(runningTasks.size).toBe(1);
    for (const child of runningTasks) child.kill('SIGKILL');
    // The heartbeat timeout fails the first attempt; the retry starts a new task, which waits for
    // the killed task's lease to run out and takes the job over.
    const ended = await executionEnd(executionArn, 240_000);
    expect(ended.status, ended.cause).toBe('SUCCEEDED');
    const job = await store.get<StoredItem & Job & { run: number; runs: { error?: { detail: string } }[] }>(
      keys.job(jobId),
    );
    expect(job).toMatchObject({ status: 'completed', run: 2 });
    expect(job!.runs).toMatchObject([{ run: 1, status: 'failed' }]);
    expect(job!.runs[0]!.error!.detail).toMatch(/lease/);
    expect(job).not.toHaveProperty('lease_owner');
    // The retry's task exits once it has reported: no task is left for the next test.
    await waitFor('the task to exit', async () => runningTasks.size === 0);
  }, 300_000);

  it('killed mid-job, the phase fails on its heartbeat timeout instead of hanging', async () => {
    const store = new StateStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({})),
      rt.env.LCM_STATE_TABLE!,
    );
    const sessionId = 'ses_fargatekill01';
    const now = new Date(rt.clock.now()).toISOString();
    const base = { state_version: 1, state_history: [], created_at: now, updated_at: now };
    const timeslot = { start: now, end: new Date(rt.clock.now() + 3600_000).toISOString() };
    await store.put(
      {
        ...keys.session(sessionId),
        ...base,
        entity: 'session',
        id: sessionId,
        status: 'completed',
        desired_status: 'completed',
        session_type: 'lablet',
        part_execution: 'single',
        timeslot,
        candidate: { candidate_id: 'c-1' },
      },
      null,
    );
    await store.put(
      {
        ...keys.part(sessionId, 1),
        ...base,
        entity: 'part',
        id: `${sessionId}.p1`,
        session_id: sessionId,
        order: 1,
        name: 'lab',
        status: 'archived',
        desired_status: 'archived',
        form: { fqn: 'x', version: '1' },
        timeslot,
        phases: {},
      },
      null,
    );
    const pd = (await api<{ state_machines: Record<string, string> }>('GET', `/v1/pod-definitions/${pdId}`))
      .body;
    const machine = pd.state_machines.monitor!;
    const sfn = new SFNClient({});
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `arn:aws:states:${rt.env.AWS_REGION}:${LOCAL_ACCOUNT}:stateMachine:${machine}`,
        name: `${machine}-kill-1`,
        input: JSON.stringify({
          session_id: sessionId,
          part_order: 1,
          phase: 'monitor',
          attempt: 1,
          pod_definition_id: pdId,
          pods: [],
          cleanup: false,
        }),
      }),
    );
    const jobId = lifecycleJobId(
      { session_id: sessionId, part_order: 1, phase: 'monitor', attempt: 1 },
      'long@v1',
    );
    // An exam (lifecycle) job is not reachable through /v1/jobs (D66): read its record.
    await waitFor(
      'the task to start the job',
      async () => (await store.get<StoredItem & Job>(keys.job(jobId)))?.progress,
      120_000, // a process start on a busy machine
    );
    expect(runningTasks.size).toBe(1);
    for (const child of runningTasks) child.kill('SIGKILL');
    const ended = await waitFor(
      'the execution to end',
      async () => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return d.status !== 'RUNNING' ? d : undefined;
      },
      30_000,
    );
    // The heartbeat ended it (60 s of clock time), not the hour-long task timeout (States.Timeout).
    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('States.HeartbeatTimeout');
  });
});
