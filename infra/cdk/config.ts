/**
 * Stage configuration, from CDK context (`-c key=value` or cdk.json). Nothing account-specific
 * lives in the repository: account and region come from the CLI's environment.
 */
import type { Node } from 'constructs';

export interface StageConfig {
  stage: string;
  target: 'aws' | 'localstack';
  jwtIssuer?: string;
  jwtAudience: string[];
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  logRetentionDays: number;
  deletionProtection: boolean;
  alarmEmail?: string;
  apiThrottle: { rateLimit: number; burstLimit: number };
}

export function stageConfig(node: Node): StageConfig {
  const ctx = (k: string) => node.tryGetContext(k) as string | undefined;
  const stage = ctx('stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{1,15}$/.test(stage))
    throw new Error(`context stage "${stage}" must be 2–16 lower-case letters, digits or dashes`);
  const target = (ctx('target') ?? 'aws') as StageConfig['target'];
  if (target !== 'aws' && target !== 'localstack')
    throw new Error(`context target must be aws or localstack, got "${target}"`);
  const logLevel = (ctx('logLevel') ?? 'INFO').toUpperCase() as StageConfig['logLevel'];
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel))
    throw new Error(`context logLevel must be DEBUG, INFO, WARN or ERROR`);
  const retention = Number(ctx('logRetentionDays') ?? 30);
  const issuer = ctx('jwtIssuer');
  if (issuer && !/^https:\/\//.test(issuer))
    throw new Error('context jwtIssuer must be an https URL (your OIDC issuer)');
  return {
    stage,
    target,
    ...(issuer ? { jwtIssuer: issuer } : {}),
    jwtAudience: (ctx('jwtAudience') ?? 'lcm-api')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    logLevel,
    logRetentionDays: retention,
    deletionProtection:
      String(ctx('deletionProtection') ?? (target === 'localstack' || stage === 'dev' ? 'false' : 'true')) ===
      'true',
    ...(ctx('alarmEmail') ? { alarmEmail: ctx('alarmEmail') } : {}),
    apiThrottle: {
      rateLimit: Number(ctx('apiRateLimit') ?? 200),
      burstLimit: Number(ctx('apiBurstLimit') ?? 400),
    },
  };
}
