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
  indexes: { name: string; partitionKey: string; sortKey: string }[];
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
  | { kind: 'invoke'; function: string };

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
}

export interface SystemDecl {
  name: string;
  tables: TableDecl[];
  buckets: BucketDecl[];
  bus: BusDecl;
  functions: FunctionDecl[];
  tasks: TaskDecl[];
  secrets: { name: SecretName; description: string }[];
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
