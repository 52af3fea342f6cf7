/**
 * Names of the environment variables that carry the topology into a handler. The CDK app sets
 * them from its `bind*` helpers; the local runtime sets the same names. One list, no drift.
 */
export const ENV = {
  stage: 'LCM_STAGE',
  stateTable: 'LCM_STATE_TABLE',
  viewsTable: 'LCM_VIEWS_TABLE',
  contentBucket: 'LCM_CONTENT_BUCKET',
  artefactsBucket: 'LCM_ARTEFACTS_BUCKET',
  eventBus: 'LCM_EVENT_BUS',
  stateMachineRoleArn: 'LCM_SFN_ROLE_ARN',
  stateMachinePrefix: 'LCM_SFN_PREFIX',
  stateMachineLogGroupArn: 'LCM_SFN_LOG_GROUP_ARN',
  nativeStepsFunctionArn: 'LCM_NATIVE_STEPS_ARN',
  jobRunnerFunctionArn: 'LCM_JOB_RUNNER_ARN',
  jobTaskDefinitionArn: 'LCM_JOB_TASK_DEFINITION_ARN',
  jobClusterArn: 'LCM_JOB_CLUSTER_ARN',
  jobSubnets: 'LCM_JOB_SUBNETS',
  jobSecurityGroups: 'LCM_JOB_SECURITY_GROUPS',
  cmlSecretArn: 'LCM_CML_SECRET_ARN',
  ldsSecretArn: 'LCM_LDS_SECRET_ARN',
  clock: 'LCM_CLOCK',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

export type EnvKey = keyof typeof ENV;

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
