/**
 * The job runner on Fargate (topology `tasks`): the ECS cluster in the stage's network
 * (infra/cdk/network.ts), the ARM64 task definition and its image. The image context is built at synth by the same esbuild as the
 * Lambda bundles (the job-task entry and jq.wasm), so `cdk synth` stays offline and fast and
 * `cdk deploy` builds a two-file image.
 */
import { mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { physicalName } from '../naming.ts';
import type { TaskDecl } from '../topology.ts';
import { ESM_BANNER, LAMBDA_NODE_TARGET, NATIVE_ADDONS } from './bundling.ts';
import type { StageConfig } from './config.ts';
import type { LcmNetwork } from './network.ts';

export const JOB_CONTAINER = 'job-runner';

export function jqWasmPath(root: string): string {
  const req = createRequire(join(root, 'package.json'));
  return join(dirname(req.resolve('jq-wasm/package.json')), 'dist', 'build', 'jq.wasm');
}

/** jq-wasm's self-contained CommonJS build, which the jq worker thread loads (copied as jq-wasm.cjs). */
export function jqGlueSourcePath(root: string): string {
  return createRequire(join(root, 'package.json')).resolve('jq-wasm');
}

/** Builds the image context (index.mjs + jq.wasm + jq-wasm.cjs + Dockerfile) into `outDir`. */
export function buildJobImageContext(root: string, decl: TaskDecl, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: [join(root, decl.entry)],
    outfile: join(outDir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_NODE_TARGET,
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: 'inline',
    banner: { js: ESM_BANNER },
    // The image has no SDK of its own, so the SDK is bundled; ssh2's optional native add-ons are not.
    external: NATIVE_ADDONS,
    logLevel: 'silent',
  });
  copyFileSync(jqWasmPath(root), join(outDir, 'jq.wasm'));
  copyFileSync(jqGlueSourcePath(root), join(outDir, 'jq-wasm.cjs'));
  copyFileSync(join(root, 'infra/docker/job-runner.Dockerfile'), join(outDir, 'Dockerfile'));
  writeFileSync(join(outDir, '.dockerignore'), '*\n!index.mjs\n!jq.wasm\n!jq-wasm.cjs\n');
  return outDir;
}

export interface JobTaskProps {
  decl: TaskDecl;
  config: StageConfig;
  root: string;
  contextDir: string;
  network: LcmNetwork;
}

export class JobTask extends Construct {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.ISubnet[];
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly securityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: JobTaskProps) {
    super(scope, id);
    const { decl, config } = props;
    const removal = config.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // The stage's network (infra/cdk/network.ts): private subnets, the CML clients' security group.
    this.vpc = props.network.vpc;
    this.securityGroup = props.network.clients;
    this.subnets = props.network.vpc.selectSubnets(props.network.privateSubnets).subnets;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: physicalName(config.stage, 'jobs'),
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDef', {
      family: physicalName(config.stage, `${decl.name}-task`),
      cpu: decl.cpu,
      memoryLimitMiB: decl.memoryMb,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/lcm/${config.stage}/${decl.name}-task`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: removal,
    });
    this.taskDefinition.addContainer(JOB_CONTAINER, {
      containerName: JOB_CONTAINER,
      image: ecs.ContainerImage.fromAsset(props.contextDir, { platform: Platform.LINUX_ARM64 }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: decl.name, logGroup }),
      environment: {
        POWERTOOLS_SERVICE_NAME: `lcm-${decl.name}-task`,
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        LCM_STAGE: config.stage,
        LCM_HEARTBEAT_SECONDS: String(decl.heartbeatSeconds),
      },
      stopTimeout: Duration.seconds(30),
    });
  }

  get taskRole(): iam.IRole {
    return this.taskDefinition.taskRole;
  }

  addEnvironment(name: string, value: string): void {
    this.taskDefinition.defaultContainer!.addEnvironment(name, value);
  }

  /** What the state machines need to start the task with a token: RunTask on it and PassRole. */
  grantRun(role: iam.IRole): void {
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [this.taskDefinition.taskDefinitionArn],
        conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
        resources: [
          stack.formatArn({
            service: 'ecs',
            resource: 'task',
            resourceName: `${this.cluster.clusterName}/*`,
          }),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.taskDefinition.taskRole.roleArn, this.taskDefinition.obtainExecutionRole().roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
  }
}
