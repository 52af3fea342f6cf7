/**
 * cdk-nag (AwsSolutions, v3: a CDK policy-validation plugin) acknowledgements. Each names the
 * rule (and, for IAM5, the finding) it covers and why it is acceptable; a test fails on any
 * acknowledgement without a reason of substance.
 */
import { createRequire } from 'node:module';
import { Aspects, type CfnElement, type IAspect, type Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

// How cdk-nag spells a resource in a finding id (`<Logical.Arn>/index/*`), from cdk-nag itself.
const { flattenCfnReference } = createRequire(import.meta.url)('cdk-nag/lib/utils/flatten-cfn-reference') as {
  flattenCfnReference(reference: unknown): string;
};

export const ACKNOWLEDGEMENTS: { id: string; reason: string }[] = [
  {
    id: 'AwsSolutions-ECS2',
    reason:
      'The job runner container environment holds only resource names (stage, table, bucket, secret ARN) and the heartbeat period; credentials are read from Secrets Manager at run time, never passed as environment.',
  },
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'Lambda functions use AWSLambdaBasicExecutionRole, which only lets them write their own CloudWatch Logs; everything else is granted explicitly by the bind* helpers.',
  },
  {
    id: 'AwsSolutions-L1',
    reason:
      "Functions are pinned to Node.js 22: the code base is built and tested on Node 20 and 22 (Node 24 is not yet on the developers' machines).",
  },
  {
    id: 'AwsSolutions-SQS3',
    reason:
      'These queues are themselves dead-letter or on-failure destinations (Lambda stream sources, EventBridge targets); a DLQ of a DLQ adds nothing, and each has a depth alarm.',
  },
  {
    id: 'AwsSolutions-SMG4',
    reason:
      "The CML and lab delivery system credentials are issued by those systems' administrators; rotation needs a per-system rotation function, tracked as follow-up work.",
  },
  {
    id: 'AwsSolutions-APIG4',
    reason:
      'Only GET /v1/health and GET /v1/openapi.json are public; every other route carries the JWT authorizer with a per-route scope (asserted by the infra tests).',
  },
  {
    id: 'AwsSolutions-S1',
    reason:
      'The access-log bucket receives the server access logs of the other buckets; logging it into itself would loop.',
  },
];

/** Acknowledged on the role of each function in the VPC (infra/cdk/lcm-stack.ts), never stack-wide. */
export const VPC_ACCESS_ACKNOWLEDGEMENT = {
  id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
  reason:
    "A function in the stage's VPC (it talks to the CML workers) needs AWSLambdaVPCAccessExecutionRole to create and delete its network interfaces; it grants nothing else.",
};

/**
 * AwsSolutions-IAM5 reports each wildcard separately; each is acknowledged by name, so a new
 * wildcard anywhere fails synthesis until someone explains it here.
 */
export function wildcardAcknowledgements(
  stack: Stack,
  r: {
    tables: IConstruct[];
    buckets: IConstruct[];
    invoked: IConstruct[];
    clusters?: IConstruct[];
    stage: string;
    /** Some function manages the CML fleet on EC2. */
    fleet?: boolean;
  },
): { id: string; reason: string }[] {
  const lid = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const acct = '<AWS::AccountId>';
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  const out: { id: string; reason: string }[] = [
    {
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:states:${region}:${acct}:stateMachine:${r.stage}-lcm-*]`,
      reason: `Content sync registers one state machine per (pod definition, phase) at run time; names share this stage's ${r.stage}-lcm- prefix, and grants stop at it (another stage's machines are out of reach).`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:states:${region}:${acct}:execution:${r.stage}-lcm-*:*]`,
      reason: `Executions of this stage's run-time state machines, bounded by the same ${r.stage}-lcm- prefix.`,
    },
  ];
  for (const t of r.tables)
    out.push({
      id: `AwsSolutions-IAM5[Resource::<${lid(t)}.Arn>/index/*]`,
      reason: "Queries on this table's own global secondary indexes.",
    });
  for (const b of r.buckets)
    out.push({
      id: `AwsSolutions-IAM5[Resource::<${lid(b)}.Arn>/*]`,
      reason: "Objects inside this stack's own bucket (packages, definitions, reports).",
    });
  for (const f of r.invoked)
    out.push({
      id: `AwsSolutions-IAM5[Resource::<${lid(f)}.Arn>:*]`,
      reason: 'Invoking the versions and aliases of one named function.',
    });
  for (const c of r.clusters ?? [])
    out.push({
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:ecs:${region}:${acct}:task/<${lid(c)}>/*]`,
      reason:
        "Stopping and describing the job runner tasks the state machines start: task ids are not known in advance; the grant stops at this stack's own cluster.",
    });
  if (r.fleet)
    out.push(
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:ec2:${region}:${acct}:instance/*]`,
        reason: `The fleet reconciler launches CML workers (RunInstances only with the tag lcm:stage=${r.stage} in the request) and starts, stops, terminates and tags only instances already tagged lcm:stage=${r.stage}: instance ids are not known before launch.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:ec2:${region}:${acct}:volume/*]`,
        reason: `A launched worker's root volume, created by RunInstances with the tag lcm:stage=${r.stage} in the request (or tagged at creation by it).`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:ec2:${region}:${acct}:network-interface/*]`,
        reason:
          "The network interface RunInstances creates for a worker; only together with an instance (tag-conditioned) in the stage's worker subnets and worker security group.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:ec2:${region}::image/*]`,
        reason:
          'Worker templates name their AMI by a name pattern, resolved at launch to the newest match (DescribeImages); the image id is not known in advance.',
      },
    );
  for (const a of ['s3:List*', 's3:GetObject*', 's3:GetBucket*', 's3:DeleteObject*', 's3:Abort*'])
    out.push({
      id: `AwsSolutions-IAM5[Action::${a}]`,
      reason:
        "The read/read-write object action groups of grantRead/grantReadWrite, on this stack's own buckets only.",
    });
  return out;
}

/** AWS's documented policy for a state machine's vended log delivery (all take no resource). */
export const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/**
 * Actions IAM authorizes on no resource ARN (`Resource: *` is the only way to grant them), each
 * with why it is granted. `Resource::*` is acknowledged on a policy only if every action it grants
 * on `*` is here, and the reason names them: a new one (say `logs:PutResourcePolicy` on a
 * function) fails synthesis until it is explained here.
 */
export const RESOURCELESS_ACTIONS: Record<string, { why: string; only?: RegExp }> = {
  'xray:PutTraceSegments': { why: 'X-Ray tracing' },
  'xray:PutTelemetryRecords': { why: 'X-Ray tracing' },
  'xray:GetSamplingRules': { why: 'X-Ray tracing' },
  'xray:GetSamplingTargets': { why: 'X-Ray tracing' },
  'states:ListStateMachines': { why: 'listing state machines (content sync, the deep health check)' },
  'dynamodb:ListStreams': { why: "the stream event source mapping's stream discovery" },
  ...Object.fromEntries(
    LOG_DELIVERY_ACTIONS.map((a) => [
      a,
      {
        why: "the state machines' vended log delivery (AWS's documented Step Functions logging policy); the state machine role only",
        only: /\/StateMachineRole\//,
      },
    ]),
  ),
  'ecs:ListTasks': {
    why: "finding an ended phase execution's job tasks (ListTasks takes no task ARN; the statement is conditioned on ecs:cluster, the stack's own job cluster); the reconciler only",
    only: /\/FnReconciler\//,
  },
  'ec2:DescribeInstances': {
    why: "observing the stage's workers and discovering its tagged instances (EC2 Describe* take no resource); the fleet reconciler only",
    only: /\/FnFleetReconciler\//,
  },
  'ec2:DescribeImages': {
    why: "resolving a worker template's AMI name pattern (EC2 Describe* take no resource); the fleet reconciler only",
    only: /\/FnFleetReconciler\//,
  },
  'ec2:DescribePrefixLists': {
    why: "reading the S3 and DynamoDB managed prefix lists for the CML clients' security group egress (a deploy-time lookup); the prefix-list lookups only",
    only: /\/Network\/\w+PrefixList\//,
  },
  'ecr:GetAuthorizationToken': {
    why: "pulling the job runner's image (ECR's token is account-wide); the task execution role only",
    only: /\/ExecutionRole\//,
  },
};

type Statement = { Effect?: string; Action?: string | string[]; Resource?: unknown };
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** cdk-nag's IAM5 findings of one policy document, as it computes them. */
function findings(doc: { Statement?: Statement[] }): { id: string; starActions: string[] }[] {
  const out = new Map<string, string[]>();
  for (const st of doc.Statement ?? []) {
    if (st.Effect !== 'Allow') continue;
    const actions = arr(st.Action);
    for (const a of actions.filter((x) => x.includes('*'))) out.set(`Action::${a}`, []);
    for (const r of arr(st.Resource)
      .map(flattenCfnReference)
      .filter((x) => x.includes('*'))) {
      const id = `Resource::${r}`;
      out.set(id, [...(out.get(id) ?? []), ...(r === '*' ? actions : [])]);
    }
  }
  return [...out].map(([id, starActions]) => ({ id, starActions }));
}

/**
 * Acknowledges each IAM5 finding on the one policy (or role) that has it, never on the stack: an
 * aspect, so statements added after construction are seen too.
 */
class ScopedWildcardAcknowledgements implements IAspect {
  constructor(private readonly catalogue: Map<string, string>) {}

  visit(node: IConstruct): void {
    const docs =
      node instanceof iam.CfnPolicy
        ? [node.policyDocument]
        : node instanceof iam.CfnRole
          ? arr(node.stack.resolve(node.policies) as { policyDocument: unknown }[]).map(
              (p) => p.policyDocument,
            )
          : [];
    for (const doc of docs)
      for (const f of findings((node as iam.CfnPolicy).stack.resolve(doc) as { Statement?: Statement[] })) {
        let reason = this.catalogue.get(`AwsSolutions-IAM5[${f.id}]`);
        if (f.id === 'Resource::*') {
          const ok = (a: string) => {
            const r = RESOURCELESS_ACTIONS[a];
            return r !== undefined && (!r.only || r.only.test(`/${node.node.path}/`));
          };
          reason = f.starActions.every(ok)
            ? `Granted on * because IAM takes no resource for them: ${[...new Set(f.starActions)]
                .map((a) => `${a} (${RESOURCELESS_ACTIONS[a]!.why})`)
                .join('; ')}.`
            : undefined;
        }
        if (reason)
          Validations.of(node).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${f.id}]`, reason });
      }
  }
}

/**
 * The stack-wide acknowledgements (rules that are not about one resource's wildcards), and the
 * IAM5 catalogue applied policy by policy.
 */
export function suppressWithReasons(stack: Stack, wildcards: { id: string; reason: string }[] = []): void {
  for (const a of ACKNOWLEDGEMENTS) Validations.of(stack).acknowledge({ ...a, id: `AwsSolutions::${a.id}` });
  Aspects.of(stack).add(new ScopedWildcardAcknowledgements(new Map(wildcards.map((w) => [w.id, w.reason]))));
}
