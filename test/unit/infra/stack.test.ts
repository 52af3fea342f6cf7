/**
 * The CDK app, synthesized offline (bundling skipped for speed; the bundle test builds them):
 * generated from the topology, least privilege, every async edge with a DLQ, tables with their
 * stream and recovery, alarms, and cdk-nag's AwsSolutions pack with every acknowledgement explained.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../infra/app.ts';
import { stageConfig } from '../../../infra/cdk/config.ts';
import { system } from '../../../infra/system.ts';
import { httpRoutes } from '../../../infra/topology.ts';
import { functionName } from '../../../infra/naming.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

function synth(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
  const { stack } = buildApp(app);
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  return { stack, template, assembly };
}

const { stack, template, assembly } = synth();
const resources = (type: string) =>
  template.findResources(type) as Record<string, { Properties: Record<string, unknown> }>;
const fnLogicalId = (name: string) =>
  stack.getLogicalId(stack.functions.get(name)!.fn.node.defaultChild as never);

describe('the CDK app, generated from the topology', () => {
  it('has one Node 22 ARM64 traced function per declared function', () => {
    const fns = Object.values(resources('AWS::Lambda::Function')).filter((f) =>
      String(f.Properties.FunctionName ?? '').startsWith('dev-'),
    );
    expect(fns.map((f) => f.Properties.FunctionName).sort()).toEqual(
      system.functions.map((f) => functionName('dev', f.name)).sort(),
    );
    for (const f of fns) {
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      const decl = system.functions.find((d) => functionName('dev', d.name) === f.Properties.FunctionName)!;
      expect(f.Properties).toMatchObject({ MemorySize: decl.memoryMb, Timeout: decl.timeoutSeconds });
    }
  });

  it('routes every HTTP trigger, with the JWT authorizer and its scope except public routes', () => {
    for (const r of httpRoutes(system)) {
      const routes = Object.values(resources('AWS::ApiGatewayV2::Route')).filter(
        (x) => x.Properties.RouteKey === `${r.method} ${r.path}`,
      );
      expect(routes, `${r.method} ${r.path}`).toHaveLength(1);
      const p = routes[0]!.Properties;
      if (r.scope === 'public') expect(p.AuthorizationType ?? 'NONE').toBe('NONE');
      else expect(p).toMatchObject({ AuthorizationType: 'JWT', AuthorizationScopes: [`lcm/${r.scope}`] });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 200 }),
    });
  });

  it('tables have their stream, point-in-time recovery, encryption, TTL and indexes as declared', () => {
    for (const t of system.tables)
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `dev-lcm-${t.name}`,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        ...(t.stream ? { StreamSpecification: { StreamViewType: t.stream } } : {}),
        ...(t.ttlAttribute
          ? { TimeToLiveSpecification: { AttributeName: t.ttlAttribute, Enabled: true } }
          : {}),
        GlobalSecondaryIndexes: t.indexes.map((i) => Match.objectLike({ IndexName: i.name })),
      });
  });

  it('the views listing indexes copy keys and the listing filters only, as the local tables do (D229)', () => {
    const views = system.tables.find((t) => t.name === 'views')!;
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'dev-lcm-views',
      GlobalSecondaryIndexes: views.indexes.map((i) =>
        Match.objectLike({
          IndexName: i.name,
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['session_type', 'tenant'] },
        }),
      ),
    });
  });

  it('the stream consumer reports batch item failures, retries a bounded number of times, bisects and has an on-failure queue', () => {
    const s = system.functions.flatMap((f) => f.triggers.filter((t) => t.kind === 'stream'))[0] as {
      maxRetries: number;
      batchSize: number;
    };
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: s.maxRetries,
      BisectBatchOnFunctionError: true,
      BatchSize: s.batchSize,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('every rule target has a dead-letter queue and a retry policy; aws.* rules listen on the default bus', () => {
    const rules = Object.values(resources('AWS::Events::Rule'));
    const declared = system.functions.flatMap((f) =>
      f.triggers.filter((t) => t.kind === 'event' || t.kind === 'schedule'),
    );
    expect(rules).toHaveLength(declared.length);
    for (const r of rules) {
      const targets = r.Properties.Targets as { DeadLetterConfig?: unknown; RetryPolicy?: unknown }[];
      for (const t of targets) {
        expect(t.DeadLetterConfig).toBeDefined();
        expect(t.RetryPolicy).toBeDefined();
      }
      const src = (r.Properties.EventPattern as { source?: unknown[] } | undefined)?.source;
      if (src?.some((s) => typeof s === 'string' && s.startsWith('aws.')))
        expect(r.Properties.EventBusName ?? 'default').toBe('default');
      else if (!r.Properties.ScheduleExpression)
        expect(JSON.stringify(r.Properties.EventBusName)).toContain('Bus');
    }
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'detail-type': ['Object Created'],
        detail: Match.objectLike({ bucket: Match.anyValue() }),
      }),
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  it('grants least privilege: only the stream dispatcher writes the views; read-only APIs cannot write state', () => {
    const policies = Object.values(resources('AWS::IAM::Policy'));
    const statementsOf = (fn: string) => {
      const roleRef = (
        resources('AWS::Lambda::Function')[fnLogicalId(fn)]!.Properties.Role as { 'Fn::GetAtt': string[] }
      )['Fn::GetAtt'][0];
      return policies
        .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleRef))
        .flatMap(
          (p) =>
            (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
              .Statement,
        );
    };
    const writesTo = (fn: string, table: string) =>
      statementsOf(fn).some(
        (s) =>
          [s.Action].flat().some((a) => /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/.test(a)) &&
          JSON.stringify(s.Resource).includes(table === 'views' ? 'TableViews' : 'TableState'),
      );
    const viewWriters = system.functions.filter((f) => writesTo(f.name, 'views')).map((f) => f.name);
    expect(viewWriters).toEqual(['stream-dispatcher']);
    expect(writesTo('catalog-api', 'state')).toBe(false);
    expect(writesTo('system-api', 'state')).toBe(false);
    // The deep health check reads metadata only: no item, no object, no event.
    const systemActions = statementsOf('system-api').flatMap((s) => [s.Action].flat());
    expect([...new Set(systemActions.filter((a) => !/^xray:/.test(a)))].sort()).toEqual([
      'dynamodb:DescribeTable',
      'events:DescribeEventBus',
      's3:ListBucket',
      'states:ListStateMachines',
    ]);
    expect(writesTo('sessions-api', 'state')).toBe(true);
    const putters = system.functions
      .filter((f) => statementsOf(f.name).some((s) => [s.Action].flat().includes('events:PutEvents')))
      .map((f) => f.name);
    expect(putters.sort()).toEqual(
      system.functions
        .filter((f) => f.grants.some((g) => g.kind === 'bus' && g.access === 'put'))
        .map((f) => f.name)
        .sort(),
    );
  });

  it('buckets block public access, encrypt, enforce TLS and log access; the content bucket notifies EventBridge', () => {
    for (const [, b] of Object.entries(resources('AWS::S3::Bucket'))) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.BucketEncryption).toBeDefined();
    }
    const logged = Object.values(resources('AWS::S3::Bucket')).filter(
      (b) => b.Properties.LoggingConfiguration,
    );
    expect(logged).toHaveLength(system.buckets.length);
    const tlsPolicies = Object.values(resources('AWS::S3::BucketPolicy')).filter((p) =>
      JSON.stringify(p.Properties).includes('aws:SecureTransport'),
    );
    expect(tlsPolicies).toHaveLength(system.buckets.length + 1);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });

  it('alarms on function errors and throttles, DLQ depth and stream iterator age', () => {
    const names = Object.values(resources('AWS::CloudWatch::Alarm')).map((a) =>
      String(a.Properties.AlarmName),
    );
    for (const f of system.functions) {
      expect(names).toContain(`dev-${f.name}-errors`);
      expect(names).toContain(`dev-${f.name}-throttles`);
    }
    expect(names.filter((n) => n.endsWith('-dlq-not-empty'))).toHaveLength(stack.deadLetterQueues.length);
    expect(names).toContain('dev-stream-dispatcher-iterator-age');
  });

  it('alarms on any API 5xx (the handlers answer every error, so Lambda errors never see them)', () => {
    const api5xx = Object.values(resources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === 'dev-lcm-api-5xx',
    );
    expect(api5xx?.Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [expect.anything()],
    });
  });

  it('passes cdk-nag AwsSolutions, and every acknowledgement carries a reason', () => {
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
    };
    const nag = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions')!;
    expect(nag.violations).toEqual([]);
    expect(nag.conclusion).toBe('success');
    for (const a of stack.acknowledgements) expect(a.reason.length, a.id).toBeGreaterThan(40);
  });

  it('acknowledges each wildcard on the policy that has it, never stack-wide: a new one fails synthesis', () => {
    const onStack = stack.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as object));
    expect(onStack.filter((id) => id.includes('IAM5'))).toEqual([]);

    // The same wildcard the state machine role is acknowledged for, added to another role.
    const app2 = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    const { stack: other } = buildApp(app2);
    other.functions
      .get('system-api')!
      .fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['logs:PutResourcePolicy'], resources: ['*'] }));
    expect(() => app2.synth()).toThrow(/wildcard permissions/);
    const report = JSON.parse(readFileSync(join(app2.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        pluginName: string;
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
      }[];
    };
    const violations = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions')!.violations;
    expect(violations.map((v) => [v.ruleName, v.violatingConstructs.map((r) => r.constructPath)])).toEqual([
      ['AwsSolutions-IAM5[Resource::*]', [expect.stringContaining('FnSystemApi')]],
    ]);
  });

  it('the state machine role may invoke only the phase functions', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'dev-lcm-state-machines',
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'states.amazonaws.com' } })],
      }),
    });
  });
});

describe('the job runner on Fargate and asynchronous invocations', () => {
  const task = system.tasks[0]!;
  it('has an ARM64 Fargate task definition with the declared size, its image and a log group', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: `dev-lcm-${task.name}-task`,
      Cpu: String(task.cpu),
      Memory: String(task.memoryMb),
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'job-runner',
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          Environment: Match.arrayWith([
            { Name: 'LCM_HEARTBEAT_SECONDS', Value: String(task.heartbeatSeconds) },
          ]),
        }),
      ],
    });
    // The image is a CDK container asset (built on deploy from the two-file context made at synth).
    const def = Object.values(resources('AWS::ECS::TaskDefinition'))[0]!;
    expect(JSON.stringify(def.Properties.ContainerDefinitions)).toContain('container-assets');
  });

  it('the task may report to the state machines and the state machines may run it and pass its roles', () => {
    const policies = Object.values(resources('AWS::IAM::Policy')).map((p) => JSON.stringify(p.Properties));
    expect(policies.some((p) => p.includes('states:SendTaskHeartbeat') && p.includes('TaskJobRunner'))).toBe(
      true,
    );
    const smPolicy = policies.find((p) => p.includes('StateMachineRole'))!;
    expect(smPolicy).toContain('ecs:RunTask');
    expect(smPolicy).toContain('iam:PassRole');
    expect(smPolicy).toContain('ecs-tasks.amazonaws.com');
  });

  it('the reconciler may list and stop the job tasks of the cluster (an ended phase stops its tasks), and knows the cluster', () => {
    const role = JSON.stringify(
      (resources('AWS::Lambda::Function')[fnLogicalId('reconciler')]!.Properties.Role as object) ?? {},
    );
    const policies = Object.values(resources('AWS::IAM::Policy'))
      .map((p) => JSON.stringify(p.Properties))
      .filter((p) => p.includes('ecs:ListTasks'));
    expect(policies).toHaveLength(1);
    expect(policies[0]).toContain('ecs:StopTask');
    expect(policies[0]).toContain('ecs:cluster');
    expect(role).toContain(JSON.parse(policies[0]!).Roles[0].Ref);
    const vars = (
      resources('AWS::Lambda::Function')[fnLogicalId('reconciler')]!.Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(Object.keys(vars)).toContain('LCM_JOB_CLUSTER_ARN');
  });

  it('content sync knows the cluster, task definition, subnets and security group to compile Fargate jobs against', () => {
    const sync = resources('AWS::Lambda::Function')[fnLogicalId('content-sync')]!;
    const vars = Object.keys(
      (sync.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
    );
    expect(vars).toEqual(
      expect.arrayContaining([
        'LCM_JOB_CLUSTER_ARN',
        'LCM_JOB_TASK_DEFINITION_ARN',
        'LCM_JOB_SUBNETS',
        'LCM_JOB_SECURITY_GROUPS',
      ]),
    );
  });

  it('every function invoked asynchronously has a retry limit and an on-failure queue', () => {
    const configs = Object.values(resources('AWS::Lambda::EventInvokeConfig'));
    const invoked = new Set(
      system.functions.flatMap((f) => f.grants.flatMap((g) => (g.kind === 'invoke' ? [g.function] : []))),
    );
    expect(invoked.size).toBeGreaterThanOrEqual(2);
    expect(configs).toHaveLength(invoked.size);
    for (const c of configs) {
      expect(c.Properties.MaximumRetryAttempts).toBe(2);
      expect(JSON.stringify(c.Properties.DestinationConfig)).toContain('OnFailure');
    }
  });
});

describe('stage configuration', () => {
  it('the LocalStack target synthesizes without the JWT authorizer and without retention', () => {
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://localhost.localstack.cloud:4566'); // what cdklocal sets
    const ls = synth({ target: 'localstack', stage: 'ls' });
    vi.unstubAllEnvs();
    ls.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    ls.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'ls-lcm-state',
      DeletionProtectionEnabled: false,
    });
  });

  it('a production stage keeps tables and protects them from deletion', () => {
    const prod = synth({ stage: 'prod', jwtIssuer: 'https://login.example.com/' });
    prod.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['lcm-api'] },
    });
  });

  it('refuses the LocalStack target unless pointed at a LocalStack endpoint (it removes the authorizer)', () => {
    const localstack = () => stageConfig(new App({ context: { target: 'localstack', stage: 'ls' } }).node);
    try {
      vi.stubEnv('AWS_ENDPOINT_URL', '');
      expect(() => buildApp(new App({ context: { target: 'localstack', stage: 'ls' } }))).toThrow(
        /LocalStack endpoint/,
      );
      expect(localstack).toThrow(/LocalStack endpoint/);
      vi.stubEnv('AWS_ENDPOINT_URL', 'https://dynamodb.eu-west-1.amazonaws.com');
      expect(localstack).toThrow(/LocalStack endpoint/);
      vi.stubEnv('AWS_ENDPOINT_URL', 'http://localhost:4566');
      vi.stubEnv('CDK_DEFAULT_ACCOUNT', '123456789012');
      expect(localstack).toThrow(/account 123456789012/);
      vi.stubEnv('CDK_DEFAULT_ACCOUNT', '000000000000');
      expect(localstack).not.toThrow();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses a bad stage name and a non-https issuer', () => {
    expect(() => buildApp(new App({ context: { stage: 'Prod!' } }))).toThrow(/stage/);
    expect(() => buildApp(new App({ context: { jwtIssuer: 'http://x' } }))).toThrow(/https/);
  });
});
