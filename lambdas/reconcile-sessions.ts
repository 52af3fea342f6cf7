/**
 * The reconciler's entry: a session tree changed (fan-out from the stream dispatcher), a phase
 * execution ended (Step Functions status change), or the periodic tick (time-driven transitions
 * and the stuck-work watchdog). Events only name a tree; the service re-reads it and decides.
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { parseExecutionName } from '../shared/orchestration/decide.ts';
import {
  type Observation,
  reconcileSession,
  type ReconcilerPorts,
} from '../shared/orchestration/reconciler.ts';
import { TREE_CHANGED } from '../shared/events/outbox.ts';
import { StateStore } from '../shared/store/state-store.ts';
import { ViewStore } from '../shared/store/views.ts';
import { viewKeys } from '../shared/store/keys.ts';
import { documentClient, lambdaClient, sfnClient } from '../shared/runtime/aws.ts';
import { env } from '../shared/runtime/env.ts';
import { runtimeClock } from '../shared/runtime/clock.ts';
import { logger } from '../shared/observability/logger.ts';

type Incoming = EventBridgeEvent<string, Record<string, unknown>>;

const ACTIVE = ['pending', 'admitting', 'running', 'aggregating', 'submitting', 'finalizing'];
const TICK_HORIZON_MS = 24 * 3600_000;
const TICK_CONCURRENCY = 8;

function ports(context: Context): ReconcilerPorts {
  const [, , , region, account] = context.invokedFunctionArn.split(':');
  return {
    state: new StateStore(documentClient(), env('stateTable')),
    sfn: sfnClient(),
    stateMachineArn: (name) => `arn:aws:states:${region}:${account}:stateMachine:${name}`,
    teardownPod: async (session_id, part_order, pod_index, reason) => {
      await lambdaClient().send(
        new InvokeCommand({
          FunctionName: env('nativeStepsFunctionArn'),
          InvocationType: 'Event',
          Payload: Buffer.from(
            JSON.stringify({ step: 'force_teardown', session_id, part_order, pod_index, reason }),
          ),
        }),
      );
    },
    now: () => runtimeClock().now(),
    log: (msg, extra) => logger.warn(msg, extra ?? {}),
  };
}

export async function handler(event: Incoming, context: Context) {
  const p = ports(context);
  if (event['detail-type'] === TREE_CHANGED) {
    const id = (event.detail as { data?: { session_id?: string } }).data?.session_id;
    if (!id) return { ignored: 'no session id' };
    return reconcileSession(id, p);
  }
  if (event.source === 'aws.states') {
    const d = event.detail as { name?: string; status?: string; error?: string; cause?: string };
    const parsed = d.name ? parseExecutionName(d.name) : undefined;
    if (!parsed) return { ignored: `not a part phase execution: ${d.name}` };
    const outcome = (
      { SUCCEEDED: 'succeeded', FAILED: 'failed', TIMED_OUT: 'timed_out', ABORTED: 'aborted' } as const
    )[d.status as 'SUCCEEDED'];
    if (!outcome) return { ignored: `status ${d.status}` };
    const observation: Observation = {
      kind: 'execution_ended',
      execution_name: d.name!,
      outcome,
      ...(d.error ? { error: d.error } : {}),
      ...(d.cause ? { cause: d.cause } : {}),
    };
    return reconcileSession(parsed.session_id, p, observation);
  }
  if (event['detail-type'] === 'Scheduled Event') return tick(p);
  logger.warn('unexpected event', { source: event.source, type: event['detail-type'] });
  return { ignored: event['detail-type'] };
}

/** Every session that may have something due: all active ones, pending ones starting soon. */
async function tick(p: ReconcilerPorts) {
  const views = new ViewStore(documentClient(), env('viewsTable'));
  const now = p.now();
  const ids: string[] = [];
  for (const status of ACTIVE) {
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await views.listSessions({
        index: 'by_status',
        partition: viewKeys.byStatus(status),
        ...(status === 'pending' ? { to: new Date(now + TICK_HORIZON_MS).toISOString() } : {}),
        limit: 100,
        cursor,
      });
      ids.push(...page.items.map((t) => String(t.session.id)));
      cursor = page.cursor;
    } while (cursor);
  }
  let failed = 0;
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: TICK_CONCURRENCY }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        try {
          await reconcileSession(id, p, { kind: 'tick' });
        } catch (e) {
          failed++;
          logger.error('tick reconcile failed', { session_id: id, error: e as Error });
        }
      }
    }),
  );
  return { sessions: ids.length, failed };
}
