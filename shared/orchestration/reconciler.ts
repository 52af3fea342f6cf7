/**
 * The reconciler's application service: re-read a session tree, let `decide` choose, write every
 * changed item in one transaction conditioned on the versions it read, then issue the commands.
 * A lost race re-reads and decides again; a command that fails is re-issued by a later reconcile
 * (starting an execution is idempotent by name).
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { isConflict } from '../store/errors.ts';
import { keys } from '../store/keys.ts';
import type { StateStore, StoredItem, WriteOp } from '../store/state-store.ts';
import { itemsToTree, refOfKey, treeToItems } from '../store/session-tree.ts';
import { partRef, type SessionTree, type TreeItemRef } from '../domain/session.ts';
import { type Command, decide, recordPhaseOutcome } from './decide.ts';

export interface ReconcilerPorts {
  state: StateStore;
  sfn: SFNClient;
  stateMachineArn(name: string): string;
  /** The deployment stage (execution names carry it). */
  stage: string;
  /** Tear a pod down outside any state machine (cleanup deadline). */
  teardownPod(sessionId: string, part: number, pod: number, reason: string): Promise<void>;
  /**
   * Tells the session's LDS session what changed for a part: its new end, a pause, a resume (then
   * its new end); or that the session ended (release). Asynchronously, retried, with a DLQ.
   */
  ldsCommand(
    sessionId: string,
    c: {
      step: 'lds_extend' | 'lds_pause' | 'lds_resume' | 'lds_release_session';
      part: number;
      ends_at?: string;
    },
  ): Promise<void>;
  /** Stops the Fargate job tasks a phase execution started and left running (when it ended). */
  stopPhaseTasks?(executionName: string, reason: string): Promise<string[]>;
  /**
   * Writes a session's combined score report document (artefacts bucket, one key per session,
   * so a rewrite after a lost race replaces it); answers its reference.
   */
  putSessionReport(sessionId: string, report: object): Promise<string>;
  now(): number;
  log?(msg: string, extra?: Record<string, unknown>): void;
}

export interface ReconcileResult {
  session_id: string;
  outcome: 'changed' | 'unchanged' | 'absent';
  attempts: number;
  writes: number;
  commands: Command['kind'][];
}

export type Observation =
  | {
      kind: 'execution_ended';
      execution_name: string;
      outcome: 'succeeded' | 'failed' | 'timed_out' | 'aborted';
      error?: string;
      cause?: string;
    }
  /** A periodic look: also checks that every running phase really has an execution. */
  | { kind: 'tick' }
  | { kind: 'none' };

/** A phase recorded as started this long ago (virtual time) without an outcome gets checked. */
export const WATCHDOG_AFTER_MS = 2 * 60_000;

const MAX_ATTEMPTS = 5;

export async function reconcileSession(
  sessionId: string,
  ports: ReconcilerPorts,
  observation: Observation = { kind: 'none' },
): Promise<ReconcileResult> {
  for (let attempt = 1; ; attempt++) {
    const items = await ports.state.queryPartition<StoredItem>(keys.sessionPartition(sessionId));
    const tree = itemsToTree(items);
    if (!tree)
      return { session_id: sessionId, outcome: 'absent', attempts: attempt, writes: 0, commands: [] };
    const now = ports.now();
    let observed = false;
    if (observation.kind === 'execution_ended')
      observed = recordPhaseOutcome(
        tree,
        observation.execution_name,
        observation.outcome,
        observation.error,
        now,
        observation.cause,
      );
    const d = decide(tree, now, ports.stage);
    // An observed outcome changes its part even when the decision itself moves nothing.
    const changed = new Set(d.changed);
    if (observed) {
      const name = observation.kind === 'execution_ended' ? observation.execution_name : '';
      const part = d.tree.parts.find(
        (p) =>
          p.phase_log?.some((e) => e.execution_name === name) || p.phase_execution?.execution_name === name,
      );
      if (part && !changed.has(partRef(part.order))) {
        part.state_version += 1;
        changed.add(partRef(part.order));
      }
    }
    // A combined report decided now is written before the commit, so the session carries its
    // reference and score_report.published (emitted from that commit) points at a document that
    // exists. A failed write commits nothing; the next reconcile decides and writes again (D76).
    const s = d.tree.session;
    if (s.score_report && !s.score_report_ref) {
      s.score_report_ref = await ports.putSessionReport(s.id, s.score_report);
      if (!changed.has('session')) {
        s.state_version += 1;
        changed.add('session');
      }
    }
    if (changed.size === 0 && d.commands.length === 0) {
      if (observation.kind === 'tick') await watchdog(d.tree, now, ports);
      return { session_id: sessionId, outcome: 'unchanged', attempts: attempt, writes: 0, commands: [] };
    }
    const ops = writesFor(items, d.tree, changed);
    try {
      await ports.state.write(ops);
    } catch (e) {
      if (isConflict(e) && attempt < MAX_ATTEMPTS) continue;
      throw e;
    }
    for (const c of d.commands) await issue(c, sessionId, ports);
    if (observation.kind === 'tick') await watchdog(d.tree, now, ports);
    return {
      session_id: sessionId,
      outcome: 'changed',
      attempts: attempt,
      writes: ops.length,
      commands: d.commands.map((c) => c.kind),
    };
  }
}

/**
 * The stuck-work watchdog: a phase recorded as started whose execution does not exist (the
 * start was lost after the commit) is started again with the same name and input; one that
 * ended without its event reaching us gets its outcome recorded through a normal reconcile.
 */
async function watchdog(tree: SessionTree, now: number, ports: ReconcilerPorts): Promise<void> {
  for (const p of tree.parts) {
    const ex = p.phase_execution;
    if (!ex || ex.outcome || now - Date.parse(ex.started_at) < WATCHDOG_AFTER_MS) continue;
    const arn = ports.stateMachineArn(ex.state_machine);
    const executionArn = arn.replace(':stateMachine:', ':execution:') + `:${ex.execution_name}`;
    try {
      const out = await ports.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (out.status && out.status !== 'RUNNING') {
        const outcome = (
          { SUCCEEDED: 'succeeded', FAILED: 'failed', TIMED_OUT: 'timed_out', ABORTED: 'aborted' } as const
        )[out.status as 'SUCCEEDED'];
        if (outcome)
          await reconcileSession(tree.session.id, ports, {
            kind: 'execution_ended',
            execution_name: ex.execution_name,
            outcome,
            error: out.error,
            cause: out.cause,
          });
      }
    } catch (e) {
      if (!(e instanceof ExecutionDoesNotExist)) throw e;
      if (!ex.input) continue;
      await issue(
        {
          kind: 'start_execution',
          part: p.order,
          phase: ex.phase,
          state_machine: ex.state_machine,
          execution_name: ex.execution_name,
          input: ex.input,
        },
        tree.session.id,
        ports,
      );
    }
  }
}

function writesFor(before: StoredItem[], next: SessionTree, changed: Set<TreeItemRef>): WriteOp[] {
  const after = treeToItems(next);
  const prev = new Map(before.map((i) => [`${i.pk}|${i.sk}`, i]));
  const ops: WriteOp[] = [];
  for (const item of after) {
    const ref = refOfKey(item);
    if (!ref || !changed.has(ref)) continue;
    const old = prev.get(`${item.pk}|${item.sk}`)!;
    // Keep attributes the tree does not model (index keys, seeding marks).
    ops.push({ kind: 'put', item: { ...pickInternal(old), ...item }, expectedVersion: old.state_version });
  }
  return ops;
}

function pickInternal(i: StoredItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['gsi1pk', 'gsi1sk']) if (i[k] !== undefined) out[k] = i[k];
  return out;
}

async function issue(c: Command, sessionId: string, ports: ReconcilerPorts): Promise<void> {
  try {
    switch (c.kind) {
      case 'start_execution':
        await ports.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: ports.stateMachineArn(c.state_machine),
            name: c.execution_name,
            input: JSON.stringify(c.input),
          }),
        );
        return;
      case 'stop_execution':
        await ports.sfn.send(
          new StopExecutionCommand({
            executionArn:
              ports.stateMachineArn(c.state_machine).replace(':stateMachine:', ':execution:') +
              `:${c.execution_name}`,
            error: 'lcm.Stopped',
            cause: c.reason,
          }),
        );
        return;
      case 'teardown_pod':
        await ports.teardownPod(sessionId, c.part, c.pod, c.reason);
        return;
      case 'lds_extend':
      case 'lds_pause':
      case 'lds_resume':
      case 'lds_release_session':
        await ports.ldsCommand(sessionId, {
          step: c.kind,
          part: c.part,
          ...('ends_at' in c ? { ends_at: c.ends_at } : {}),
        });
        return;
    }
  } catch (e) {
    if (e instanceof ExecutionAlreadyExists || e instanceof ExecutionDoesNotExist) return;
    // The state is committed; a later reconcile (tick or event) re-issues what is still due.
    ports.log?.('command failed; will be retried by a later reconcile', {
      command: c.kind,
      error: (e as Error).message,
    });
    throw e;
  }
}
