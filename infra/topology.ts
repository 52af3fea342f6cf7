/**
 * The vocabulary of the topology declaration. `system.ts` uses it to describe the whole product
 * once; `infra/app.ts` (CDK) and `infra/local/` (the local runtime) both read that description.
 * Nothing here does I/O.
 */
import type { RouteContract } from '../shared/api/contract.ts';

export type TableName = 'state' | 'views';
export type BucketName = 'content' | 'artefacts';

export interface TableDecl {
  name: TableName;
  description: string;
  partitionKey: string;
  sortKey: string;
  stream?: 'NEW_AND_OLD_IMAGES';
  ttlAttribute?: string;
  indexes: IndexDecl[];
}

export interface IndexDecl {
  name: string;
  partitionKey: string;
  sortKey: string;
  /**
   * The non-key attributes the index copies (INCLUDE; KEYS_ONLY when empty). Absent: every attribute
   * (ALL). An index that copies only what rarely changes is written only when that changes (D229).
   */
  include?: string[];
}

/** DynamoDB's projection of an index, from its declaration. */
export function projectionOf(i: IndexDecl): {
  ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  NonKeyAttributes?: string[];
} {
  if (!i.include) return { ProjectionType: 'ALL' };
  return i.include.length
    ? { ProjectionType: 'INCLUDE', NonKeyAttributes: i.include }
    : { ProjectionType: 'KEYS_ONLY' };
}

export interface BucketDecl {
  name: BucketName;
  description: string;
  /** Object-level events go to EventBridge (S3 → EventBridge notifications). */
  eventBridge: boolean;
}

export interface BusDecl {
  name: string;
  archiveRetentionDays: number;
}

/** An API route: its contract (method, path, scope, schemas, body limit) is the one definition. */
export interface HttpTrigger {
  kind: 'http';
  contract: RouteContract;
}

export interface StreamTrigger {
  kind: 'stream';
  table: TableName;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  maxRetries: number;
  bisectOnError: boolean;
  maxRecordAgeSeconds: number;
}

export interface EventTrigger {
  kind: 'event';
  rule: string;
  description: string;
  /** An EventBridge event pattern (the same JSON in AWS and in the local bus). */
  pattern: Record<string, unknown>;
  maxRetries: number;
  maxEventAgeSeconds: number;
}

export interface ScheduleTrigger {
  kind: 'schedule';
  rule: string;
  description: string;
  everySeconds: number;
  /**
   * The local runtime does not invoke the function for this schedule: it runs the same service
   * itself on its clock, for the reason given (the fleet pass between moves of the EC2 simulator).
   */
  localStandIn?: string;
}

/** Invoked by Step Functions tasks (and nothing else). */
export interface TaskTrigger {
  kind: 'state-machine-task';
}

export type Trigger = HttpTrigger | StreamTrigger | EventTrigger | ScheduleTrigger | TaskTrigger;

/**
 * What a function or task may do. `describe` (tables, bus), `list` (buckets: HeadBucket; state
 * machines: ListStateMachines) reach the resource's metadata only: what a deep health check needs.
 */
export type Grant =
  | { kind: 'table'; table: TableName; access: 'describe' | 'read' | 'readwrite' }
  | { kind: 'bucket'; bucket: BucketName; access: 'list' | 'read' | 'readwrite' }
  | { kind: 'bus'; access: 'put' | 'describe' }
  | { kind: 'state-machines'; access: 'list' | 'execute' | 'manage' | 'callback' }
  | { kind: 'job-task'; access: 'run' | 'stop' }
  | { kind: 'secret'; secret: SecretName }
  | { kind: 'invoke'; function: string }
  /**
   * The CML fleet on EC2: launch workers (RunInstances on the stage's network, tagged with the
   * stage), start, stop and terminate only instances tagged with this stage, describe instances and
   * images, pass the worker instance profile's role to EC2.
   */
  | { kind: 'fleet'; access: 'manage' };

export type SecretName = 'cml' | 'lds' | 'webhooks';

export interface FunctionDecl {
  /** Stable logical name, kebab-case; the deployed name is `<stage>-<name>`. */
  name: string;
  description: string;
  /** Path from the repository root to the module exporting `handler`. */
  entry: string;
  memoryMb: number;
  timeoutSeconds: number;
  triggers: Trigger[];
  grants: Grant[];
  /** Reserved concurrency (absent: unreserved). */
  reservedConcurrency?: number;
  /**
   * Where it runs on the network. `cml`: in the stage's VPC, able to reach the CML workers' API and
   * console ports (and AWS APIs through the VPC endpoints its grants need); nothing else.
   * `externalHttps` adds outbound HTTPS through the NAT gateway, for a system outside the VPC
   * (the lab delivery system), named with why. Absent: outside any VPC.
   */
  network?: { reach: 'cml'; externalHttps?: string };
}

/** A long-running container task (the job runner on Fargate; a child process locally). */
export interface TaskDecl {
  name: string;
  description: string;
  entry: string;
  cpu: number;
  memoryMb: number;
  heartbeatSeconds: number;
  timeoutSeconds: number;
  grants: Grant[];
  /** Tasks always run in the stage's VPC; `cml`: it talks to the CML workers. */
  network: { reach: 'cml' };
}

/**
 * The stage's network: one VPC (created by the stack, or an existing one by context `vpcId`),
 * private subnets for the workers and the CML-facing functions and tasks.
 */
export interface NetworkDecl {
  /** What a CML worker listens on for the product: its API and the console port range. */
  workerPorts: { api: number; consoles: { from: number; to: number } };
  /**
   * Interface endpoints every in-VPC principal needs whatever its grants (the task's image pull
   * and its log driver). The rest follow from the grants of what runs in the VPC (`vpcEndpoints`).
   */
  baseEndpoints: { task: string[] };
}

export interface SystemDecl {
  name: string;
  tables: TableDecl[];
  buckets: BucketDecl[];
  bus: BusDecl;
  functions: FunctionDecl[];
  tasks: TaskDecl[];
  secrets: { name: SecretName; description: string }[];
  network: NetworkDecl;
}

/** The AWS service (interface endpoint name) a grant reaches, if any (tables and buckets: gateway endpoints). */
export function endpointOf(g: Grant): string | undefined {
  switch (g.kind) {
    case 'secret':
      return 'secretsmanager';
    case 'state-machines':
      return 'states';
    case 'bus':
      return 'events';
    case 'invoke':
      return 'lambda';
    case 'job-task':
      return 'ecs';
    case 'fleet':
      return 'ec2';
    default:
      return undefined;
  }
}

/**
 * The interface endpoints the VPC needs: those the grants of every in-VPC function and task
 * reach, and the tasks' base ones. Sorted, each once.
 */
export function vpcEndpoints(system: SystemDecl): string[] {
  const out = new Set<string>();
  for (const f of system.functions.filter((x) => x.network))
    for (const g of f.grants) if (endpointOf(g)) out.add(endpointOf(g)!);
  for (const t of system.tasks) {
    for (const g of t.grants) if (endpointOf(g)) out.add(endpointOf(g)!);
    for (const e of system.network.baseEndpoints.task) out.add(e);
  }
  return [...out].sort();
}

/**
 * Stands for the deployment stage inside a declared event pattern (the declaration is the same
 * for every stage); `stagePattern` puts the stage in, for the CDK app and the local bus alike.
 */
export const STAGE = '{stage}';

export function stagePattern(pattern: Record<string, unknown>, stage: string): Record<string, unknown> {
  const put = (v: unknown): unknown =>
    typeof v === 'string'
      ? v.split(STAGE).join(stage)
      : Array.isArray(v)
        ? v.map(put)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, put(x)]))
          : v;
  return put(pattern) as Record<string, unknown>;
}

/** Every API route with the function that serves it. */
export function httpRoutes(system: SystemDecl): (RouteContract & { function: FunctionDecl })[] {
  return system.functions.flatMap((f) =>
    f.triggers
      .filter((t): t is HttpTrigger => t.kind === 'http')
      .map((t) => ({ ...t.contract, function: f })),
  );
}
