/** Every Lambda bundle, built with the construct's own esbuild options, stays under 1.5 MB. */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, type Metafile } from 'esbuild';
import { App, Stack } from 'aws-cdk-lib';
import { LcmFunction } from '../../../infra/cdk/lcm-function.ts';
import { system } from '../../../infra/system.ts';
import { functionName } from '../../../infra/naming.ts';
import { BUNDLE_ENTRY, esbuildOptions, inlineSchemaKeys } from '../../../infra/cdk/bundling.ts';
import { jqGlueSourcePath, jqWasmPath } from '../../../infra/cdk/job-task.ts';

const root = resolve(import.meta.dirname, '../../..');
// Inside the repository (git-ignored), so a bundle's external AWS SDK imports resolve from
// node_modules when it is loaded, as they resolve from the runtime's SDK in Lambda.
mkdirSync(join(root, '.build'), { recursive: true });
const out = mkdtempSync(join(root, '.build', 'test-bundles-'));
const MB = 1024 * 1024;
/**
 * The SDK clients a handler imports statically are bundled (D189): 1 MB became 1.5 MB (the content
 * functions carry yaml, yauzl, jq-wasm, ajv and three clients). Lambda allows 50 MB zipped; what a
 * cold start pays is CPU, which bundling cut 2–3× (docs/performance.md).
 */
const MAX_BUNDLE_BYTES = 1.5 * MB;

/**
 * What each handler's bundle loads on its cold start (issue 17, D181–D182): the AWS SDK packages
 * it imports and the heavy bundled packages its code reaches through static imports (a package
 * reached only through a dynamic `import()` loads when first used, not at cold start). A handler
 * loads what its own code uses and nothing else; a change that makes a bundle load more fails
 * here, whatever the machine's speed. Add a package only for a handler that calls it.
 */
const LOADS: Record<string, string[]> = {
  // `ajv` is the schema compiler: the API functions validate requests with the validators compiled
  // ahead of time (D186) and do not load it; content and seed validation still compile theirs.
  'lambdas/get-system.ts': ['metrics', 'middy'],
  // Its Idempotency-Key is a record in the booking's own transaction (D236), not Powertools'.
  'lambdas/sessions-api.ts': ['client-dynamodb', 'lib-dynamodb', 'util-dynamodb', 'metrics', 'middy'],
  // EC2 and S3 left the workers API (D187): it never calls EC2, and loads S3 on the first pod
  // definition an availability answer reads.
  'lambdas/workers-api.ts': ['client-dynamodb', 'lib-dynamodb', 'util-dynamodb', 'metrics', 'middy'],
  'lambdas/catalog-api.ts': ['client-dynamodb', 'lib-dynamodb', 'util-dynamodb', 'metrics', 'middy'],
  // The content API's list and read routes need the state table only: S3 and Lambda load on
  // first use, the sync pipeline (package reader, yaml, ajv, jq) on the first sync request (D210).
  'lambdas/content-api.ts': ['client-dynamodb', 'lib-dynamodb', 'util-dynamodb', 'metrics', 'middy'],
  // Lambda on the first submit, S3 and its presigner on the first outputs link (D211). Its
  // Idempotency-Key is a record in the job's own transaction (D238), not Powertools'.
  'lambdas/jobs-api.ts': ['client-dynamodb', 'lib-dynamodb', 'util-dynamodb', 'metrics', 'middy'],
  // Every run reads its pod definition's document (S3); Secrets Manager loads on the first
  // secret read (D212). The runner never submits a job: the jobs API's idempotent submit is not
  // loaded (D228).
  'lambdas/run-job.ts': ['client-dynamodb', 'client-s3', 'lib-dynamodb', 'util-dynamodb'],
  'lambdas/native-steps.ts': ['client-dynamodb', 'lib-dynamodb', 'util-dynamodb'],
  // Every sync reads (S3), unzips, parses and validates the package (yauzl, yaml, ajv, jq); the
  // state machine compiler and its validator load on the first package compiled (D227).
  'lambdas/sync-content.ts': [
    'client-dynamodb',
    'client-s3',
    'client-sfn',
    'lib-dynamodb',
    'util-dynamodb',
    'ajv',
    'jq-wasm',
    'yaml',
    'yauzl',
  ],
  // The outbox marks its records itself (D234): Powertools idempotency is not loaded.
  'lambdas/dispatch-stream.ts': [
    'client-dynamodb',
    'client-eventbridge',
    'lib-dynamodb',
    'util-dynamodb',
    'batch',
  ],
  // The reconciler's Lambda, ECS and S3 clients load on first use (D188).
  'lambdas/reconcile-sessions.ts': ['client-dynamodb', 'client-sfn', 'lib-dynamodb', 'util-dynamodb'],
  'lambdas/reconcile-fleet.ts': ['client-dynamodb', 'client-ec2', 'lib-dynamodb', 'util-dynamodb'],
  'lambdas/accept-inbound-event.ts': [
    'client-dynamodb',
    'lib-dynamodb',
    'util-dynamodb',
    'idempotency',
    'metrics',
    'middy',
  ],
  // Every seeding in Lambda registers the standard lifecycle's machines: the compiler, its
  // validator and Step Functions are needed by every invocation.
  'lambdas/seed-catalog.ts': [
    'client-dynamodb',
    'client-sfn',
    'lib-dynamodb',
    'util-dynamodb',
    'ajv',
    'asl-validator',
    'jsonata',
    'yaml',
  ],
};
/** Bundled packages worth watching (short names as in LOADS); the SDK is external and always listed. */
const HEAVY: Record<string, string> = {
  ssh2: 'ssh2',
  yaml: 'yaml',
  yauzl: 'yauzl',
  'jq-wasm': 'jq-wasm',
  ajv: 'ajv',
  // The state machine compiler's validator (D214), and jsonata it loads; content-sync loads them
  // with the compiler on the first package it compiles (D227).
  'asl-validator': 'asl-validator',
  jsonata: 'jsonata',
  '@aws-lambda-powertools/idempotency': 'idempotency',
  '@aws-lambda-powertools/batch': 'batch',
  '@aws-lambda-powertools/metrics': 'metrics',
  '@middy/core': 'middy',
};

const SDK_DEPENDENCIES = new Set(
  Object.keys(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
      .dependencies,
  ).filter((d) => d.startsWith('@aws-sdk/')),
);

/** A bundle is a directory (D241): index.mjs and the chunks split off it; every output's inputs and imports. */
function wholeBundle(metafile: Metafile) {
  const outputs = Object.values(metafile.outputs);
  const inputs: Record<string, { bytesInOutput: number }> = {};
  for (const o of outputs)
    for (const [f, v] of Object.entries(o.inputs))
      inputs[f] = { bytesInOutput: (inputs[f]?.bytesInOutput ?? 0) + v.bytesInOutput };
  return {
    inputs,
    imports: outputs.flatMap((o) => o.imports),
    bytes: outputs.reduce((n, o) => n + o.bytes, 0),
  };
}

/** Every JavaScript file of a bundle directory, as one text (for what its code contains). */
const bundleText = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');

/** The packages a bundle loads at cold start: its static SDK imports and the heavy packages its entry reaches without a dynamic import. */
function loadedAtColdStart(metafile: Metafile, entry: string): string[] {
  const output = wholeBundle(metafile);
  // The SDK packages it imports statically: bundled (D189), or external ones.
  const sdk = output.imports
    .filter((i) => i.external && i.kind === 'import-statement' && i.path.startsWith('@aws-sdk/'))
    .map((i) => i.path.slice('@aws-sdk/'.length));
  const seen = new Set([entry]);
  const queue = [entry];
  for (let f = queue.shift(); f !== undefined; f = queue.shift())
    for (const i of metafile.inputs[f]?.imports ?? [])
      if (i.kind !== 'dynamic-import' && !i.external && !seen.has(i.path)) {
        seen.add(i.path);
        queue.push(i.path);
      }
  const heavy = new Set<string>();
  for (const f of seen) {
    // The standalone validators (D186) import two small helpers from ajv's and ajv-formats'
    // runtime folders; `ajv` in LOADS is the compiler, which they do not load.
    if (/node_modules\/(ajv\/dist\/runtime|ajv-formats\/dist\/formats\.js)/.test(f)) continue;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1];
    if (pkg && HEAVY[pkg]) heavy.add(HEAVY[pkg]);
    // A bundled SDK package the product depends on (its own dependencies are not listed).
    if (pkg?.startsWith('@aws-sdk/') && SDK_DEPENDENCIES.has(pkg)) heavy.add(pkg.slice('@aws-sdk/'.length));
  }
  return [...new Set([...sdk, ...heavy])].sort();
}

describe('Lambda bundles', () => {
  it.each(system.functions.map((f) => [f.name, f.entry] as const))(
    '%s is under 1.5 MB, loads in a fresh Node process, and loads at cold start only what its code uses',
    async (name, entry) => {
      const dir = join(out, name);
      const { metafile } = await build(esbuildOptions(join(root, entry), dir));
      const size = wholeBundle(metafile!).bytes;
      expect(size).toBeGreaterThan(1000);
      expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
      // Cold start (issue 17): @aws-sdk/client-ec2 is the largest SDK client (most of a cold
      // import's CPU for a handler that does not need it); a bundle loads it only when its code
      // reaches EC2 (the EC2 adapter or the EC2 client's own module), not through the shared
      // client registry.
      const output = wholeBundle(metafile!);
      const loadsEc2 =
        output.imports.some((i) => i.path === '@aws-sdk/client-ec2') ||
        Object.keys(output.inputs).some((f) => f.includes('node_modules/@aws-sdk/client-ec2/'));
      const reachesEc2 = Object.keys(output.inputs).some((f) =>
        ['shared/runtime/aws-ec2.ts', 'shared/adapters/ec2.ts'].includes(f),
      );
      expect(loadsEc2, `${name} loads @aws-sdk/client-ec2 without using EC2`).toBe(reachesEc2);
      // The SDK packages a handler imports statically are bundled, not loaded from the runtime's
      // node_modules (D189: 2–3× the CPU); only those it imports on first use stay external.
      const externalSdk = output.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/'));
      expect(externalSdk.filter((i) => i.kind !== 'dynamic-import').map((i) => i.path)).toEqual([]);
      expect(loadedAtColdStart(metafile!, entry), `what ${entry} loads at cold start`).toEqual(
        [...(LOADS[entry] ?? ['(not listed in LOADS)'])].sort(),
      );
      // A handler that bundles S3 carries the commands it sends, not the whole client (D240): a
      // dynamic `import('@aws-sdk/client-s3')` reached anywhere in its bundle made esbuild keep
      // every S3 command and schema (157 KB of S3 in content-sync and the job runner, 44 KB now).
      if (LOADS[entry]?.includes('client-s3')) {
        const s3Bytes = Object.entries(output.inputs)
          .filter(([f]) => f.includes('node_modules/@aws-sdk/client-s3/'))
          .reduce((n, [, v]) => n + v.bytesInOutput, 0);
        expect(s3Bytes, `${name}: S3's share of the bundle`).toBeLessThan(80 * 1024);
        const text = bundleText(dir);
        expect(text).toContain('GetObjectRequest');
        expect(text, `${name} carries an S3 command it never sends`).not.toContain('ListObjectsV2');
      }
      // The bundle loads in a fresh Node process as Lambda loads it (an ES module, no CommonJS
      // globals): bundled CommonJS code that reads `__dirname` at load (ssh2 did) would fail
      // every cold start with a ReferenceError. It loads from a directory outside the repository,
      // with no node_modules to fall back on, as in Lambda: a package the bundle requires at
      // runtime instead of carrying it (`createRequire(…)('asl-validator')` did, D214) fails
      // there. Only the SDK packages it imports on first use are external; none loads at import.
      // Every chunk is copied with it, and every chunk is imported: one that only a dynamic
      // `import()` reaches (loaded on first use) must load there too (D241).
      const alone = mkdtempSync(join(tmpdir(), `lcm-bundle-${name}-`));
      cpSync(dir, alone, { recursive: true });
      const files = readdirSync(alone).filter((f) => f.endsWith('.mjs'));
      expect(files).toContain(BUNDLE_ENTRY);
      const r = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          [BUNDLE_ENTRY, ...files.filter((f) => f !== BUNDLE_ENTRY).sort()]
            .map((f) => `await import(${JSON.stringify(join(alone, f))});`)
            .join(' '),
        ],
        {
          cwd: alone,
          encoding: 'utf8',
          timeout: 120_000,
          env: {
            ...process.env,
            AWS_REGION: 'us-east-1',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        },
      );
      expect(r.stderr.slice(-600), `${name}: the bundle fails to load`).toBe('');
      expect(r.status).toBe(0);
    },
    180_000,
  );
});

describe('jq in a bundle', () => {
  it('a bundled job runner evaluates jq in its worker thread from jq.wasm and jq-wasm.cjs beside it (no node_modules), and ends a runaway expression', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lcm-jq-bundle-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { evaluateJq } from ${JSON.stringify(join(root, 'shared/scenario/jq.ts'))};
const s = { session: {}, content: {}, runtime_env: {}, vars: { x: 41 } };
const ok = await evaluateJq('.vars.x + 1', s);
const err = await evaluateJq('def f: f; f', s, { maxMs: 300 }).then(() => 'returned', (e) => e.kind);
console.log(JSON.stringify({ ok, err, again: await evaluateJq('$vars.x', s) }));
process.exit(0);`,
    );
    await build(esbuildOptions(entry, dir));
    const outfile = join(dir, BUNDLE_ENTRY);
    copyFileSync(jqWasmPath(root), join(dir, 'jq.wasm'));
    copyFileSync(jqGlueSourcePath(root), join(dir, 'jq-wasm.cjs'));
    const r = spawnSync(process.execPath, [outfile], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ok: 42, err: 'timeout', again: 41 });
  }, 90_000);
});

describe('SDK schemas tree-shaken in a bundle (D225)', () => {
  it('rewrites a computed key naming a string constant of the module, and nothing else', () => {
    const src = [
      'const _xN = "xmlName";',
      'const _o = `other`;',
      'export var A$ = [3, n0, _A, 0, [_I], [[0, { [_xN]: _i }], [0, { [_o]: 1, [_zz]: 2 }]]];',
    ].join('\n');
    expect(inlineSchemaKeys(src)).toBe(
      [
        'const _xN = "xmlName";',
        'const _o = `other`;',
        'export var A$ = [3, n0, _A, 0, [_I], [[0, { ["xmlName"]: _i }], [0, { [_o]: 1, [_zz]: 2 }]]];',
      ].join('\n'),
    );
  });

  it('the fleet reconciler bundle drops the EC2 operations it never sends', async () => {
    const dir = join(out, 'fleet-shaken');
    const { metafile } = await build(esbuildOptions(join(root, 'lambdas/reconcile-fleet.ts'), dir));
    const schemas = Object.entries(wholeBundle(metafile!).inputs).find(([f]) =>
      f.includes('client-ec2/dist-es/schemas/'),
    );
    // 552 KB unshaken (every EC2 operation); the seven operations the adapter sends need far less.
    expect(schemas?.[1].bytesInOutput).toBeLessThan(150 * 1024);
    const text = bundleText(dir);
    expect(text).toContain('DescribeInstancesRequest');
    expect(text).not.toContain('AcceptAddressTransfer');
  }, 120_000);

  it('the EC2 adapter bundled with the shaken schemas sends the same requests and reads the same answers as without', async () => {
    // The adapter on a real EC2Client whose HTTP handler answers canned EC2 Query XML; the entry
    // prints the request bodies it sent and what the adapter made of the answers, errors included.
    const dir = mkdtempSync(join(out, 'ec2-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Workers } from ${JSON.stringify(join(root, 'shared/adapters/ec2.ts'))};
const sent: string[] = [];
const xml = (action: string, inner: string) => \`<\${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>\${inner}</\${action}Response>\`;
const instance = \`<item><instanceId>i-0abc</instanceId><instanceState><code>16</code><name>running</name></instanceState><privateIpAddress>10.0.0.5</privateIpAddress><instanceType>c5.2xlarge</instanceType><tagSet><item><key>lcm:worker-id</key><value>w-1</value></item><item><key>lcm:template</key><value>t1</value></item></tagSet></item>\`;
const answers: Record<string, [number, string]> = {
  DescribeImages: [200, xml('DescribeImages', '<imagesSet><item><imageId>ami-old</imageId><creationDate>2026-01-01T00:00:00.000Z</creationDate></item><item><imageId>ami-new</imageId><creationDate>2026-02-01T00:00:00.000Z</creationDate></item></imagesSet>')],
  RunInstances: [200, xml('RunInstances', \`<reservationId>r-1</reservationId><instancesSet>\${instance}</instancesSet>\`)],
  DescribeInstances: [200, xml('DescribeInstances', \`<reservationSet><item><reservationId>r-1</reservationId><instancesSet>\${instance}</instancesSet></item></reservationSet>\`)],
  StartInstances: [400, '<Response><Errors><Error><Code>InsufficientInstanceCapacity</Code><Message>none left</Message></Error></Errors><RequestID>r</RequestID></Response>'],
  StopInstances: [200, xml('StopInstances', '<instancesSet/>')],
  TerminateInstances: [400, '<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>gone</Message></Error></Errors><RequestID>r</RequestID></Response>'],
  CreateTags: [200, xml('CreateTags', '<return>true</return>')],
};
const ec2 = new EC2Client({
  region: 'us-east-1',
  maxAttempts: 1,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  requestHandler: {
    handle: async (req: { body: string }) => {
      sent.push(String(req.body));
      const action = /Action=(\\w+)/.exec(String(req.body))![1]!;
      const [statusCode, body] = answers[action]!;
      return { response: { statusCode, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: new TextEncoder().encode(body) } };
    },
  } as never,
});
const w = new Ec2Workers(ec2, 'dev');
const out: unknown[] = [];
const attempt = async (f: () => Promise<unknown>) => { try { out.push(await f()); } catch (e) { out.push({ error: (e as { kind?: string }).kind, code: (e as { code?: string }).code }); } };
await attempt(() => w.run({ worker_id: 'w-1', template: { name: 't1', instance_type: 'c5.2xlarge', ami_name_pattern: 'cml-*' } as never, subnet_id: 'subnet-1', security_group_ids: ['sg-1'], user_data: 'hi' }));
await attempt(async () => [...(await w.describe(['i-0abc', 'i-gone'])).entries()]);
await attempt(() => w.discover());
await attempt(() => w.start('i-0abc'));
await attempt(() => w.stop('i-0abc'));
await attempt(() => w.terminate('i-0abc'));
await attempt(() => w.tag('i-0abc', { a: 'b' }));
console.log(JSON.stringify({ sent: sent.map((b) => b.replace(/Version=[^&]*/, '')), out }));
`,
    );
    const runBundle = async (plugins: boolean) => {
      const bundleDir = join(dir, plugins ? 'shaken' : 'whole');
      const options = esbuildOptions(entry, bundleDir);
      const { metafile } = await build(plugins ? options : { ...options, plugins: [] });
      const file = join(bundleDir, BUNDLE_ENTRY);
      const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      return {
        size: wholeBundle(metafile!).bytes,
        result: JSON.parse(r.stdout) as { sent: string[]; out: unknown[] },
      };
    };
    const whole = await runBundle(false);
    const shaken = await runBundle(true);
    expect(shaken.size).toBeLessThan(whole.size - 400 * 1024);
    expect(shaken.result).toEqual(whole.result);
    // What the adapter read, so that both agreeing on nothing would not pass.
    expect(shaken.result.sent).toHaveLength(8);
    expect(shaken.result.sent[1]).toContain('Action=RunInstances');
    expect(shaken.result.sent[1]).toContain('ImageId=ami-new');
    expect(shaken.result.sent[1]).toContain('NetworkInterface.1.SubnetId=subnet-1');
    expect(shaken.result.out).toEqual([
      expect.objectContaining({
        instance_id: 'i-0abc',
        state: 'running',
        private_ip: '10.0.0.5',
        worker_id: 'w-1',
      }),
      [
        ['i-0abc', { state: 'running', private_ip: '10.0.0.5' }],
        ['i-gone', { state: 'absent' }],
      ],
      [expect.objectContaining({ instance_id: 'i-0abc', template: 't1' })],
      { error: 'capacity', code: 'InsufficientInstanceCapacity' },
      null,
      null,
      null,
    ]);
  }, 120_000);
});

describe('the CDK construct bundles with the same options (D226)', () => {
  it('a synthesized function with bundling carries the plugin-built bundle and its source map', () => {
    const app = new App({ outdir: mkdtempSync(join(out, 'cdk-')) });
    const stack = new Stack(app, 'Bundled', { env: { account: '123456789012', region: 'us-east-1' } });
    const decl = system.functions.find((f) => f.name === 'fleet-reconciler')!;
    const config = {
      stage: 'dev',
      logRetentionDays: 7,
      deletionProtection: false,
      target: 'aws',
      logLevel: 'INFO',
    };
    new LcmFunction(stack, 'Fleet', { decl, config: config as never, root });
    // The content API has chunks (D241): its sync pipeline is loaded on the first sync.
    const contentApi = system.functions.find((f) => f.name === 'content-api')!;
    new LcmFunction(stack, 'ContentApi', { decl: contentApi, config: config as never, root });
    const asm = app.synth();
    const resources = Object.values(
      asm.getStackByName('Bundled').template.Resources as Record<
        string,
        { Type: string; Properties: Record<string, unknown> & { Code: { S3Key: string } } }
      >,
    ).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(resources.map((r) => r.Properties.Handler)).toEqual(['index.handler', 'index.handler']);
    // Each function's code is the asset its S3 key names (the output's hash).
    const assetOf = (name: string) => {
      const fn = resources.find((r) => r.Properties.FunctionName === name)!;
      return join(asm.directory, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    };
    const fleet = assetOf(functionName('dev', 'fleet-reconciler'));
    // Each function its own bundle (D242): CDK's asset cache gave both the first one's before.
    expect(assetOf(functionName('dev', 'content-api'))).not.toBe(fleet);
    const code = bundleText(fleet);
    // Built through esbuildOptions, plugin included: EC2's unused operations are gone.
    expect(code).toContain('DescribeInstancesRequest');
    expect(code).not.toContain('AcceptAddressTransfer');
    expect(code.length).toBeLessThan(700 * 1024);
    expect(readFileSync(join(fleet, BUNDLE_ENTRY), 'utf8')).toContain('//# sourceMappingURL=index.mjs.map');
    // The handler's file, the chunks it imports beside it by relative URL, each with its map; the
    // handler's file holds neither the package reader nor yaml (in chunks, D241).
    const api = assetOf(functionName('dev', 'content-api'));
    const files = readdirSync(api).sort();
    const chunks = files.filter((f) => /^chunk-[A-Z0-9]+\.mjs$/.test(f));
    expect(chunks.length).toBeGreaterThan(1);
    expect(files).toEqual(
      [BUNDLE_ENTRY, `${BUNDLE_ENTRY}.map`, ...chunks, ...chunks.map((c) => `${c}.map`)].sort(),
    );
    const index = readFileSync(join(api, BUNDLE_ENTRY), 'utf8');
    expect(index).toMatch(/from"\.\/chunk-[A-Z0-9]+\.mjs"/);
    expect(index).toMatch(/import\("\.\/chunk-[A-Z0-9]+\.mjs"\)/);
    // yauzl's own message: in a chunk, not in the handler's file.
    expect(bundleText(api)).toContain('multi-disk zip files are not supported');
    expect(index).not.toContain('multi-disk zip files are not supported');
  }, 240_000);
});
