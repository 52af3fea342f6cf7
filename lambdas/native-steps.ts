/**
 * The native steps of part phases (lambda:invoke tasks of the compiled state machines), and the
 * reconciler's forced teardown at the cleanup deadline (asynchronous invoke). Thin: the steps
 * live in shared/orchestration/native.ts.
 */
import type { Context } from 'aws-lambda';
import { runNativeStep, type NativeStepInput } from '../shared/orchestration/native.ts';
import { nativePorts } from '../shared/orchestration/native-service.ts';
import { logger } from '../shared/observability/logger.ts';

export async function handler(event: NativeStepInput, _context?: Context) {
  const out = await runNativeStep(event, nativePorts());
  logger.debug('native step done', {
    step: event.step,
    session_id: event.session_id,
    part: event.part_order,
  });
  return out;
}
