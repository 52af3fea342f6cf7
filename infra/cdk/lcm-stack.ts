/**
 * The whole product on AWS, generated from the topology declaration (infra/system.ts): every
 * table, bucket, function, trigger, rule, schedule and grant comes from that one object.
 */
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Tags,
  Validations,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV, invokeEnvKey } from '../../shared/runtime/env.ts';
import { busName, functionName, physicalName, stateMachinePrefix, tableName } from '../naming.ts';
import {
  httpRoutes,
  projectionOf,
  stagePattern,
  type BucketName,
  type EventTrigger,
  type SystemDecl,
  type TableName,
} from '../topology.ts';
import type { StageConfig } from './config.ts';
import { SCOPE_PREFIX, routeKey } from '../../shared/api/contract.ts';
import { LcmFunction } from './lcm-function.ts';
import { JobTask, buildJobImageContext, jqGlueSourcePath, jqWasmPath } from './job-task.ts';
import { join } from 'node:path';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LcmNetwork } from './network.ts';
import {
  ACKNOWLEDGEMENTS,
  VPC_ACCESS_ACKNOWLEDGEMENT,
  LOG_DELIVERY_ACTIONS,
  suppressWithReasons,
  wildcardAcknowledgements,
} from './nag.ts';

export interface LcmStackProps extends StackProps {
  system: SystemDecl;
  config: StageConfig;
  root: string;
}

export class LcmStack extends Stack {
  readonly functions = new Map<string, LcmFunction>();
  readonly deadLetterQueues: sqs.Queue[] = [];
  readonly jobTasks = new Map<string, JobTask>();
  readonly buckets = new Map<BucketName, s3.Bucket>();
  network!: LcmNetwork;
  dataKey!: kms.Key;
  acknowledgements: { id: string; reason: string }[] = [];

  constructor(scope: Construct, id: string, props: LcmStackProps) {
    super(scope, id, props);
    const { system, config } = props;
    const removal = config.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    Tags.of(this).add('product', 'lcm');
    Tags.of(this).add('stage', config.stage);

    // One customer-managed key per stage for everything that holds candidate data at rest: the
    // tables, the content and artefact buckets, the dead-letter queues, the bus and its archive
    // (D145). EventBridge encrypts with it for the bus, the archive and the rules' DLQs; its
    // statement is limited to this account's sources.
    const dataKey = new kms.Key(this, 'DataKey', {
      alias: `alias/${physicalName(config.stage, 'data')}`,
      description: `Data at rest of the ${config.stage} stage of LCM (tables, buckets, queues, bus, archive)`,
      enableKeyRotation: true,
      removalPolicy: removal,
    });
    dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeEncryptsForThisAccount',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.dataKey = dataKey;

    const alarmTopic = new sns.Topic(this, 'Alarms', {
      topicName: physicalName(config.stage, 'alarms'),
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (config.alarmEmail) alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    const alarm = (a: cloudwatch.Alarm) => a.addAlarmAction(new cwActions.SnsAction(alarmTopic));

    const dlq = (name: string) => {
      const q = new sqs.Queue(this, `Dlq${pascal(name)}`, {
        queueName: physicalName(config.stage, `${name}-dlq`),
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: dataKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      this.deadLetterQueues.push(q);
      alarm(
        new cloudwatch.Alarm(this, `Dlq${pascal(name)}Depth`, {
          alarmName: physicalName(config.stage, `${name}-dlq-not-empty`),
          metric: q.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      return q;
    };

    // Tables
    const tables = new Map<TableName, dynamodb.Table>();
    for (const t of system.tables) {
      const table = new dynamodb.Table(this, `Table${pascal(t.name)}`, {
        tableName: tableName(config.stage, t.name),
        partitionKey: { name: t.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: t.sortKey, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: dataKey,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: config.deletionProtection,
        removalPolicy: removal,
        ...(t.stream ? { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES } : {}),
        ...(t.ttlAttribute ? { timeToLiveAttribute: t.ttlAttribute } : {}),
      });
      for (const i of t.indexes)
        table.addGlobalSecondaryIndex({
          indexName: i.name,
          partitionKey: { name: i.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: i.sortKey, type: dynamodb.AttributeType.STRING },
          ...(() => {
            const p = projectionOf(i);
            return {
              projectionType: dynamodb.ProjectionType[p.ProjectionType],
              ...(p.NonKeyAttributes ? { nonKeyAttributes: p.NonKeyAttributes } : {}),
            };
          })(),
        });
      tables.set(t.name, table);
    }

    // Buckets
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: removal,
      autoDeleteObjects: !config.deletionProtection,
    });
    const buckets = this.buckets;
    for (const b of system.buckets)
      buckets.set(
        b.name,
        new s3.Bucket(this, `Bucket${pascal(b.name)}`, {
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          encryption: s3.BucketEncryption.KMS,
          encryptionKey: dataKey,
          bucketKeyEnabled: true,
          enforceSSL: true,
          versioned: true,
          eventBridgeEnabled: b.eventBridge,
          serverAccessLogsBucket: accessLogs,
          serverAccessLogsPrefix: `${b.name}/`,
          lifecycleRules: [
            {
              noncurrentVersionExpiration: Duration.days(30),
              abortIncompleteMultipartUploadAfter: Duration.days(2),
            },
          ],
          removalPolicy: removal,
          autoDeleteObjects: !config.deletionProtection,
        }),
      );

    // The bus, its archive; AWS service events arrive on the default bus.
    const bus = new events.EventBus(this, 'Bus', { eventBusName: busName(config.stage), kmsKey: dataKey });
    // `bus.archive()` does not pass a key on (it writes KmsKeyIdentifier ""), and the Archive
    // construct's own key policy statement names the bus by its GetAtt, a cycle with the bus's key:
    // the key is set on the resource itself; the key policy's EventBridge statement covers it.
    const archive = bus.archive('Archive', {
      archiveName: physicalName(config.stage, 'archive'),
      eventPattern: { account: [this.account] },
      retention: Duration.days(system.bus.archiveRetentionDays),
    });
    (archive.node.defaultChild as events.CfnArchive).kmsKeyIdentifier = dataKey.keyArn;
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    const secretsByName = new Map(
      system.secrets.map((s) => [
        s.name,
        new secretsmanager.Secret(this, `Secret${pascal(s.name)}`, {
          secretName: `${config.stage}/lcm/${s.name}`,
          description: s.description,
          removalPolicy: removal,
        }),
      ]),
    );

    // The role content sync passes to the state machines it registers at run time.
    const smLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${physicalName(config.stage, 'phases')}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: removal,
    });
    const smRole = new iam.Role(this, 'StateMachineRole', {
      roleName: physicalName(config.stage, 'state-machines'),
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'Execution role of the part-phase state machines registered by content sync',
    });
    const fnArn = (n: string) =>
      this.formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: functionName(config.stage, n),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    smRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [fnArn('native-steps'), fnArn('job-runner')],
      }),
    );
    smRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          ...LOG_DELIVERY_ACTIONS,
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ],
        resources: ['*'],
      }),
    );

    // The stage's network: the VPC, the CML-facing security groups, the workers' profile (D120).
    const network = new LcmNetwork(this, 'Network', { system, config });
    this.network = network;

    // Functions and their grants
    for (const decl of system.functions) {
      const f = new LcmFunction(this, `Fn${pascal(decl.name)}`, {
        decl,
        config,
        root: props.root,
        ...(decl.network
          ? {
              vpc: {
                vpc: network.vpc,
                subnets: network.privateSubnets,
                securityGroups: [
                  network.clients,
                  ...(decl.network.externalHttps && network.externalHttps ? [network.externalHttps] : []),
                ],
              },
            }
          : {}),
        ...(decl.name === 'seed-catalog' ? { copyDirs: ['seeds'] } : {}),
        // The scenario engine loads jq's WebAssembly and loader (run in a worker thread) from next
        // to its bundle; content sync and the content API compile every expression of a package
        // with it (lint = runtime).
        ...(['job-runner', 'content-sync', 'content-api'].includes(decl.name)
          ? {
              copyFiles: [
                { from: jqWasmPath(props.root), to: 'jq.wasm' },
                { from: jqGlueSourcePath(props.root), to: 'jq-wasm.cjs' },
              ],
            }
          : {}),
      });
      this.functions.set(decl.name, f);
      f.fn.addEnvironment(ENV.nativeStepsFunctionArn, fnArn('native-steps'));
      f.fn.addEnvironment(ENV.jobRunnerFunctionArn, fnArn('job-runner'));
      alarm(
        new cloudwatch.Alarm(this, `Fn${pascal(decl.name)}Errors`, {
          alarmName: `${functionName(config.stage, decl.name)}-errors`,
          metric: f.fn.metricErrors({ period: Duration.minutes(5) }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      alarm(
        new cloudwatch.Alarm(this, `Fn${pascal(decl.name)}Throttles`, {
          alarmName: `${functionName(config.stage, decl.name)}-throttles`,
          metric: f.fn.metricThrottles({ period: Duration.minutes(5) }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    for (const decl of system.functions) {
      const f = this.functions.get(decl.name)!;
      for (const g of decl.grants) {
        switch (g.kind) {
          case 'table':
            f.bindTable(tables.get(g.table)!, g.table, g.access);
            break;
          case 'bucket':
            f.bindBucket(buckets.get(g.bucket)!, g.bucket, g.access);
            break;
          case 'bus':
            f.bindBus(bus, g.access);
            break;
          case 'state-machines':
            f.bindStateMachines(g.access, smRole);
            if (g.access === 'manage') f.fn.addEnvironment(ENV.stateMachineLogGroupArn, smLogs.logGroupArn);
            break;
          case 'secret':
            f.bindSecret(
              secretsByName.get(g.secret)!,
              ENV[
                ({ cml: 'cmlSecretArn', lds: 'ldsSecretArn', webhooks: 'webhookSecretArn' } as const)[
                  g.secret
                ]
              ],
            );
            break;
          case 'invoke': {
            const target = this.functions.get(g.function);
            if (!target)
              throw new Error(`${decl.name} invokes ${g.function}, which the topology does not declare`);
            f.bindInvoke(target.fn, ENV[invokeEnvKey(g.function)]);
            break;
          }
          case 'fleet':
            f.bindFleet(network);
            break;
          case 'job-task':
            if (g.access !== 'stop')
              throw new Error('functions do not run job tasks directly: state machines do (the task grants)');
            break; // granted with the task below, once its cluster exists
        }
      }
    }

    // Functions that others invoke asynchronously: a retry limit and a dead-letter queue each.
    const asyncTargets = new Set(
      system.functions.flatMap((d) => d.grants.flatMap((g) => (g.kind === 'invoke' ? [g.function] : []))),
    );
    for (const name of asyncTargets)
      this.functions.get(name)!.fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        onFailure: new SqsDestination(dlq(`${name}-async`)),
      });

    // The job runner on Fargate: started by the part state machines with a task token.
    for (const t of system.tasks) {
      const jt = new JobTask(this, `Task${pascal(t.name)}`, {
        decl: t,
        config,
        root: props.root,
        contextDir: buildJobImageContext(props.root, t, join(props.root, '.build', `image-${t.name}`)),
        network,
      });
      this.jobTasks.set(t.name, jt);
      for (const g of t.grants) {
        switch (g.kind) {
          case 'table': {
            const table = tables.get(g.table)!;
            if (g.access === 'describe')
              throw new Error(`task ${t.name}: describe-only table grants are for functions`);
            if (g.access === 'read') table.grantReadData(jt.taskRole);
            else table.grantReadWriteData(jt.taskRole);
            jt.addEnvironment(g.table === 'state' ? ENV.stateTable : ENV.viewsTable, table.tableName);
            break;
          }
          case 'bucket': {
            const b = buckets.get(g.bucket)!;
            if (g.access === 'list')
              throw new Error(`task ${t.name}: list-only bucket grants are for functions`);
            if (g.access === 'read') b.grantRead(jt.taskRole);
            else b.grantReadWrite(jt.taskRole);
            jt.addEnvironment(g.bucket === 'content' ? ENV.contentBucket : ENV.artefactsBucket, b.bucketName);
            break;
          }
          case 'secret':
            secretsByName.get(g.secret)!.grantRead(jt.taskRole);
            jt.addEnvironment(
              g.secret === 'cml' ? ENV.cmlSecretArn : ENV.ldsSecretArn,
              secretsByName.get(g.secret)!.secretArn,
            );
            break;
          case 'state-machines':
            jt.taskRole.addToPrincipalPolicy(
              new iam.PolicyStatement({
                actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
                resources: [
                  this.formatArn({
                    service: 'states',
                    resource: 'stateMachine',
                    resourceName: `${stateMachinePrefix(config.stage)}*`,
                    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                  }),
                ],
              }),
            );
            break;
          default:
            throw new Error(`task ${t.name}: grant ${g.kind} is not supported for tasks`);
        }
      }
      jt.grantRun(smRole);
      // Functions that stop the job tasks of ended phase executions.
      for (const d of system.functions.filter((x) =>
        x.grants.some((g) => g.kind === 'job-task' && g.access === 'stop'),
      )) {
        const f = this.functions.get(d.name)!;
        f.fn.addEnvironment(ENV.jobClusterArn, jt.cluster.clusterArn);
        f.fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['ecs:ListTasks'],
            resources: ['*'],
            conditions: { ArnEquals: { 'ecs:cluster': jt.cluster.clusterArn } },
          }),
        );
        f.fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['ecs:StopTask'],
            resources: [
              this.formatArn({
                service: 'ecs',
                resource: 'task',
                resourceName: `${jt.cluster.clusterName}/*`,
              }),
            ],
          }),
        );
      }
      // Content sync compiles `runtime: fargate` jobs against this task.
      const sync = this.functions.get('content-sync');
      if (sync) {
        sync.fn.addEnvironment(ENV.jobClusterArn, jt.cluster.clusterArn);
        sync.fn.addEnvironment(ENV.jobTaskDefinitionArn, jt.taskDefinition.taskDefinitionArn);
        sync.fn.addEnvironment(ENV.jobSubnets, jt.subnets.map((x) => x.subnetId).join(','));
        sync.fn.addEnvironment(ENV.jobSecurityGroups, jt.securityGroup.securityGroupId);
      }
      new CfnOutput(this, `${pascal(t.name)}ClusterName`, { value: jt.cluster.clusterName });
    }

    // HTTP API with a JWT authorizer and a scope per route
    const accessLog = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: removal,
    });
    const api = new apigw.HttpApi(this, 'Api', {
      apiName: physicalName(config.stage, 'api'),
      description: 'LCM sessions, catalog, content and events API',
      createDefaultStage: true,
    });
    const stage = api.defaultStage!.node.defaultChild as apigw.CfnStage;
    stage.accessLogSettings = {
      destinationArn: accessLog.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.integrationLatency',
        error: '$context.error.message',
        principal: '$context.authorizer.claims.sub',
      }),
    };
    // Every handler answers its errors as problems, so the Lambda error alarm never sees a 5xx:
    // alarm on the API's own 5xx count (a handler's `internal` problem, an integration failure,
    // a timeout). Per problem type, the handlers count `LCM/ApiProblem` (shared/runtime/metrics.ts).
    alarm(
      new cloudwatch.Alarm(this, 'Api5xx', {
        alarmName: physicalName(config.stage, 'api-5xx'),
        alarmDescription: 'The API answered a 5xx: no input may reach one (docs/api.md, Errors)',
        metric: api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    stage.defaultRouteSettings = {
      throttlingRateLimit: config.apiThrottle.rateLimit,
      throttlingBurstLimit: config.apiThrottle.burstLimit,
    };
    // Routes with a throttle of their own (the public ones) do not share the stage's. The
    // property is untyped JSON, passed to CloudFormation as written: its keys are CloudFormation's
    // (PascalCase), which the camelCase ones written here before were not (D142).
    stage.routeSettings = Object.fromEntries(
      httpRoutes(system)
        .filter((r) => r.throttle)
        .map((r) => [
          routeKey(r),
          { ThrottlingRateLimit: r.throttle!.rateLimit, ThrottlingBurstLimit: r.throttle!.burstLimit },
        ]),
    );
    const jwt =
      config.target === 'localstack'
        ? undefined
        : new HttpJwtAuthorizer('Jwt', config.jwtIssuer ?? 'https://issuer.example.com/', {
            jwtAudience: config.jwtAudience,
            identitySource: ['$request.header.Authorization'],
          });
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const decl of system.functions)
      for (const t of decl.triggers) {
        if (t.kind !== 'http') continue;
        let integration = integrations.get(decl.name);
        if (!integration) {
          integration = new HttpLambdaIntegration(
            `Integration${pascal(decl.name)}`,
            this.functions.get(decl.name)!.fn,
            { payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0 },
          );
          integrations.set(decl.name, integration);
        }
        const { path, method, scope } = t.contract;
        api.addRoutes({
          path,
          methods: [method as apigw.HttpMethod],
          integration,
          ...(scope !== 'public' && jwt
            ? { authorizer: jwt, authorizationScopes: [SCOPE_PREFIX + scope] }
            : {}),
        });
      }

    // Streams: batch item failures, a retry limit, bisect on error, an on-failure queue.
    for (const decl of system.functions)
      for (const t of decl.triggers) {
        if (t.kind !== 'stream') continue;
        const f = this.functions.get(decl.name)!;
        f.fn.addEventSource(
          new DynamoEventSource(tables.get(t.table)!, {
            startingPosition: lambda.StartingPosition.TRIM_HORIZON,
            batchSize: t.batchSize,
            maxBatchingWindow: Duration.seconds(t.maxBatchingWindowSeconds),
            retryAttempts: t.maxRetries,
            bisectBatchOnError: t.bisectOnError,
            maxRecordAge: Duration.seconds(t.maxRecordAgeSeconds),
            reportBatchItemFailures: true,
            onFailure: new SqsDlq(dlq(`${decl.name}-stream`)),
          }),
        );
        alarm(
          new cloudwatch.Alarm(this, `Fn${pascal(decl.name)}IteratorAge`, {
            alarmName: `${functionName(config.stage, decl.name)}-iterator-age`,
            metric: f.fn.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
            threshold: 60_000,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }

    // Event rules (a DLQ on every target) and schedules
    for (const decl of system.functions) {
      const f = this.functions.get(decl.name)!;
      for (const t of decl.triggers) {
        if (t.kind === 'event') {
          const awsSource = (t.pattern.source as unknown[] | undefined)?.some(
            (s) => typeof s === 'string' && s.startsWith('aws.'),
          );
          const pattern = this.patternFor(t, config.stage, buckets);
          new events.Rule(this, `Rule${pascal(t.rule)}`, {
            ruleName: physicalName(config.stage, t.rule),
            description: t.description,
            eventBus: awsSource ? defaultBus : bus,
            eventPattern: pattern,
            targets: [
              new targets.LambdaFunction(f.fn, {
                deadLetterQueue: dlq(`${t.rule}-target`),
                retryAttempts: t.maxRetries,
                maxEventAge: Duration.seconds(t.maxEventAgeSeconds),
              }),
            ],
          });
        }
        if (t.kind === 'schedule')
          new events.Rule(this, `Schedule${pascal(t.rule)}`, {
            ruleName: physicalName(config.stage, t.rule),
            description: t.description,
            schedule: events.Schedule.rate(Duration.seconds(t.everySeconds)),
            targets: [
              new targets.LambdaFunction(f.fn, {
                deadLetterQueue: dlq(`${t.rule}-target`),
                retryAttempts: 2,
                maxEventAge: Duration.seconds(t.everySeconds * 2),
              }),
            ],
          });
      }
    }

    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint, description: 'The HTTP API base URL' });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'ContentBucketName', { value: buckets.get('content')!.bucketName });
    new CfnOutput(this, 'ArtefactsBucketName', { value: buckets.get('artefacts')!.bucketName });
    new CfnOutput(this, 'StateTableName', { value: tables.get('state')!.tableName });
    new CfnOutput(this, 'ViewsTableName', { value: tables.get('views')!.tableName });
    new CfnOutput(this, 'SeedFunctionName', {
      value: this.functions.get('seed-catalog')!.fn.functionName,
      description: 'Invoke once after deploy to load the seed catalog',
    });

    const invoked = system.functions.flatMap((f) =>
      f.grants
        .filter((g) => g.kind === 'invoke')
        .map((g) => this.functions.get((g as { function: string }).function)!.fn),
    );
    this.acknowledgements = [
      ...ACKNOWLEDGEMENTS,
      ...wildcardAcknowledgements(this, {
        tables: [...tables.values()],
        buckets: [...buckets.values()],
        invoked,
        clusters: [...this.jobTasks.values()].map((t) => t.cluster),
        stage: config.stage,
        fleet: system.functions.some((d) => d.grants.some((g) => g.kind === 'fleet')),
      }),
    ];
    // Functions in the VPC carry AWSLambdaVPCAccessExecutionRole (their network interfaces):
    // acknowledged on each such role, not on the stack.
    for (const decl of system.functions.filter((d) => d.network))
      Validations.of(this.functions.get(decl.name)!.fn.role!).acknowledge({
        id: `AwsSolutions::${VPC_ACCESS_ACKNOWLEDGEMENT.id}`,
        reason: VPC_ACCESS_ACKNOWLEDGEMENT.reason,
      });
    suppressWithReasons(this, this.acknowledgements.slice(ACKNOWLEDGEMENTS.length));
  }

  /** The topology's pattern, narrowed to this stack's bucket for S3 notifications. */
  private patternFor(
    t: EventTrigger,
    stage: string,
    buckets: Map<BucketName, s3.Bucket>,
  ): events.EventPattern {
    const p = stagePattern(t.pattern, stage);
    if ((p.source as string[] | undefined)?.includes('aws.s3')) {
      const detail = (p.detail ?? {}) as Record<string, unknown>;
      p.detail = { ...detail, bucket: { name: [buckets.get('content')!.bucketName] } };
    }
    // The L2 construct spells detail-type as detailType.
    if ('detail-type' in p) {
      p.detailType = p['detail-type'];
      delete p['detail-type'];
    }
    return p as events.EventPattern;
  }
}

const pascal = (s: string) => s.replace(/(^|[-_])(\w)/g, (_m, _d, c: string) => c.toUpperCase());
