/**
 * What the synthesized template gives each function and task: its environment variables and the
 * IAM statements attached to its role, with every intrinsic (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * …) resolved to the physical names of one stage in one account. The local runtime runs each
 * function with exactly this environment and checks each of its AWS calls against exactly these
 * statements; `npm run docs:grants` prints them as docs/function-grants.md. There is no second
 * list: what the CDK app synthesizes is what runs locally.
 */
import { createHash } from 'node:crypto';
import type { PolicyStatement, ResourcePolicyStatement } from './iam.ts';

/** An EC2-shaped id for a resource EC2 names itself (`subnet-…`, `sg-…`), stable per logical id. */
const ec2Id = (prefix: string, logicalId: string) =>
  `${prefix}-0${createHash('sha256').update(logicalId).digest('hex').slice(0, 16)}`;

/** A CloudFormation template, as far as this reader needs it. */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export interface RoleProfile {
  roleArn: string;
  statements: PolicyStatement[];
  /** Managed policies attached to the role (by ARN), listed but not evaluated. */
  managedPolicies: string[];
}

export interface FunctionProfile extends RoleProfile {
  /** The topology's name (`system-api`). */
  name: string;
  /** The deployed name (`<stage>-system-api`). */
  functionName: string;
  environment: Record<string, string>;
  /**
   * The function's asynchronous invocation settings (`AWS::Lambda::EventInvokeConfig`): retries,
   * the oldest event Lambda still runs, and the on-failure destination. Absent: Lambda's defaults
   * (2 retries, 6 hours, no destination).
   */
  asyncInvoke?: AsyncInvokeConfig;
}

export interface AsyncInvokeConfig {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  /** The on-failure destination's ARN (an SQS queue here). */
  onFailure?: string;
}

export interface TaskProfile extends RoleProfile {
  name: string;
  family: string;
  /** `arn:aws:ecs:<region>:<account>:task-definition/<family>:1` */
  taskDefinitionArn: string;
  /** The execution role (image pull, logs) that RunTask passes besides the task role. */
  executionRoleArn?: string;
  environment: Record<string, string>;
}

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/** API Gateway's throttles for the stage: the default route setting and each route's own. */
export interface ApiThrottles {
  default?: Throttle;
  /** By route key (`GET /v1/health`). */
  routes: Record<string, Throttle>;
}

export interface TemplateProfiles {
  stage: string;
  account: string;
  region: string;
  functions: Record<string, FunctionProfile>;
  tasks: Record<string, TaskProfile>;
  /** Every role of the template by ARN (the state machines' execution role among them). */
  roles: Record<string, RoleProfile>;
  api: { throttles: ApiThrottles };
  /** Each bucket's resource policy statements, by bucket name. */
  bucketPolicies?: Record<string, ResourcePolicyStatement[]>;
  /** Each instance profile's roles (ARNs), by the profile's ARN (RunInstances passes them). */
  instanceProfiles?: Record<string, string[]>;
}

export interface ResolveOptions {
  stage: string;
  account: string;
  region: string;
  /** Physical names CloudFormation would generate (buckets without a name), by logical id. */
  physicalNames: Record<string, string>;
  /** Logical id of each declared function, by topology name. */
  functionIds: Record<string, string>;
  /** Logical id of each declared task definition, by topology name. */
  taskIds: Record<string, string>;
}

type Json = unknown;

export interface TemplateResolver {
  /** Resolves every intrinsic in `v` to this stage's physical names and ARNs. */
  resolve(v: unknown): unknown;
  ref(id: string): string;
  getAtt(id: string, attr: string): string;
}

export function templateResolver(
  template: CfnTemplate,
  o: Pick<ResolveOptions, 'stage' | 'account' | 'region' | 'physicalNames'>,
): TemplateResolver {
  const R = template.Resources;
  const { region, account } = o;
  const prop = (id: string, k: string) => R[id]?.Properties?.[k] as Json;

  const ref = (id: string): string => {
    switch (id) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return `lcm-${o.stage}`;
    }
    const r = R[id];
    if (!r) throw new Error(`template: Ref to unknown ${id}`);
    const named = (k: string) => (prop(id, k) !== undefined ? str(prop(id, k)) : (o.physicalNames[id] ?? id));
    switch (r.Type) {
      case 'AWS::DynamoDB::Table':
        return named('TableName');
      case 'AWS::S3::Bucket':
        return named('BucketName');
      case 'AWS::Lambda::Function':
        return named('FunctionName');
      case 'AWS::Events::EventBus':
        return named('Name');
      case 'AWS::IAM::Role':
        return named('RoleName');
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName');
      case 'AWS::ECS::Cluster':
        return named('ClusterName');
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${region}:${account}:secret:${named('Name')}`;
      case 'AWS::ECS::TaskDefinition':
        return `arn:aws:ecs:${region}:${account}:task-definition/${named('Family')}:1`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${named('TopicName')}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${named('QueueName')}`;
      case 'AWS::EC2::Subnet':
        return o.physicalNames[id] ?? ec2Id('subnet', id);
      case 'AWS::EC2::VPC':
        return o.physicalNames[id] ?? ec2Id('vpc', id);
      case 'AWS::EC2::SecurityGroup':
        return o.physicalNames[id] ?? ec2Id('sg', id);
      case 'AWS::IAM::InstanceProfile':
        return named('InstanceProfileName');
      default:
        return o.physicalNames[id] ?? id;
    }
  };

  const getAtt = (id: string, attr: string): string => {
    const r = R[id];
    if (!r) throw new Error(`template: Fn::GetAtt on unknown ${id}`);
    const name = () => ref(id);
    switch (`${r.Type}.${attr}`) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${region}:${account}:table/${name()}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${region}:${account}:table/${name()}/stream/local`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name()}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${region}:${account}:function:${name()}`;
      case 'AWS::Events::EventBus.Arn':
        return `arn:aws:events:${region}:${account}:event-bus/${name()}`;
      case 'AWS::Events::EventBus.Name':
        return name();
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${name()}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${region}:${account}:log-group:${name()}:*`;
      case 'AWS::ECS::Cluster.Arn':
        return `arn:aws:ecs:${region}:${account}:cluster/${name()}`;
      case 'AWS::KMS::Key.Arn':
        // A key's id is generated by KMS; the logical id stands in for it.
        return `arn:aws:kms:${region}:${account}:key/${id}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${region}:${account}:${str(prop(id, 'QueueName') ?? id)}`;
      case 'AWS::EC2::SecurityGroup.GroupId':
        return name();
      case 'AWS::EC2::VPC.VpcId':
        return name();
      case 'AWS::IAM::InstanceProfile.Arn':
        return `arn:aws:iam::${account}:instance-profile/${name()}`;
      default:
        return `${id}.${attr}`;
    }
  };

  const resolve = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v === null || typeof v !== 'object') return v;
    const o2 = v as Record<string, Json>;
    const keys = Object.keys(o2);
    if (keys.length === 1) {
      const k = keys[0]!;
      const a = o2[k];
      switch (k) {
        case 'Ref':
          return ref(String(a));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(a) ? (a as string[]) : String(a).split('.');
          return getAtt(id!, attr!);
        }
        case 'Fn::Join': {
          const [sep, parts] = a as [string, Json[]];
          return (resolve(parts) as Json[]).map(str).join(sep);
        }
        case 'Fn::Select': {
          const [i, arr] = a as [number, Json];
          return (resolve(arr) as Json[])[Number(i)];
        }
        case 'Fn::Split': {
          const [sep, s] = a as [string, Json];
          return str(resolve(s)).split(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = (Array.isArray(a) ? a : [a, {}]) as [string, Record<string, Json>];
          return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
            if (name in vars) return str(resolve(vars[name]));
            const [id, attr] = name.split('.');
            return attr ? getAtt(id!, attr) : ref(id!);
          });
        }
      }
    }
    return Object.fromEntries(keys.map((k) => [k, resolve(o2[k])]));
  };

  return { resolve, ref, getAtt };
}

export function templateProfiles(template: CfnTemplate, o: ResolveOptions): TemplateProfiles {
  const R = template.Resources;
  const { region, account } = o;
  const prop = (id: string, k: string) => R[id]?.Properties?.[k] as Json;
  const { resolve, ref, getAtt } = templateResolver(template, o);

  /** Statements of every AWS::IAM::Policy and inline policy attached to a role. */
  const roleProfile = (roleId: string): RoleProfile => {
    const statements: PolicyStatement[] = [];
    for (const [, r] of Object.entries(R)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const roles = (r.Properties?.Roles ?? []) as Json[];
      if (!roles.some((x) => (x as { Ref?: string }).Ref === roleId)) continue;
      statements.push(
        ...((resolve(
          (r.Properties!.PolicyDocument as { Statement: Json[] }).Statement,
        ) as PolicyStatement[]) ?? []),
      );
    }
    for (const p of (prop(roleId, 'Policies') ?? []) as { PolicyDocument: { Statement: Json[] } }[])
      statements.push(...(resolve(p.PolicyDocument.Statement) as PolicyStatement[]));
    return {
      roleArn: getAtt(roleId, 'Arn'),
      statements,
      managedPolicies: ((resolve(prop(roleId, 'ManagedPolicyArns')) ?? []) as string[]).map(str),
    };
  };
  const roleOf = (arn: Json): string => {
    const id = (arn as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0];
    if (!id) throw new Error(`template: role ${JSON.stringify(arn)} is not a Fn::GetAtt of a role`);
    return id;
  };

  /** Each function's EventInvokeConfig (unqualified or `$LATEST`), by the function's logical id. */
  const asyncInvokeByFunction = new Map<string, AsyncInvokeConfig>();
  for (const r of Object.values(R)) {
    if (r.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
    const p = r.Properties ?? {};
    const fnId = (p.FunctionName as { Ref?: string } | undefined)?.Ref;
    if (!fnId || asyncInvokeByFunction.has(fnId)) continue;
    if (p.Qualifier !== undefined && p.Qualifier !== '$LATEST') continue;
    const dest = (p.DestinationConfig as { OnFailure?: { Destination?: Json } } | undefined)?.OnFailure
      ?.Destination;
    asyncInvokeByFunction.set(fnId, {
      maximumRetryAttempts: Number(p.MaximumRetryAttempts ?? 2),
      maximumEventAgeSeconds: Number(p.MaximumEventAgeInSeconds ?? 21_600),
      ...(dest !== undefined ? { onFailure: str(resolve(dest)) } : {}),
    });
  }

  const functions: Record<string, FunctionProfile> = {};
  for (const [name, id] of Object.entries(o.functionIds)) {
    const vars =
      (prop(id, 'Environment') as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
    const asyncInvoke = asyncInvokeByFunction.get(id);
    functions[name] = {
      name,
      functionName: ref(id),
      environment: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, str(resolve(v))])),
      ...roleProfile(roleOf(prop(id, 'Role'))),
      ...(asyncInvoke ? { asyncInvoke } : {}),
    };
  }
  const tasks: Record<string, TaskProfile> = {};
  for (const [name, id] of Object.entries(o.taskIds)) {
    const containers = (prop(id, 'ContainerDefinitions') ?? []) as {
      Environment?: { Name: string; Value: Json }[];
    }[];
    const exec = prop(id, 'ExecutionRoleArn');
    tasks[name] = {
      name,
      family: str(prop(id, 'Family')),
      taskDefinitionArn: ref(id),
      ...(exec ? { executionRoleArn: str(resolve(exec)) } : {}),
      environment: Object.fromEntries(
        (containers[0]?.Environment ?? []).map((e) => [e.Name, str(resolve(e.Value))]),
      ),
      ...roleProfile(roleOf(prop(id, 'TaskRoleArn'))),
    };
  }
  const roles: Record<string, RoleProfile> = {};
  for (const [id, r] of Object.entries(R))
    if (r.Type === 'AWS::IAM::Role') {
      const p = roleProfile(id);
      roles[p.roleArn] = p;
    }
  const bucketPolicies: Record<string, ResourcePolicyStatement[]> = {};
  for (const r of Object.values(R))
    if (r.Type === 'AWS::S3::BucketPolicy') {
      const bucket = str(resolve(r.Properties?.Bucket));
      const doc = r.Properties?.PolicyDocument as { Statement: Json[] };
      (bucketPolicies[bucket] ??= []).push(...(resolve(doc.Statement) as ResourcePolicyStatement[]));
    }
  const instanceProfiles: Record<string, string[]> = {};
  for (const [id, r] of Object.entries(R))
    if (r.Type === 'AWS::IAM::InstanceProfile')
      instanceProfiles[getAtt(id, 'Arn')] = ((r.Properties?.Roles ?? []) as Json[]).map(
        (x) => `arn:aws:iam::${account}:role/${str(resolve(x))}`,
      );
  return {
    stage: o.stage,
    account,
    region,
    functions,
    tasks,
    roles,
    api: { throttles: apiThrottles(template) },
    bucketPolicies,
    instanceProfiles,
  };
}

/** The HTTP API stage's throttles, as API Gateway applies them (route settings over the default). */
function apiThrottles(template: CfnTemplate): ApiThrottles {
  const stages = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
  if (stages.length > 1) throw new Error(`template: ${stages.length} API stages, the local API serves one`);
  type Setting = { ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number };
  const throttle = (s: Setting | undefined): Throttle | undefined =>
    s?.ThrottlingRateLimit !== undefined && s.ThrottlingBurstLimit !== undefined
      ? { rateLimit: s.ThrottlingRateLimit, burstLimit: s.ThrottlingBurstLimit }
      : undefined;
  const p = stages[0]?.Properties ?? {};
  const def = throttle(p.DefaultRouteSettings as Setting | undefined);
  const routes: Record<string, Throttle> = {};
  for (const [key, setting] of Object.entries((p.RouteSettings ?? {}) as Record<string, Setting>)) {
    const t = throttle(setting);
    if (t) routes[key] = t;
  }
  return { ...(def ? { default: def } : {}), routes };
}

function str(v: Json): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`template: expected a string, got ${JSON.stringify(v)}`);
}

/**
 * What the local Step Functions needs to act as a state machine's execution role: the role's
 * statements, and the roles a task definition's RunTask passes (its task and execution roles).
 */
export function executionRoles(profiles: Pick<TemplateProfiles, 'roles' | 'tasks'>) {
  return {
    get: (roleArn: string): RoleProfile | undefined => profiles.roles[roleArn],
    taskDefinitionRoles: (taskDefinition: string): string[] => {
      const t = Object.values(profiles.tasks).find(
        (x) => x.taskDefinitionArn === taskDefinition || x.family === taskDefinition.replace(/:\d+$/, ''),
      );
      return t ? [t.roleArn, ...(t.executionRoleArn ? [t.executionRoleArn] : [])] : [];
    },
  };
}
