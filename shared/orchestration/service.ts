/**
 * The reconciler's application service: what each trigger means (a tree changed, a phase
 * execution ended, the clock ticked) and the ports the reconcile loop needs, wired from the
 * environment. Events only name a tree; the loop re-reads it and decides.
 */
import { parseExecutionName } from '../domain/names.ts';
import { SESSION_TERMINAL, SESSION_STATUSES } from '../domain/session.ts';
import { stateMachineArn, type ArnScope } from '../runtime/arns.ts';
import { stopExecutionTasks } from '../adapters/ecs.ts';
import { S3Documents } from '../adapters/s3-documents.ts';
import { documentClient } from '../runtime/aws-dynamodb.ts';
import { ecsClientOnFirstUse, invokeEvent } from '../runtime/aws-on-first-use.ts';
import { s3SdkOnFirstUse } from '../runtime/aws-s3-on-first-use.ts';
import { sfnClient } from '../runtime/aws-sfn.ts';
import { runtimeClock } from '../runtime/clock.ts';
import { env, envOptional } from '../runtime/env.ts';
import { viewKeys } from '../store/keys.ts';
import { StateStore } from '../store/state-store.ts';
import { ViewStore } from '../store/views.ts';
import type { NativeStepInput } from './native.ts';
import { reconcileSession, type Observation, type ReconcilerPorts } from './reconciler.ts';

export function reconcilerPorts(scope: ArnScope, log: ReconcilerPorts['log']): ReconcilerPorts {
  return {
    state: new StateStore(documentClient(), env('stateTable')),
    sfn: sfnClient(),
    stateMachineArn: (name) => stateMachineArn(scope, name),
    stage: env('stage'),
    teardownPod: async (session_id, part_order, pod_index, reason) => {
      const payload: NativeStepInput = { step: 'force_teardown', session_id, part_order, pod_index, reason };
      await invokeNativeStep(payload);
    },
    ldsCommand: async (session_id, c) => {
      const payload: NativeStepInput = {
        step: c.step,
        session_id,
        part_order: c.part,
        ...(c.ends_at ? { ends_at: c.ends_at } : {}),
      };
      await invokeNativeStep(payload);
    },
    stopPhaseTasks: async (name, reason) => {
      const cluster = envOptional('jobClusterArn');
      return cluster ? stopExecutionTasks(await ecsClientOnFirstUse(), cluster, name, reason) : [];
    },
    putSessionReport: async (session_id, report) =>
      new S3Documents(await s3SdkOnFirstUse(), env('artefactsBucket')).putAt(
        `reports/${session_id}/session.json`,
        report,
      ),
    now: () => runtimeClock().now(),
    log,
  };
}

/**
 * Starts a native step asynchronously. Lambda, ECS and S3 load on first use (D188): most
 * reconciler invocations (stream batches, ticks with nothing due) call none of them.
 */
async function invokeNativeStep(payload: NativeStepInput): Promise<void> {
  await invokeEvent(env('nativeStepsFunctionArn'), payload);
}

const OUTCOMES = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'timed_out',
  ABORTED: 'aborted',
} as const;

/** Step Functions' status change for a part phase execution → the outcome on its part. */
export async function onExecutionEnded(
  detail: { name?: string; status?: string; error?: string; cause?: string },
  ports: ReconcilerPorts,
) {
  const parsed = detail.name ? parseExecutionName(detail.name) : undefined;
  if (!parsed) return { ignored: `not a part phase execution: ${detail.name}` };
  const outcome = OUTCOMES[detail.status as keyof typeof OUTCOMES];
  if (!outcome) return { ignored: `status ${detail.status}` };
  const observation: Observation = {
    kind: 'execution_ended',
    execution_name: detail.name!,
    outcome,
    ...(detail.error ? { error: detail.error } : {}),
    ...(detail.cause ? { cause: detail.cause } : {}),
  };
  // A job task the execution started and that still runs (Step Functions does not stop a
  // .waitForTaskToken task) is stopped; a failure to stop is logged, the reconcile goes on.
  try {
    const stopped = (await ports.stopPhaseTasks?.(detail.name!, `phase execution ${detail.status}`)) ?? [];
    if (stopped.length)
      ports.log?.('stopped job tasks of an ended phase', { execution: detail.name, stopped });
  } catch (e) {
    ports.log?.('could not stop the job tasks of an ended phase', {
      execution: detail.name,
      error: (e as Error).name,
      error_message: (e as Error).message,
    });
  }
  return reconcileSession(parsed.session_id, ports, observation);
}

/** A session starting within this horizon is looked at by the tick (its lead time may open). */
const TICK_HORIZON_MS = 24 * 3600_000;
const TICK_CONCURRENCY = 8;
const ACTIVE = SESSION_STATUSES.filter((s) => !SESSION_TERMINAL.has(s));

/** The clock's tick: every session that may have something due, all active ones, pending ones soon. */
export async function tick(ports: ReconcilerPorts) {
  const views = new ViewStore(documentClient(), env('viewsTable'));
  const now = ports.now();
  // A session that moves on between two status queries is in both answers: reconciled once.
  const ids = new Set<string>();
  for (const status of ACTIVE) {
    let cursor: Record<string, unknown> | undefined;
    do {
      // Ids only: the tick reconciles each from its state partition, not from the view.
      const page = await views.listSessionIds({
        index: 'by_status',
        partition: viewKeys.byStatus(status),
        ...(status === 'pending' ? { to: new Date(now + TICK_HORIZON_MS).toISOString() } : {}),
        limit: 100,
        cursor,
      });
      for (const id of page.ids) ids.add(id);
      cursor = page.cursor;
    } while (cursor);
  }
  let failed = 0;
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: TICK_CONCURRENCY }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        try {
          await reconcileSession(id, ports, { kind: 'tick' });
        } catch (e) {
          failed++;
          ports.log?.('tick reconcile failed', { session_id: id, error: (e as Error).message });
        }
      }
    }),
  );
  return { sessions: ids.size, failed };
}
