/**
 * The reconciler's entry: a session tree changed (fan-out from the stream dispatcher), a phase
 * execution ended (Step Functions status change), or the periodic tick (time-driven transitions
 * and the stuck-work watchdog).
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { AWS_EVENTS, EVENT_TYPES } from '../shared/events/types.ts';
import { reconcileSession } from '../shared/orchestration/reconciler.ts';
import { onExecutionEnded, reconcilerPorts, tick } from '../shared/orchestration/service.ts';
import { scopeOf } from '../shared/runtime/arns.ts';
import { logger } from '../shared/observability/logger.ts';

type Incoming = EventBridgeEvent<string, Record<string, unknown>>;

export async function handler(event: Incoming, context: Context) {
  const ports = reconcilerPorts(scopeOf(context), (msg, extra) => logger.warn(msg, extra ?? {}));
  const type = event['detail-type'];
  if (type === EVENT_TYPES.treeChanged) {
    const id = (event.detail as { data?: { session_id?: string } }).data?.session_id;
    return id ? reconcileSession(id, ports) : { ignored: 'no session id' };
  }
  if (type === AWS_EVENTS.executionStatusChanged.detailType) return onExecutionEnded(event.detail, ports);
  if (type === AWS_EVENTS.scheduled.detailType) return tick(ports);
  logger.warn('unexpected event', { source: event.source, type });
  return { ignored: type };
}
