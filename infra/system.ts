/**
 * The product's topology, declared once. The CDK app (infra/app.ts) and the local runtime
 * (infra/local/) are both generated from this object: a function, trigger, table or rule that
 * is not here does not exist anywhere.
 */
import type { RouteContract } from '../shared/api/contract.ts';
import { catalogContracts } from '../shared/api/contracts/catalog.ts';
import { contentContracts } from '../shared/api/contracts/content.ts';
import { inboundContracts } from '../shared/api/contracts/inbound.ts';
import { jobsContracts } from '../shared/api/contracts/jobs.ts';
import { sessionsContracts } from '../shared/api/contracts/sessions.ts';
import { systemContracts } from '../shared/api/contracts/system.ts';
import { workersContracts } from '../shared/api/contracts/workers.ts';
import { AWS_EVENTS, EVENT_ARCHIVE_RETENTION_DAYS, EVENT_TYPES, SOURCES } from '../shared/events/types.ts';
import { stateMachinePrefix } from '../shared/domain/names.ts';
import { ALLOWED_SOURCE_PREFIXES } from '../shared/inbound/commands.ts';
import { WORKER_PORTS } from '../shared/domain/worker.ts';
import { LISTING_FILTERS } from '../shared/store/keys.ts';
import {
  STAGE,
  type EventTrigger,
  type HttpTrigger,
  type StreamTrigger,
  type SystemDecl,
} from './topology.ts';

/** A function's API routes: every route of its contracts (method, path, scope and body limit are theirs). */
const routes = (contracts: Record<string, RouteContract>): HttpTrigger[] =>
  Object.values(contracts).map((contract) => ({ kind: 'http', contract }));

const rule = (name: string, description: string, pattern: Record<string, unknown>): EventTrigger => ({
  kind: 'event',
  rule: name,
  description,
  pattern,
  maxRetries: 4,
  maxEventAgeSeconds: 3600,
});

const stateStream: StreamTrigger = {
  kind: 'stream',
  table: 'state',
  batchSize: 100,
  maxBatchingWindowSeconds: 0,
  maxRetries: 5,
  bisectOnError: true,
  maxRecordAgeSeconds: 3600,
};

export const system: SystemDecl = {
  name: 'lcm',
  tables: [
    {
      name: 'state',
      description:
        'Single-table state: one partition per session tree; catalog, workers, jobs, idempotency records',
      partitionKey: 'pk',
      sortKey: 'sk',
      stream: 'NEW_AND_OLD_IMAGES',
      ttlAttribute: 'expires_at',
      indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
    },
    {
      name: 'views',
      description:
        'Read models written only by the stream dispatcher (session trees, listings, outbox marks)',
      partitionKey: 'pk',
      sortKey: 'sk',
      ttlAttribute: 'expires_at',
      // The listings copy keys and the two attributes they filter on, never the tree: a tree
      // rewritten without a change to its listing keys writes no index (D229).
      indexes: [
        { name: 'by_time', partitionKey: 'list_key', sortKey: 'time_key', include: LISTING_FILTERS },
        { name: 'by_status', partitionKey: 'status_key', sortKey: 'time_key', include: LISTING_FILTERS },
        {
          name: 'by_candidate',
          partitionKey: 'candidate_key',
          sortKey: 'time_key',
          include: LISTING_FILTERS,
        },
        { name: 'by_review', partitionKey: 'review_key', sortKey: 'review_since', include: LISTING_FILTERS },
      ],
    },
  ],
  buckets: [
    { name: 'content', description: 'PAv1 packages in, extracted artefacts out', eventBridge: true },
    { name: 'artefacts', description: 'Score reports, collected evidence and archives', eventBridge: false },
  ],
  bus: { name: 'lcm', archiveRetentionDays: EVENT_ARCHIVE_RETENTION_DAYS },
  secrets: [
    { name: 'cml', description: 'CML worker API credentials' },
    { name: 'lds', description: 'Lab delivery system API credentials' },
    {
      name: 'webhooks',
      description:
        'Inbound webhook clients: per client id, its signing secret(s) and the exact event sources it may send',
    },
  ],
  functions: [
    {
      name: 'system-api',
      description: 'Health (shallow; deep for operators) and the OpenAPI document',
      entry: 'lambdas/get-system.ts',
      memoryMb: 256,
      timeoutSeconds: 10,
      triggers: routes(systemContracts),
      // The deep health check reads each dependency's metadata, and nothing else.
      grants: [
        { kind: 'table', table: 'state', access: 'describe' },
        { kind: 'table', table: 'views', access: 'describe' },
        { kind: 'bucket', bucket: 'content', access: 'list' },
        { kind: 'bucket', bucket: 'artefacts', access: 'list' },
        { kind: 'bus', access: 'describe' },
        { kind: 'state-machines', access: 'list' },
      ],
    },
    {
      name: 'sessions-api',
      description:
        'Schedule, read, list, cancel and extend sessions; candidate and reviewer actions on parts',
      entry: 'lambdas/sessions-api.ts',
      memoryMb: 512,
      timeoutSeconds: 15,
      triggers: routes(sessionsContracts),
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'table', table: 'views', access: 'read' },
      ],
    },
    {
      name: 'workers-api',
      description:
        "The operator on the CML fleet (list workers with allocation; cordon, uncordon, drain) and the scheduler's availability question",
      entry: 'lambdas/workers-api.ts',
      memoryMb: 512,
      timeoutSeconds: 15,
      triggers: routes(workersContracts),
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        // Availability: booked demand (session trees) and what each pod's content asks of a worker.
        { kind: 'table', table: 'views', access: 'read' },
        { kind: 'bucket', bucket: 'content', access: 'read' },
      ],
    },
    {
      name: 'catalog-api',
      description: 'Session definitions and the form resolution preview',
      entry: 'lambdas/catalog-api.ts',
      memoryMb: 512,
      timeoutSeconds: 10,
      triggers: routes(catalogContracts),
      grants: [{ kind: 'table', table: 'state', access: 'read' }],
    },
    {
      name: 'content-api',
      description: 'Request a content sync; read pod definitions',
      entry: 'lambdas/content-api.ts',
      memoryMb: 256,
      timeoutSeconds: 10,
      triggers: routes(contentContracts),
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'bucket', bucket: 'content', access: 'read' },
        { kind: 'invoke', function: 'content-sync' },
      ],
    },
    {
      name: 'jobs-api',
      description: 'Submit, read and cancel scenario-engine jobs; the DSL function catalogue',
      entry: 'lambdas/jobs-api.ts',
      memoryMb: 256,
      timeoutSeconds: 10,
      triggers: routes(jobsContracts),
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'invoke', function: 'job-runner' },
        // The link to a job's outputs document (presigned GET) is signed with this read grant.
        { kind: 'bucket', bucket: 'artefacts', access: 'read' },
      ],
    },
    {
      name: 'job-runner',
      description:
        'Runs short jobs: asynchronously for the jobs API, as a lambda:invoke task for part phases',
      entry: 'lambdas/run-job.ts',
      memoryMb: 1024,
      timeoutSeconds: 900,
      triggers: [{ kind: 'state-machine-task' }],
      // Jobs drive the CML API and the device consoles.
      network: { reach: 'cml' },
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'bucket', bucket: 'content', access: 'read' },
        { kind: 'bucket', bucket: 'artefacts', access: 'readwrite' },
        { kind: 'secret', secret: 'cml' },
      ],
    },
    {
      name: 'native-steps',
      description:
        'Part phase native steps: placement and ports, CML lab, lab delivery registration, teardown',
      entry: 'lambdas/native-steps.ts',
      memoryMb: 512,
      timeoutSeconds: 120,
      triggers: [{ kind: 'state-machine-task' }],
      network: {
        reach: 'cml',
        externalHttps:
          'the lab delivery system (registering a pod, its launch URL) is an HTTPS service outside the VPC',
      },
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'bucket', bucket: 'content', access: 'read' },
        { kind: 'bucket', bucket: 'artefacts', access: 'readwrite' },
        { kind: 'secret', secret: 'cml' },
        { kind: 'secret', secret: 'lds' },
      ],
    },
    {
      name: 'content-sync',
      description: 'PAv1 package → PodDefinition, compiled and registered state machines',
      entry: 'lambdas/sync-content.ts',
      memoryMb: 1024,
      timeoutSeconds: 120,
      triggers: [
        rule('content-uploaded', 'A package lands in the content bucket', {
          source: [AWS_EVENTS.objectCreated.source],
          'detail-type': [AWS_EVENTS.objectCreated.detailType],
          detail: { object: { key: [{ suffix: '.zip' }] } },
        }),
      ],
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'bucket', bucket: 'content', access: 'readwrite' },
        { kind: 'state-machines', access: 'manage' },
      ],
    },
    {
      name: 'stream-dispatcher',
      description: 'The one reader of the state stream: projects views and publishes the CloudEvent outbox',
      entry: 'lambdas/dispatch-stream.ts',
      memoryMb: 512,
      timeoutSeconds: 60,
      triggers: [stateStream],
      grants: [
        { kind: 'table', table: 'views', access: 'readwrite' },
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'bus', access: 'put' },
      ],
    },
    {
      name: 'reconciler',
      description: 'Converges each session tree towards its intent, driven by changes and the clock',
      entry: 'lambdas/reconcile-sessions.ts',
      memoryMb: 1024,
      timeoutSeconds: 60,
      triggers: [
        rule('tree-changed', 'A session tree changed (fan-out from the stream dispatcher)', {
          source: [SOURCES.orchestration],
          'detail-type': [EVENT_TYPES.treeChanged],
        }),
        // Only this stage's executions: their names start with `<stage>-lcm-`.
        rule('phase-execution-ended', 'A part phase state machine of this stage ended', {
          source: [AWS_EVENTS.executionStatusChanged.source],
          'detail-type': [AWS_EVENTS.executionStatusChanged.detailType],
          detail: {
            status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
            name: [{ prefix: stateMachinePrefix(STAGE) }],
          },
        }),
        {
          kind: 'schedule',
          rule: 'reconcile-tick',
          description: 'Time-driven transitions and the stuck-work watchdog',
          everySeconds: 60,
        },
      ],
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'table', table: 'views', access: 'read' },
        { kind: 'state-machines', access: 'execute' },
        { kind: 'bus', access: 'put' },
        // The cleanup-deadline teardown invokes the native steps directly (asynchronously).
        { kind: 'invoke', function: 'native-steps' },
        // An ended phase execution's job tasks that still run are stopped (ListTasks, StopTask).
        { kind: 'job-task', access: 'stop' },
        // The combined score report document (reports/<session>/session.json), D76.
        { kind: 'bucket', bucket: 'artefacts', access: 'readwrite' },
      ],
    },
    {
      name: 'fleet-reconciler',
      description:
        'Converges the CML fleet on EC2 every minute: launch, boot, probe, drain, stop; scales from the booked demand',
      entry: 'lambdas/reconcile-fleet.ts',
      memoryMb: 512,
      // Below the schedule's period: passes do not overlap (and a lost race is the next pass's).
      timeoutSeconds: 55,
      // The readiness probe asks each booting worker's CML API (its system information, no credentials).
      network: { reach: 'cml' },
      triggers: [
        {
          kind: 'schedule',
          rule: 'fleet-tick',
          description: 'One fleet reconcile pass: worker lifecycle steps and scaling decisions',
          everySeconds: 60,
          localStandIn:
            'the local runtime runs the same pass (runFleetPass) on its clock tick between moves of its EC2 simulator, launching into its simulated network (infra/local/fleet.ts)',
        },
      ],
      grants: [
        // Workers, worker templates, session trees and pod definitions (booked demand).
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'table', table: 'views', access: 'read' },
        // What a booked pod's content asks of a worker (its pod definition's document).
        { kind: 'bucket', bucket: 'content', access: 'read' },
        { kind: 'fleet', access: 'manage' },
      ],
    },
    {
      name: 'inbound-events',
      description: 'Lab delivery system and grader CloudEvents → commands (allow-listed, idempotent)',
      entry: 'lambdas/accept-inbound-event.ts',
      memoryMb: 256,
      timeoutSeconds: 15,
      triggers: [
        ...routes(inboundContracts),
        rule('inbound-cloudevents', 'CloudEvents from the lab delivery system and graders', {
          source: ALLOWED_SOURCE_PREFIXES.map((prefix) => ({ prefix })),
        }),
      ],
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'secret', secret: 'webhooks' },
      ],
    },
    {
      name: 'seed-catalog',
      description: 'Loads seeds/ (session definitions, forms, worker templates) idempotently',
      entry: 'lambdas/seed-catalog.ts',
      memoryMb: 512,
      timeoutSeconds: 120,
      triggers: [],
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'state-machines', access: 'manage' },
      ],
    },
  ],
  network: {
    workerPorts: {
      api: WORKER_PORTS.api,
      consoles: { from: WORKER_PORTS.consoles.start, to: WORKER_PORTS.consoles.end },
    },
    // Fargate pulls the image (ECR API and registry; its layers come from S3, a gateway endpoint)
    // and ships the container's log through the awslogs driver.
    baseEndpoints: { task: ['ecr.api', 'ecr.dkr', 'logs'] },
  },
  tasks: [
    {
      name: 'job-runner',
      description: 'Long CML jobs: started with a task token, heartbeats, reports success or failure',
      entry: 'lambdas/job-task.ts',
      cpu: 512,
      memoryMb: 1024,
      heartbeatSeconds: 60,
      timeoutSeconds: 3600,
      network: { reach: 'cml' },
      grants: [
        { kind: 'table', table: 'state', access: 'readwrite' },
        { kind: 'bucket', bucket: 'content', access: 'read' },
        { kind: 'bucket', bucket: 'artefacts', access: 'readwrite' },
        { kind: 'secret', secret: 'cml' },
        { kind: 'state-machines', access: 'callback' },
      ],
    },
  ],
};
