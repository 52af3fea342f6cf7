/**
 * The whole product on one machine, generated from the topology declaration (infra/system.ts):
 * DynamoDB Local with streams, s3rver, the local EventBridge bus, Step Functions, Lambda, the
 * HTTP API, the stream poller, schedules and a controllable clock. Handlers are the very modules
 * the CDK app deploys; they reach every service through the SDK's standard endpoint variables.
 */
import { progress } from './progress.ts';
import './polyfills.ts';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type Clock,
  ManualClock,
  type ClockSpec,
  ScaledClock,
  clockSpecForChild,
  parseClockSpec,
} from '../../shared/domain/clock.ts';
import { ENV } from '../../shared/runtime/env.ts';
import { resetClients } from '../../shared/runtime/aws.ts';
import { setRuntimeClock } from '../../shared/runtime/clock.ts';
import { system as defaultSystem } from '../system.ts';
import type { StreamTrigger, SystemDecl } from '../topology.ts';
import { bucketName, busName, physicalName, tableName } from '../naming.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { startDynamoDbMeter, type DynamoDbMeter, type DynamoDbMeterCounts } from './dynamodb-meter.ts';
import { startS3Local, type S3Local } from './s3-local.ts';
import { LocalFunctions } from './functions.ts';
import { LocalEventBus } from './event-bus.ts';
import { LocalScheduler } from './scheduler.ts';
import { StreamPoller } from './stream-poller.ts';
import { startAwsGateway, type AwsGateway } from './aws-gateway.ts';
import { startApiServer, type ApiServer } from './api-server.ts';
import { createTable } from './provision.ts';
import { LocalStepFunctions } from './stepfunctions.ts';
import { killAllTasks, runLocalTask } from './tasks.ts';
import { DeviceConsoleSimulator } from './sim/device-console.ts';
import { LocalFleet } from './fleet.ts';
import type { FleetSettings } from '../../shared/fleet/reconcile.ts';
import type { Ec2SimOptions } from './sim/ec2-sim.ts';
import { startLdsSimulator, type LdsSimulator } from './sim/lds-server.ts';
import { LOCAL_WEBHOOK_CLIENTS } from './sim/webhooks.ts';
import { synthesizeCached } from './synth.ts';
import { executionRoles, type TemplateProfiles } from './template.ts';
import { sessionToken } from './function-context.ts';
import { principalsOf, startIamProxy, type IamProxy, type Principals } from './iam-endpoints.ts';
import { LocalAsyncInvoker } from './async-invoke.ts';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { redriveLetter, type RedriveRow } from '../../shared/ops/redrive.ts';
import { QUIET_SDK_LOGGER } from '../../shared/runtime/sdk-logger.ts';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_STAGE = 'local';
/** An accelerated clock's default rate while work is in flight. */
export const BUSY_CLOCK_FACTOR = 60;
/** How often (virtual seconds) the fleet reconcile pass runs locally. */
export const FLEET_TICK_SECONDS = 60;

export interface LocalRuntimeOptions {
  system?: SystemDecl;
  root?: string;
  /** API port (0 = any free port). */
  port?: number;
  clock?: ClockSpec;
  seed?: boolean;
  chaos?: { failureRate?: number; duplicateRate?: number; random?: () => number };
  log?: (line: string) => void;
  /** CML simulator timings: 0 = instantaneous (tests), 1 = realistic. Default 0. */
  simDelayScale?: number;
  /** DynamoDB Local's JIT: `start-up` (default) or `throughput` for long, heavy runs. */
  dynamodbJit?: 'start-up' | 'throughput';
  /**
   * An accelerated clock's rate while work is in flight (executions, stream records, bus
   * deliveries); the full factor applies only while the runtime is quiet. Default: the factor,
   * at most 60. A slow or busy machine then slows time down with it instead of letting deadlines
   * pass while a lab is still starting (docs/decisions.md, D33).
   */
  busyClockFactor?: number;
  /**
   * What each function runs with and may call: by default the CDK app synthesized for the local
   * stage (cached under .build/). Tests of the enforcement itself pass their own.
   */
  profiles?: TemplateProfiles;
  /**
   * Meter DynamoDB's capacity units (a proxy in front of DynamoDB Local that asks for
   * ConsumedCapacity; one more hop per request). Default off. The other bill counts (Step
   * Functions transitions, Lambda invocations and durations, bus entries, task seconds) are
   * always kept.
   */
  meter?: boolean;
  /** The EC2 simulator's options (boot time, limits, capacity per instance type). */
  ec2?: Partial<Ec2SimOptions>;
  /**
   * Overrides of the fleet's stored configuration for every pass (seeds/workers.yaml), e.g.
   * `{ warm: [] }`: no warm minimum, every worker launched for booked demand only.
   */
  fleet?: Partial<FleetSettings>;
}

/** What the AWS bill follows, counted since the runtime started (docs/performance.md). */
export interface BillCounts {
  stepFunctions: { executions: number; transitions: number; retries: number };
  lambda: {
    invocations: Record<string, number>;
    billedMs: Record<string, number>;
    gbSeconds: Record<string, number>;
  };
  events: { entries: number; chunks: number; bytes: number; serviceEvents: number };
  tasks: { started: number; seconds: number; vcpuSeconds: number; gbSeconds: number };
  /** Scheduled ticks fired (each one invocation of each scheduled function): per time, not per session. */
  scheduleTicks: number;
  /** Present when the runtime was started with `meter: true`. */
  dynamodb?: DynamoDbMeterCounts;
}

export interface LocalRuntime {
  apiUrl: string;
  awsUrl: string;
  clock: Clock;
  fns: LocalFunctions;
  bus: LocalEventBus;
  sfn: LocalStepFunctions;
  pollers: StreamPoller[];
  scheduler: LocalScheduler;
  dynamodb: DynamoDbLocal;
  s3: S3Local;
  /**
   * The CML fleet: EC2 (simulated, behind AWS_ENDPOINT_URL_EC2) and, per booted instance, its own
   * simulated CML and device consoles at its private address; `fleet.tick()` is one fleet pass.
   */
  fleet: LocalFleet;
  /** Stand-alone device consoles on 127.0.0.1 (tests that drive devices without a lab). */
  consoles: DeviceConsoleSimulator;
  lds: LdsSimulator;
  env: Record<string, string>;
  /** Each function's and task's role (from the synthesized template) and every denial so far. */
  principals: Principals;
  profiles: TemplateProfiles;
  /** A snapshot of the bill's counts (deep copy: subtract two to get a run's share). */
  bill(): BillCounts;
  /**
   * Re-reads each function's environment from `env` on its next invocation (a test that rotates a
   * local stand-in secret, such as the CML credentials, edits `env` and calls this).
   */
  refreshEnvironments(): void;
  advanceClock(ms: number): Promise<void>;
  /** Resolves when streams, bus deliveries and executions have gone quiet. */
  settle(timeoutMs?: number): Promise<void>;
  /**
   * A count that grows while work in flight makes progress (infra/local/progress.ts): a stepped
   * driver moves the clock only when it stands still (D146).
   */
  progress(): number;
  stop(): Promise<void>;
}

export async function startLocalRuntime(opts: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const system = opts.system ?? defaultSystem;
  const root = opts.root ?? resolve(import.meta.dirname, '../..');
  const log = opts.log ?? ((l: string) => console.log(l));
  const t0 = performance.now();
  progress(); // counts from now on
  const spec = opts.clock ?? parseClockSpec(process.env[ENV.clock]);
  const clock = makeClock(spec);
  setRuntimeClock(clock);

  const stage = LOCAL_STAGE;
  const names = {
    state: tableName(stage, 'state'),
    views: tableName(stage, 'views'),
    content: bucketName(stage, 'content', LOCAL_ACCOUNT),
    artefacts: bucketName(stage, 'artefacts', LOCAL_ACCOUNT),
    bus: busName(stage),
  };
  // The CDK app for this stage: each function's environment and IAM statements (D56).
  const profilesReady =
    opts.profiles ??
    synthesizeCached({ stage, account: LOCAL_ACCOUNT, region: LOCAL_REGION, root }).then((p) => {
      log(`template: ${Object.keys(p.functions).length} functions synthesized for stage ${stage}`);
      return p;
    });

  const cmlCreds = { username: 'lcm-local', password: 'local-cml-password' };
  // The devices' credentials (the cml secret's `devices`): enable everywhere, a login over SSH.
  const deviceCreds = { enable_password: 'lab-enable-1', username: 'lab', password: 'lab-ssh-1' };
  const fleet = new LocalFleet({
    clock,
    devicesDir: resolve(root, 'seeds/devices'),
    cml: cmlCreds,
    devices: deviceCreds,
    delayScale: opts.simDelayScale ?? 0,
    ...(opts.ec2 ? { ec2: opts.ec2 } : {}),
    ...(opts.fleet ? { settings: opts.fleet } : {}),
    log,
    // DynamoDB Local itself, not the meter: the pass is a per-minute cost, not a session's. Through
    // an IAM proxy, with the fleet function's credentials (D191).
    dynamo: (): DynamoDBDocumentClient =>
      (fleetDynamo ??= DynamoDBDocumentClient.from(
        new DynamoDBClient({
          logger: QUIET_SDK_LOGGER,
          endpoint: fleetDdbEndpoint(),
          credentials: {
            accessKeyId: 'S3RVER',
            secretAccessKey: 'S3RVER',
            sessionToken: sessionToken(`function/${fleetFunction}`),
          },
        }),
        { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } },
      )),
    // The pass runs as the stage's fleet function: its environment, credentials and network (D191).
    asFunction: (fn) => fns.asFunction(fleetFunction, fn),
    ec2Auth: () =>
      late.principals && {
        principals: late.principals,
        region: LOCAL_REGION,
        account: LOCAL_ACCOUNT,
        instanceProfiles: late.profiles?.instanceProfiles ?? {},
      },
  });
  let fleetDynamo: DynamoDBDocumentClient | undefined;
  // The function the topology's fleet schedule stands in for (its `fleet` grant).
  const fleetFunction =
    system.functions.find((f) => f.grants.some((g) => g.kind === 'fleet'))?.name ?? 'fleet-reconciler';
  // Known once the template is read (nothing calls EC2 before then).
  const late: { principals?: Principals; profiles?: TemplateProfiles } = {};
  const fleetDdbEndpoint = (): string => fleetDdbProxy.url;
  const consoles = new DeviceConsoleSimulator();
  const lds = await startLdsSimulator();
  const [dynamodb, s3] = await Promise.all([
    startDynamoDbLocal({ jit: opts.dynamodbJit ?? 'start-up' }),
    startS3Local({ buckets: system.buckets.map((b) => bucketName(stage, b.name, LOCAL_ACCOUNT)) }),
    fleet.start(),
  ]);
  const meter: DynamoDbMeter | undefined = opts.meter
    ? await startDynamoDbMeter(dynamodb.endpoint)
    : undefined;
  const taskBill = { started: 0, seconds: 0, vcpuSeconds: 0, gbSeconds: 0 };

  const fns = new LocalFunctions(system, { root, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, stage });
  if (opts.chaos?.failureRate) fns.chaos = { failureRate: opts.chaos.failureRate, random: opts.chaos.random };
  const bus = new LocalEventBus(system, fns, {
    busName: names.bus,
    stage,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    clock,
  });
  const realDelayMs = (virtualMs: number) =>
    clock instanceof ScaledClock
      ? clock.realDelay(virtualMs)
      : clock instanceof ManualClock
        ? Infinity
        : virtualMs;

  const roles: { of?: ReturnType<typeof executionRoles> } = {};
  const sfn = new LocalStepFunctions({
    clock,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    invokeFunction: (arn: string, payload: unknown) => fns.invoke(arn, payload),
    runTask: async (params: Record<string, unknown>) => {
      const child = await runLocalTask(system, root, params, (name) => taskEnvironment(name));
      // Fargate bills wall time from image pull to stop, one minute at least; here, the process.
      const t0 = performance.now();
      const decl =
        system.tasks.find((t) => String(params.TaskDefinition ?? '').includes(t.name)) ?? system.tasks[0];
      taskBill.started++;
      child.once('exit', () => {
        const s = Math.max(60, (performance.now() - t0) / 1000);
        taskBill.seconds += s;
        taskBill.vcpuSeconds += (s * (decl?.cpu ?? 0)) / 1024;
        taskBill.gbSeconds += (s * (decl?.memoryMb ?? 0)) / 1024;
      });
    },
    publish: async (e: {
      source: string;
      'detail-type': string;
      detail: Record<string, unknown>;
      resources: string[];
      time: string;
    }) => {
      bus.publish(e);
    },
    realDelayMs: (ms: number) => (Number.isFinite(realDelayMs(ms)) ? realDelayMs(ms) : ms),
    // A stepped run: task timeouts and heartbeats expire on the clock, never because the machine was slow.
    ...(clock instanceof ManualClock ? { manualClock: clock } : {}),
    // Each task as the machine's execution role (the template's roles; none is known before
    // the synthesis is read, and nothing runs before then).
    roles: {
      get: (arn) => roles.of?.get(arn),
      taskDefinitionRoles: (def) => roles.of?.taskDefinitionRoles(def) ?? [],
    },
  });
  const profiles = await profilesReady;
  roles.of = executionRoles(profiles);
  const principals: Principals = principalsOf(profiles);
  // Asynchronous invocations: retries and on-failure dead letters per the template (D190).
  const asyncInvoker = new LocalAsyncInvoker({
    invoke: (n, p) => fns.invoke(n, p),
    arn: (n) => fns.arn(n),
    config: (n) => profiles.functions[n]?.asyncInvoke,
    clock,
  });
  const gateway: AwsGateway = await startAwsGateway({
    bus,
    sfn,
    fns,
    asyncInvoker,
    principals,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
  });
  const proxies: IamProxy[] = await Promise.all([
    startIamProxy({
      service: 'dynamodb',
      upstream: meter?.endpoint ?? dynamodb.endpoint,
      principals,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
    }),
    startIamProxy({
      service: 's3',
      upstream: s3.endpoint,
      principals,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      // The content and artefacts buckets' policies (TLS only, …) from the template (D192).
      bucketPolicies: profiles.bucketPolicies ?? {},
    }),
  ]);
  const [ddbProxy, s3Proxy] = proxies as [IamProxy, IamProxy];
  // The fleet pass's DynamoDB: checked like every function's, but not metered (see above).
  const fleetDdbProxy: IamProxy = meter
    ? await startIamProxy({
        service: 'dynamodb',
        upstream: dynamodb.endpoint,
        principals,
        region: LOCAL_REGION,
        account: LOCAL_ACCOUNT,
      })
    : ddbProxy;
  if (meter) proxies.push(fleetDdbProxy);
  late.principals = principals;
  late.profiles = profiles;

  const env: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_ENDPOINT_URL_DYNAMODB: meter?.endpoint ?? dynamodb.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodb.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: gateway.url,
    AWS_ENDPOINT_URL_SFN: gateway.url,
    AWS_ENDPOINT_URL_ECS: gateway.url,
    AWS_ENDPOINT_URL_LAMBDA: gateway.url,
    AWS_ENDPOINT_URL_EC2: fleet.endpoint!.url,
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    AWS_LAMBDA_FUNCTION_NAME: 'lcm-local',
    [ENV.stage]: stage,
    [ENV.stateTable]: names.state,
    [ENV.viewsTable]: names.views,
    [ENV.contentBucket]: names.content,
    [ENV.artefactsBucket]: names.artefacts,
    [ENV.eventBus]: names.bus,
    [ENV.stateMachineRoleArn]: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${stage}-lcm-state-machines`,
    [ENV.nativeStepsFunctionArn]: fns.arn('native-steps'),
    [ENV.jobRunnerFunctionArn]: fns.arn('job-runner'),
    [ENV.contentSyncFunction]: fns.deployedName('content-sync'),
    [ENV.jobRunnerFunction]: fns.deployedName('job-runner'),
    [ENV.nativeStepsFunction]: fns.deployedName('native-steps'),
    [ENV.jobTaskDefinitionArn]: `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:task-definition/${stage}-job-runner-task:1`,
    [ENV.jobClusterArn]: `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster/${physicalName(stage, 'jobs')}`,
    [ENV.clock]: clockSpecForChild(spec, clock),
    // In AWS these come from the CML secret; locally, the simulator's.
    [ENV.cmlCredentials]: JSON.stringify({ cml: cmlCreds, devices: deviceCreds }),
    [ENV.ldsCredentials]: JSON.stringify({ url: lds.url, token: lds.token }),
    // In AWS the `webhooks` secret; locally the developer's and the simulators' signing keys.
    [ENV.webhookClients]: JSON.stringify(LOCAL_WEBHOOK_CLIENTS),
  };
  Object.assign(process.env, env);
  resetClients();

  /**
   * What a local function runs with: what the Lambda service sets (region, its own credentials,
   * its name), where "AWS" is (the IAM-checking endpoints), exactly the variables the
   * synthesized template gives it, and the local stand-ins (clock, simulator credentials where
   * the template binds the secret, the seeds directory, Powertools' quiet settings).
   */
  const services = (principal: string) => ({
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SESSION_TOKEN: sessionToken(principal),
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_ENDPOINT_URL_DYNAMODB: ddbProxy.url,
    AWS_ENDPOINT_URL_S3: s3Proxy.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: gateway.url,
    AWS_ENDPOINT_URL_SFN: gateway.url,
    AWS_ENDPOINT_URL_ECS: gateway.url,
    AWS_ENDPOINT_URL_LAMBDA: gateway.url,
    AWS_ENDPOINT_URL_EC2: fleet.endpoint!.url,
    ...passthrough(['PATH', 'LANG', 'HOME', 'TMPDIR', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']),
  });
  const localStandIns = (template: Record<string, string>) => ({
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    [ENV.clock]: env[ENV.clock]!,
    ...(template[ENV.cmlSecretArn] ? { [ENV.cmlCredentials]: env[ENV.cmlCredentials]! } : {}),
    ...(template[ENV.ldsSecretArn] ? { [ENV.ldsCredentials]: env[ENV.ldsCredentials]! } : {}),
    // The webhook clients (the developer's and the simulators' signing keys) for the function
    // that verifies deliveries: without them it would ask Secrets Manager, which is not local.
    ...(template[ENV.webhookSecretArn] ? { [ENV.webhookClients]: env[ENV.webhookClients]! } : {}),
    // The seeds the runtime was started with (a test's own copy through LCM_SEEDS_DIR, else the repository's).
    ...(template[ENV.seedsDir]
      ? { [ENV.seedsDir]: process.env[ENV.seedsDir] ?? resolve(root, 'seeds') }
      : {}),
  });
  fns.setEnvironments((name) => {
    const p = profiles.functions[name];
    if (!p) throw new Error(`${name} is not in the synthesized template (stage ${stage})`);
    return {
      ...services(`function/${name}`),
      AWS_LAMBDA_FUNCTION_NAME: p.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(system.functions.find((f) => f.name === name)?.memoryMb ?? 128),
      ...p.environment,
      ...localStandIns(p.environment),
    };
  });
  const taskEnvironment = (name: string) => {
    const p = profiles.tasks[name];
    if (!p) throw new Error(`task ${name} is not in the synthesized template (stage ${stage})`);
    return {
      ...services(`task/${name}`),
      ...p.environment,
      ...localStandIns(p.environment),
      [ENV.clock]: clockSpecForChild(spec, clock),
    };
  };

  const ddb = new DynamoDBClient({ logger: QUIET_SDK_LOGGER });
  const streamArns = new Map<string, string | undefined>();
  for (const t of system.tables) streamArns.set(t.name, await createTable(ddb, tableName(stage, t.name), t));
  ddb.destroy();

  for (const b of system.buckets.filter((x) => x.eventBridge)) {
    const physical = bucketName(stage, b.name, LOCAL_ACCOUNT);
    s3.onObjectCreated((e) => {
      if (e.bucket !== physical) return;
      bus.publish({
        source: 'aws.s3',
        'detail-type': 'Object Created',
        time: new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        resources: [`arn:aws:s3:::${physical}`],
        detail: {
          version: '0',
          bucket: { name: physical },
          object: {
            key: e.key,
            size: e.size,
            etag: e.etag.replace(/"/g, ''),
            sequencer: Date.now().toString(16),
          },
          'request-id': 'local',
          requester: LOCAL_ACCOUNT,
          'source-ip-address': '127.0.0.1',
          reason: 'PutObject',
        },
      });
    });
  }

  const streams = new DynamoDBStreamsClient({ logger: QUIET_SDK_LOGGER });
  const pollers: StreamPoller[] = [];
  for (const f of system.functions)
    for (const t of f.triggers.filter((x): x is StreamTrigger => x.kind === 'stream')) {
      const arn = streamArns.get(t.table);
      if (!arn) throw new Error(`table ${t.table} has no stream for ${f.name}`);
      const p = new StreamPoller({
        client: streams,
        streamArn: arn,
        functionName: f.name,
        trigger: t,
        fns,
        duplicateRate: opts.chaos?.duplicateRate,
        random: opts.chaos?.random,
      });
      p.start();
      pollers.push(p);
    }

  const scheduler = new LocalScheduler(system, fns, {
    clock,
    realDelayMs,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
  });

  const bill = (): BillCounts =>
    structuredClone({
      stepFunctions: sfn.billing,
      lambda: {
        invocations: Object.fromEntries(fns.invocations),
        billedMs: Object.fromEntries(fns.billedMs),
        gbSeconds: fns.gbSeconds(),
      },
      events: bus.billing,
      tasks: taskBill,
      scheduleTicks: scheduler.ticks * scheduler.schedules.length,
      ...(meter ? { dynamodb: meter.counts } : {}),
    });

  const advanceClock = async (ms: number) => {
    if (clock instanceof ManualClock || clock instanceof ScaledClock) clock.advance(ms);
    else
      throw new Error(
        'the real clock cannot be advanced; start with LCM_CLOCK=accelerated:<factor> or manual',
      );
    await scheduler.fireDue();
  };

  const api: ApiServer = await startApiServer({
    system,
    throttles: profiles.api.throttles,
    fns,
    bus,
    clock,
    accountId: LOCAL_ACCOUNT,
    port: opts.port,
    local: {
      components: () => ({
        dynamodb_local: { status: 'ok', detail: dynamodb.endpoint },
        s3rver: { status: 'ok', detail: s3.endpoint },
        cml_fleet: {
          status: 'ok',
          detail: `EC2 ${fleet.endpoint!.url}: ${fleet.sim.instances.size} instance(s), ${fleet.hosts.size} CML up, ${fleet.labsRunning} lab(s) running`,
        },
        lds_simulator: { status: 'ok', detail: `${lds.url} (${lds.sessions.size} sessions)` },
        device_consoles: { status: 'ok', detail: `${consoles.sessionsOpened()} console session(s)` },
        local_bus: {
          status: 'ok',
          detail: `${bus.rules.length} rules, ${bus.deadLetters.length} dead letters`,
        },
        stream_poller: {
          status: pollers.every((p) => p.running) ? 'ok' : 'down',
          detail: `${pollers.length} poller(s), ${pollers.reduce((n, p) => n + p.failures.length, 0)} on-failure batch(es)`,
        },
        scheduler: {
          status: 'ok',
          detail: `${scheduler.schedules.length} schedule(s), ${scheduler.ticks} tick(s)`,
        },
        clock: {
          status: 'ok',
          detail: `${spec.kind}${spec.kind === 'accelerated' ? `:${spec.factor}` : ''} ${new Date(clock.now()).toISOString()}`,
        },
      }),
      clock: () => ({
        now: new Date(clock.now()).toISOString(),
        kind: spec.kind,
        ...(spec.kind === 'accelerated' ? { factor: spec.factor } : {}),
      }),
      advanceClock,
      stats: () => ({
        invocations: Object.fromEntries(fns.invocations),
        errors: Object.fromEntries(fns.errors),
        timeouts_overrun: Object.fromEntries(fns.overruns),
        bus: bus.stats,
        streams: pollers.map((p) => p.stats),
        step_functions: sfn.status?.(),
        access_denied: principals.denials,
        bill: bill(),
      }),
      deadLetters: () => ({
        events: bus.deadLetters,
        streams: pollers.flatMap((p) => p.failures),
        async: asyncInvoker.deadLetters,
      }),
      // `lcm ops redrive`'s logic on the local dead letters (there is no SQS locally): each async
      // letter's payload to its function, synchronously; a letter it took is removed.
      redriveDeadLetters: async () => {
        const lambda = new LambdaClient({
          region: LOCAL_REGION,
          endpoint: gateway.url,
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
          maxAttempts: 1,
        });
        const rows: RedriveRow[] = [];
        try {
          for (const d of [...asyncInvoker.deadLetters]) {
            const row = await redriveLetter(
              { lambda, streams },
              { queue: d.destination ?? '', messageId: d.messageId, body: JSON.stringify(d.record) },
              undefined,
              false,
            );
            if (row.outcome === 'redriven') asyncInvoker.remove(d.messageId);
            rows.push(row);
          }
        } finally {
          lambda.destroy();
        }
        return { rows };
      },
      lds: () => ({ sessions: [...lds.sessions.values()], calls: lds.calls }),
      // The API server answers before this is called: `api` is assigned by then.
      ldsAct: (input) => lds.act(api.url, input, clock.now()),
    },
  });

  if (opts.seed !== false) {
    try {
      const out = await fns.invoke('seed-catalog', { source: 'local-runtime' });
      log(`seeds: ${JSON.stringify(out)}`);
    } catch (e) {
      log(`seeds: not loaded (${(e as Error).message})`);
    }
  }
  // The fleet pass on the clock's tick, as the stage's scheduled fleet function runs in AWS (D126);
  // the first one now: the warm minimum is launched at start.
  scheduler.addLocal('fleet-reconcile', FLEET_TICK_SECONDS, () => fleet.tick());
  scheduler.start();
  if (opts.seed !== false) await fleet.tick().catch((e: unknown) => log(`fleet: ${(e as Error).message}`));

  log(`LCM local runtime ready in ${Math.round(performance.now() - t0)} ms`);
  log(`  API            ${api.url}  (try: curl ${api.url}/v1/health)`);
  log(`  events (SSE)   ${api.url}/local/events`);
  log(`  AWS endpoints  ${gateway.url}  (EventBridge, Step Functions, Lambda)`);
  log(`  DynamoDB Local ${dynamodb.endpoint}   S3 ${s3.endpoint}`);
  log(`  EC2 (fleet)    ${fleet.endpoint!.url}  (workers launch on the clock; worker.* events say why)`);
  log(`  clock          ${spec.kind}${spec.kind === 'accelerated' ? ` ×${spec.factor}` : ''}`);

  let stopped = false;
  const quiet = () =>
    pollers.every((p) => p.quiet) &&
    bus.inFlight === 0 &&
    asyncInvoker.running === 0 &&
    ((sfn.status?.() as { running?: number })?.running ?? 0) === 0;
  const settle = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    let quietRounds = 0;
    while (quietRounds < 3) {
      if (Date.now() > deadline) throw new Error('the local runtime did not settle');
      await new Promise((r) => setTimeout(r, 25));
      quietRounds = quiet() ? quietRounds + 1 : 0;
    }
  };
  // Time runs at the full factor only while nothing is in flight (D33).
  const busyFactor = Math.min(
    opts.busyClockFactor ?? BUSY_CLOCK_FACTOR,
    spec.kind === 'accelerated' ? spec.factor : Infinity,
  );
  const pace =
    clock instanceof ScaledClock && spec.kind === 'accelerated' && busyFactor < spec.factor
      ? setInterval(() => clock.setFactor(quiet() ? spec.factor : busyFactor), 10)
      : undefined;
  pace?.unref();

  return {
    apiUrl: api.url,
    awsUrl: gateway.url,
    clock,
    fns,
    bus,
    sfn,
    pollers,
    scheduler,
    dynamodb,
    s3,
    fleet,
    consoles,
    lds,
    env,
    principals,
    profiles,
    bill,
    refreshEnvironments: () => fns.resetEnvironments(),
    advanceClock,
    settle,
    progress,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(pace);
      scheduler.stop();
      killAllTasks();
      await Promise.all(pollers.map((p) => p.stop()));
      bus.close();
      asyncInvoker.close();
      await sfn.close?.();
      await api.close();
      await gateway.close();
      await Promise.all(proxies.map((p) => p.close()));
      streams.destroy();
      await meter?.close();
      await fleet.stop();
      fleetDynamo?.destroy();
      await Promise.all([dynamodb.stop(), s3.stop(), consoles.stop(), lds.close()]);
    },
  };
}

const passthrough = (names: string[]) =>
  Object.fromEntries(names.flatMap((n) => (process.env[n] ? [[n, process.env[n]!]] : [])));

function makeClock(spec: ClockSpec): Clock {
  switch (spec.kind) {
    case 'real':
      return new ScaledClock(1);
    case 'accelerated':
      return new ScaledClock(spec.factor, spec.start ?? Date.now());
    case 'manual':
      return new ManualClock(spec.start ?? Date.now());
  }
}
