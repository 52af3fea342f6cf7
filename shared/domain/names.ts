/**
 * Names the product creates at run time and that other systems match on: state machines (content
 * sync and seeding register them, IAM grants and event rules match their prefix) and phase
 * executions (the reconciler parses them back from Step Functions' status events). One
 * definition each; the CDK app and the local runtime import these too.
 */
import type { PodType } from './lifecycle.ts';

/**
 * Every state machine and execution a stage creates starts with `<stage>-lcm-`: IAM grants and the
 * phase-ended rule stop at it, so two stages in one account never touch each other's machines.
 */
export const stateMachinePrefix = (stage: string) => `${stage}-lcm-`;

/** The product's standard lifecycle, for content that ships none: one machine per pod type and phase. */
export const standardMachineName = (stage: string, podType: PodType, phase: string) =>
  `${stateMachinePrefix(stage)}standard-${podType}-${phase}`;

/** A synced pod definition's own lifecycle: deterministic, so re-syncing the same bytes registers nothing new. */
export const contentMachineName = (stage: string, podDefinitionId: string, phase: string) =>
  `${stateMachinePrefix(stage)}${podDefinitionId}-${phase}`;

/** Step Functions caps execution names at 80 characters. */
const MAX_EXECUTION_NAME = 80;

/**
 * A phase execution's name: deterministic from (session, part, phase, attempt), so starting it
 * twice is harmless (ExecutionAlreadyExists) and its status event names the part it belongs to.
 */
export const executionName = (
  stage: string,
  sessionId: string,
  order: number,
  phase: string,
  attempt: number,
  cleanup = false,
) =>
  `${stateMachinePrefix(stage)}${sessionId}-p${order}-${cleanup ? 'cleanup-' : ''}${phase}-a${attempt}`.slice(
    0,
    MAX_EXECUTION_NAME,
  );

const EXECUTION_NAME = /^([a-z][a-z0-9-]*)-lcm-(ses_[0-9a-z]+)-p(\d+)-(?:cleanup-)?([a-z_]+)-a(\d+)$/;

export function parseExecutionName(
  name: string,
): { stage: string; session_id: string; order: number; phase: string; attempt: number } | undefined {
  const m = EXECUTION_NAME.exec(name);
  return m
    ? { stage: m[1]!, session_id: m[2]!, order: Number(m[3]), phase: m[4]!, attempt: Number(m[5]) }
    : undefined;
}
