/**
 * Every environment variable the product reads, named once. The CDK app sets them from its
 * `bind*` helpers (infra/cdk/lcm-function.ts), the local runtime sets the same names, and code
 * reads them only through `env()` / `envOptional()`: no other module reads `process.env` for the
 * product's own settings. A missing required one fails loudly at first use, naming itself.
 */
export const ENV = {
  stage: 'LCM_STAGE',
  stateTable: 'LCM_STATE_TABLE',
  viewsTable: 'LCM_VIEWS_TABLE',
  contentBucket: 'LCM_CONTENT_BUCKET',
  artefactsBucket: 'LCM_ARTEFACTS_BUCKET',
  eventBus: 'LCM_EVENT_BUS',
  stateMachineRoleArn: 'LCM_SFN_ROLE_ARN',
  stateMachineLogGroupArn: 'LCM_SFN_LOG_GROUP_ARN',
  /** Targets compiled into state machines (every function that compiles or invokes them). */
  nativeStepsFunctionArn: 'LCM_NATIVE_STEPS_ARN',
  jobRunnerFunctionArn: 'LCM_JOB_RUNNER_ARN',
  jobTaskDefinitionArn: 'LCM_JOB_TASK_DEFINITION_ARN',
  jobClusterArn: 'LCM_JOB_CLUSTER_ARN',
  jobSubnets: 'LCM_JOB_SUBNETS',
  jobSecurityGroups: 'LCM_JOB_SECURITY_GROUPS',
  /** Functions a function invokes asynchronously (set by the `invoke` grant, see `invokeEnvKey`). */
  contentSyncFunction: 'LCM_CONTENT_SYNC_FUNCTION',
  jobRunnerFunction: 'LCM_JOB_RUNNER_FUNCTION',
  nativeStepsFunction: 'LCM_NATIVE_STEPS_FUNCTION',
  /** Where the fleet launches CML workers (the stage's network, D120). */
  workerSubnets: 'LCM_WORKER_SUBNETS',
  workerSecurityGroups: 'LCM_WORKER_SECURITY_GROUPS',
  workerInstanceProfileArn: 'LCM_WORKER_INSTANCE_PROFILE_ARN',
  workerPublicIp: 'LCM_WORKER_PUBLIC_IP',
  cmlSecretArn: 'LCM_CML_SECRET_ARN',
  ldsSecretArn: 'LCM_LDS_SECRET_ARN',
  /** The integration clients' webhook secrets and sources (shared/inbound/webhooks.ts). */
  webhookSecretArn: 'LCM_WEBHOOK_SECRET_ARN',
  /** Local runtime only: the CML and lab-delivery credentials inline (JSON) instead of a secret. */
  cmlCredentials: 'LCM_CML_CREDENTIALS',
  ldsCredentials: 'LCM_LDS_CREDENTIALS',
  webhookClients: 'LCM_WEBHOOK_CLIENTS',
  /** Where the seed catalog is (the seed function's bundle copies `seeds/` next to itself). */
  seedsDir: 'LCM_SEEDS_DIR',
  /** jq's WebAssembly binary, when it is neither next to the bundle nor in node_modules. */
  jqWasm: 'LCM_JQ_WASM',
  clock: 'LCM_CLOCK',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

export type EnvKey = keyof typeof ENV;

/** The variable the `invoke` grant of `functionName` sets on the invoking function. */
export function invokeEnvKey(functionName: string): EnvKey {
  const key = (
    {
      'content-sync': 'contentSyncFunction',
      'job-runner': 'jobRunnerFunction',
      'native-steps': 'nativeStepsFunction',
    } as const
  )[functionName];
  if (!key) throw new Error(`no environment variable is defined for invoking ${functionName}`);
  return key;
}

/**
 * The job task's environment, set per run by the compiled state machine (ContainerOverrides):
 * the compiler writes these names and the task entry reads them.
 */
export const TASK_ENV = {
  taskToken: 'LCM_TASK_TOKEN',
  job: 'LCM_JOB',
  processType: 'LCM_PROCESS_TYPE',
  rubric: 'LCM_RUBRIC',
  report: 'LCM_REPORT',
  sessionId: 'LCM_SESSION_ID',
  partOrder: 'LCM_PART_ORDER',
  podDefinitionId: 'LCM_POD_DEFINITION_ID',
  phase: 'LCM_PHASE',
  attempt: 'LCM_ATTEMPT',
  heartbeatSeconds: 'LCM_HEARTBEAT_SECONDS',
} as const;

export type TaskEnvKey = keyof typeof TASK_ENV;
export type TaskEnv = Partial<Record<TaskEnvKey, string>>;

/** The job task's per-run variables, by key. */
export function taskEnv(): TaskEnv {
  return Object.fromEntries(
    Object.entries(TASK_ENV).flatMap(([k, name]) => (process.env[name] ? [[k, process.env[name]]] : [])),
  ) as TaskEnv;
}

/** Reads a required variable; a missing one fails loudly at first use, naming itself. */
export function env(key: EnvKey): string {
  const name = ENV[key];
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} (${key}) is not set`);
  return value;
}

export function envOptional(key: EnvKey): string | undefined {
  return process.env[ENV[key]] || undefined;
}
