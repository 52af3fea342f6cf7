/**
 * The one opinionated Lambda construct: Node 22 on ARM64, ESM bundle by the local esbuild,
 * X-Ray tracing, a log group with retention, Powertools settings, and `bind*` helpers that set
 * the environment variable and grant least privilege in one call.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync } from 'node:fs';
import { ArnFormat, AssetHashType, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../shared/runtime/env.ts';
import { functionName, stateMachinePrefix } from '../naming.ts';
import type { FunctionDecl, TableName } from '../topology.ts';
import type { StageConfig } from './config.ts';
import type { LcmNetwork } from './network.ts';
import { WORKER_TAGS } from '../../shared/domain/worker.ts';

export interface LcmFunctionProps {
  decl: FunctionDecl;
  config: StageConfig;
  root: string;
  /** Extra files the bundle needs at run time (copied next to it), e.g. the seeds. */
  copyDirs?: string[];
  /** Single files copied next to the bundle (absolute source, name in the bundle). */
  copyFiles?: { from: string; to: string }[];
  /** The stage's VPC, for functions declared with a `network` (infra/cdk/network.ts). */
  vpc?: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] };
}

export class LcmFunction extends Construct {
  readonly fn: lambda.Function;
  readonly stage: string;

  constructor(scope: Construct, id: string, props: LcmFunctionProps) {
    super(scope, id);
    const { decl, config } = props;
    this.stage = config.stage;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName(config.stage, decl.name)}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: config.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const copies = props.copyDirs ?? [];
    const files = props.copyFiles ?? [];
    const entry = `${props.root}/${decl.entry}`;
    this.fn = new lambda.Function(this, 'Fn', {
      functionName: functionName(config.stage, decl.name),
      description: decl.description,
      // Bundled by esbuild with the options the bundle test and the bench use (bundling.ts), plugins
      // included (D225), which the NodejsFunction construct's esbuild command line cannot take.
      code: lambda.Code.fromAsset(props.root, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: lambda.Runtime.NODEJS_22_X.bundlingImage,
          // What the bundle is built from, in the options (D242): CDK keeps one staged asset per
          // hash of the source directory and these options (functions dropped), so without it
          // every function of a synth got the first function's bundle.
          environment: {
            LCM_BUNDLE_ENTRY: decl.entry,
            LCM_BUNDLE_COPIES: JSON.stringify({ copies, files }),
          },
          local: {
            tryBundle(outputDir: string) {
              const r = spawnSync(
                process.execPath,
                ['--import', 'tsx', `${props.root}/infra/cdk/bundle-lambda.ts`, entry, outputDir],
                { cwd: props.root, stdio: 'inherit' },
              );
              if (r.status !== 0) throw new Error(`bundling ${decl.entry} failed (exit ${r.status})`);
              for (const d of copies) cpSync(`${props.root}/${d}`, `${outputDir}/${d}`, { recursive: true });
              for (const f of files) copyFileSync(f.from, `${outputDir}/${f.to}`);
              return true;
            },
          },
        },
      }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: decl.memoryMb,
      timeout: Duration.seconds(decl.timeoutSeconds),
      tracing: config.target === 'localstack' ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
      logGroup,
      ...(decl.reservedConcurrency ? { reservedConcurrentExecutions: decl.reservedConcurrency } : {}),
      ...(props.vpc
        ? { vpc: props.vpc.vpc, vpcSubnets: props.vpc.subnets, securityGroups: props.vpc.securityGroups }
        : {}),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `lcm-${decl.name}`,
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: 'LCM',
        [ENV.stage]: config.stage,
        ...(copies.includes('seeds') ? { LCM_SEEDS_DIR: '/var/task/seeds' } : {}),
      },
    });
  }

  get name() {
    return this.fn.functionName;
  }

  bindTable(table: dynamodb.ITable, name: TableName, access: 'describe' | 'read' | 'readwrite'): this {
    this.fn.addEnvironment(name === 'state' ? ENV.stateTable : ENV.viewsTable, table.tableName);
    if (access === 'describe')
      this.fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: [table.tableArn] }),
      );
    else if (access === 'read') table.grantReadData(this.fn);
    else table.grantReadWriteData(this.fn);
    return this;
  }

  bindBucket(bucket: s3.IBucket, name: 'content' | 'artefacts', access: 'list' | 'read' | 'readwrite'): this {
    this.fn.addEnvironment(name === 'content' ? ENV.contentBucket : ENV.artefactsBucket, bucket.bucketName);
    // HeadBucket is authorized as s3:ListBucket on the bucket itself (no object).
    if (access === 'list')
      this.fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
      );
    else if (access === 'read') bucket.grantRead(this.fn);
    else bucket.grantReadWrite(this.fn);
    return this;
  }

  bindBus(bus: events.IEventBus, access: 'put' | 'describe'): this {
    this.fn.addEnvironment(ENV.eventBus, bus.eventBusName);
    if (access === 'put') bus.grantPutEventsTo(this.fn);
    else
      this.fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['events:DescribeEventBus'], resources: [bus.eventBusArn] }),
      );
    return this;
  }

  /** State machines this stage registers at run time share the `<stage>-lcm-` prefix; grants stop at it. */
  bindStateMachines(access: 'list' | 'manage' | 'execute' | 'callback', executionRole: iam.IRole): this {
    if (access === 'list') {
      // ListStateMachines takes no resource ARN.
      this.fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['states:ListStateMachines'], resources: ['*'] }),
      );
      return this;
    }
    const stack = Stack.of(this);
    const machines = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: `${stateMachinePrefix(this.stage)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachinePrefix(this.stage)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.fn.addEnvironment(ENV.stateMachineRoleArn, executionRole.roleArn);
    const actions = {
      manage: [
        'states:CreateStateMachine',
        'states:UpdateStateMachine',
        'states:DescribeStateMachine',
        'states:TagResource',
      ],
      execute: ['states:StartExecution', 'states:StopExecution', 'states:DescribeExecution'],
      callback: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
    }[access];
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: access === 'callback' ? [machines] : [machines, `${executions}:*`],
      }),
    );
    if (access === 'manage') {
      executionRole.grantPassRole(this.fn.grantPrincipal);
      this.fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['states:ListStateMachines'], resources: ['*'] }),
      );
    }
    return this;
  }

  bindSecret(secret: secrets.ISecret, envName: string): this {
    this.fn.addEnvironment(envName, secret.secretArn);
    secret.grantRead(this.fn);
    return this;
  }

  /**
   * The CML fleet on EC2 (D121): launch only with this stage's tag in the request, on the stage's
   * worker subnets and security group; start, stop, terminate and tag only instances tagged with
   * this stage; describe (EC2 takes no resource for it); pass the workers' role to EC2 only.
   */
  bindFleet(network: LcmNetwork): this {
    const stack = Stack.of(this);
    const arn = (resource: string, name: string, account?: string) =>
      stack.formatArn({
        service: 'ec2',
        resource,
        resourceName: name,
        ...(account !== undefined ? { account } : {}),
      });
    const stageTag = `${WORKER_TAGS.stage}`;
    this.fn.addEnvironment(ENV.workerSubnets, network.workerSubnets.map((s) => s.subnetId).join(','));
    this.fn.addEnvironment(ENV.workerSecurityGroups, network.workers.securityGroupId);
    this.fn.addEnvironment(ENV.workerInstanceProfileArn, network.workerProfile.instanceProfileArn);
    this.fn.addEnvironment(ENV.workerPublicIp, String(network.workerPublicIp));
    const add = (s: iam.PolicyStatementProps) => this.fn.addToRolePolicy(new iam.PolicyStatement(s));
    add({
      actions: ['ec2:RunInstances'],
      resources: [arn('instance', '*'), arn('volume', '*')],
      conditions: { StringEquals: { [`aws:RequestTag/${stageTag}`]: this.stage } },
    });
    add({
      actions: ['ec2:RunInstances'],
      resources: [
        ...network.workerSubnets.map((s) => arn('subnet', s.subnetId)),
        arn('security-group', network.workers.securityGroupId),
        arn('network-interface', '*'),
        arn('image', '*', ''),
      ],
    });
    add({
      actions: ['ec2:CreateTags'],
      resources: [arn('instance', '*'), arn('volume', '*')],
      conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    });
    add({
      actions: ['ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:CreateTags'],
      resources: [arn('instance', '*')],
      conditions: { StringEquals: { [`aws:ResourceTag/${stageTag}`]: this.stage } },
    });
    add({ actions: ['ec2:DescribeInstances', 'ec2:DescribeImages'], resources: ['*'] });
    add({
      actions: ['iam:PassRole'],
      resources: [network.workerRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    return this;
  }

  bindInvoke(target: lambda.IFunction, envName: string): this {
    this.fn.addEnvironment(envName, target.functionName);
    target.grantInvoke(this.fn);
    return this;
  }
}
