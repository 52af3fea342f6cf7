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
  /** The stage's network (D120): infra/cdk/network.ts. */
  network: {
    /** An existing VPC (with private subnets that have egress) instead of one the stack creates. */
    vpcId?: string;
    natGateways: number;
    /** Workers get a public address (and launch in public subnets): off unless configured. */
    workerPublicIp: boolean;
    /** Where functions declaring external HTTPS may go (the lab delivery system's range). */
    externalHttpsCidr: string;
  };
}

/** LocalStack's account, and the hosts its endpoint answers on (what `cdklocal` points the CLI at). */
const LOCALSTACK_ACCOUNT = '000000000000';
const LOCALSTACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\]|localstack|(.+\.)?localhost\.localstack\.cloud)$/;

/**
 * The LocalStack target removes the JWT authorizer (LocalStack's free edition has none): it must
 * never reach a real account. It synthesizes only with AWS_ENDPOINT_URL on a LocalStack host (as
 * `cdklocal` sets it) and, when the CLI knows the account, LocalStack's own.
 */
function refuseUnlessLocalStack(env: NodeJS.ProcessEnv): void {
  const endpoint = env.AWS_ENDPOINT_URL ?? '';
  let host = '';
  try {
    host = new URL(endpoint).hostname;
  } catch {
    // not a URL: refused below
  }
  if (!LOCALSTACK_HOST.test(host))
    throw new Error(
      `-c target=localstack removes the API's authorizer, so it synthesizes only against a LocalStack endpoint: AWS_ENDPOINT_URL is "${endpoint}" (use npm run deploy:localstack, which runs cdklocal)`,
    );
  const account = env.CDK_DEFAULT_ACCOUNT;
  if (account && account !== LOCALSTACK_ACCOUNT)
    throw new Error(
      `-c target=localstack is for LocalStack's account ${LOCALSTACK_ACCOUNT}, not account ${account}`,
    );
}

export function stageConfig(node: Node, env: NodeJS.ProcessEnv = process.env): StageConfig {
  const ctx = (k: string) => node.tryGetContext(k) as string | undefined;
  const stage = ctx('stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{1,15}$/.test(stage))
    throw new Error(`context stage "${stage}" must be 2–16 lower-case letters, digits or dashes`);
  const target = (ctx('target') ?? 'aws') as StageConfig['target'];
  if (target !== 'aws' && target !== 'localstack')
    throw new Error(`context target must be aws or localstack, got "${target}"`);
  if (target === 'localstack') refuseUnlessLocalStack(env);
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
    network: networkConfig(ctx),
  };
}

function networkConfig(ctx: (k: string) => string | undefined): StageConfig['network'] {
  const vpcId = ctx('vpcId');
  if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
    throw new Error(`context vpcId "${vpcId}" is not a VPC id (vpc-…)`);
  const nat = Number(ctx('natGateways') ?? 1);
  if (!Number.isInteger(nat) || nat < 1 || nat > 2)
    throw new Error('context natGateways must be 1 or 2 (the workers and the external HTTPS egress use it)');
  const cidr = ctx('externalHttpsCidr') ?? '0.0.0.0/0';
  if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(cidr))
    throw new Error(`context externalHttpsCidr "${cidr}" is not an IPv4 CIDR`);
  return {
    ...(vpcId ? { vpcId } : {}),
    natGateways: nat,
    workerPublicIp: String(ctx('workerPublicIp') ?? 'false') === 'true',
    externalHttpsCidr: cidr,
  };
}
