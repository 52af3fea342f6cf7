/**
 * Names the product creates at run time and that other systems match on: state machines (content
 * sync and seeding register them, IAM grants and event rules match their prefix) and phase
 * executions (the reconciler parses them back from Step Functions' status events). One
 * definition each; the CDK app and the local runtime import these too.
 */
import type { PodType } from './lifecycle.ts';

/** Every state machine and execution the product creates starts with this (IAM grants stop at it). */
export const STATE_MACHINE_PREFIX = 'lcm-';

/** The product's standard lifecycle, for content that ships none: one machine per pod type and phase. */
export const standardMachineName = (podType: PodType, phase: string) =>
  `${STATE_MACHINE_PREFIX}standard-${podType}-${phase}`;

/** A synced pod definition's own lifecycle: deterministic, so re-syncing the same bytes registers nothing new. */
export const contentMachineName = (podDefinitionId: string, phase: string) =>
  `${STATE_MACHINE_PREFIX}${podDefinitionId}-${phase}`;

/** Step Functions caps execution names at 80 characters. */
const MAX_EXECUTION_NAME = 80;

/**
 * A phase execution's name: deterministic from (session, part, phase, attempt), so starting it
 * twice is harmless (ExecutionAlreadyExists) and its status event names the part it belongs to.
 */
export const executionName = (
  sessionId: string,
  order: number,
  phase: string,
  attempt: number,
  cleanup = false,
) =>
  `${STATE_MACHINE_PREFIX}${sessionId}-p${order}-${cleanup ? 'cleanup-' : ''}${phase}-a${attempt}`.slice(
    0,
    MAX_EXECUTION_NAME,
  );

const EXECUTION_NAME = new RegExp(
  `^${STATE_MACHINE_PREFIX}(ses_[0-9a-z]+)-p(\\d+)-(?:cleanup-)?([a-z_]+)-a(\\d+)$`,
);

export function parseExecutionName(
  name: string,
): { session_id: string; order: number; phase: string; attempt: number } | undefined {
  const m = EXECUTION_NAME.exec(name);
  return m ? { session_id: m[1]!, order: Number(m[2]), phase: m[3]!, attempt: Number(m[4]) } : undefined;
}
