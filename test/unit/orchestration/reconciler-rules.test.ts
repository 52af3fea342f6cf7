/**
 * The reconciler's retry rule and write conditions, on a scripted store (issue 18): a lost race
 * re-reads and decides again, at most five attempts in all; every write is conditioned on the
 * version read; commands go out after the commit.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { reconcileSession, type ReconcilerPorts } from '../../../shared/orchestration/reconciler.ts';
import { treeToItems } from '../../../shared/store/session-tree.ts';
import { ConflictError } from '../../../shared/store/errors.ts';
import type { StoredItem, WriteOp } from '../../../shared/store/state-store.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import { MIN, SID, T0, tree } from './fixtures.ts';

const sfn = mockClient(SFNClient);
beforeEach(() => sfn.reset());

function ports(opts: {
  conflicts?: number;
  error?: Error;
  absent?: boolean;
  now?: number;
  shape?: (t: SessionTree) => void;
  reportError?: Error;
}) {
  const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
  opts.shape?.(t);
  const reports: { session: string; report: unknown }[] = [];
  const items = treeToItems(t).map((i) => ({ ...i, gsi1pk: `G#${i.sk}` })) as StoredItem[];
  const writes: WriteOp[][] = [];
  let reads = 0;
  let conflicts = opts.conflicts ?? 0;
  const p: ReconcilerPorts = {
    state: {
      queryPartition: async () => {
        reads++;
        return opts.absent ? [] : structuredClone(items);
      },
      write: async (ops: WriteOp[]) => {
        if (opts.error) throw opts.error;
        if (conflicts-- > 0) throw new ConflictError('lost the race');
        writes.push(ops);
      },
    } as unknown as ReconcilerPorts['state'],
    sfn: new SFNClient({ region: 'eu-west-1' }),
    stateMachineArn: (name) => `arn:aws:states:eu-west-1:123456789012:stateMachine:${name}`,
    teardownPod: async () => {},
    ldsCommand: async () => {},
    putSessionReport: async (session, report) => {
      if (opts.reportError) throw opts.reportError;
      reports.push({ session, report });
      return `s3://artefacts/reports/${session}/session.json`;
    },
    stage: 'dev',
    // The provisioning window of a part that starts at T0+60 with 15 min lead.
    now: () => opts.now ?? T0 + 50 * MIN,
  };
  return { p, writes, reads: () => reads, items, reports };
}

describe('reconcileSession', () => {
  it('a session that is not there is absent, after one read', async () => {
    const s = ports({ absent: true });
    expect(await reconcileSession('ses_x', s.p)).toEqual({
      session_id: 'ses_x',
      outcome: 'absent',
      attempts: 1,
      writes: 0,
      commands: [],
    });
  });

  it('nothing due: unchanged, nothing written', async () => {
    const s = ports({ now: T0 });
    const r = await reconcileSession('ses_x', s.p);
    expect(r).toMatchObject({ outcome: 'unchanged', attempts: 1, writes: 0, commands: [] });
    expect(s.writes).toEqual([]);
  });

  it('writes each changed item conditioned on the version it read, keeping index keys, then issues commands', async () => {
    sfn.on(StartExecutionCommand).resolves({});
    const s = ports({});
    const r = await reconcileSession('ses_x', s.p);
    expect(r.outcome).toBe('changed');
    expect(r.attempts).toBe(1);
    expect(r.writes).toBe(s.writes[0]!.length);
    expect(r.writes).toBeGreaterThan(0);
    for (const op of s.writes[0]!) {
      if (op.kind !== 'put') throw new Error('expected puts');
      const old = s.items.find((i) => i.pk === op.item.pk && i.sk === op.item.sk)!;
      expect(op.expectedVersion).toBe(old.state_version);
      expect(op.item.state_version).toBe(old.state_version + 1);
      expect(op.item.gsi1pk).toBe(old.gsi1pk);
    }
    expect(r.commands).toContain('start_execution');
    const started = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(started.stateMachineArn).toMatch(/^arn:aws:states:eu-west-1:123456789012:stateMachine:/);
    expect(started.name).toBeTruthy();
  });

  it('a lost race re-reads and decides again: four conflicts still succeed on the fifth attempt', async () => {
    sfn.on(StartExecutionCommand).resolves({});
    const s = ports({ conflicts: 4 });
    const r = await reconcileSession('ses_x', s.p);
    expect(r).toMatchObject({ outcome: 'changed', attempts: 5 });
    expect(s.reads()).toBe(5);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('five conflicts give up with the conflict, and nothing is issued', async () => {
    const s = ports({ conflicts: 5 });
    await expect(reconcileSession('ses_x', s.p)).rejects.toBeInstanceOf(ConflictError);
    expect(s.reads()).toBe(5);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('any other write error is not retried', async () => {
    const s = ports({ error: new Error('throttled') });
    await expect(reconcileSession('ses_x', s.p)).rejects.toThrow('throttled');
    expect(s.reads()).toBe(1);
  });

  it('an execution that already exists counts as started (the start is idempotent by name)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const s = ports({});
    expect((await reconcileSession('ses_x', s.p)).outcome).toBe('changed');
  });

  it('a command that fails otherwise is reported, after the state is committed', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('sfn down'));
    const s = ports({});
    const logged: unknown[][] = [];
    s.p.log = (msg, extra) => void logged.push([msg, extra]);
    await expect(reconcileSession('ses_x', s.p)).rejects.toThrow('sfn down');
    expect(s.writes).toHaveLength(1);
    expect(logged).toEqual([
      [
        'command failed; will be retried by a later reconcile',
        { command: 'start_execution', error: 'sfn down' },
      ],
    ]);
  });

  it('without a log port the failed command still fails with its own error', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('sfn down'));
    const s = ports({});
    await expect(reconcileSession('ses_x', s.p)).rejects.toThrow('sfn down');
  });
});

describe('reconcileSession: the combined report (issue 15, finding 10)', () => {
  /** A running session whose only part is archived with its report and whose pod is gone. */
  const settled = (t: SessionTree) => {
    t.session.status = 'running';
    t.parts[0]!.status = 'archived';
    t.parts[0]!.score_report = { points_awarded: 8, points_max: 10, percentage: 80, passed: true };
    for (const pod of t.pods) pod.status = 'terminated';
  };

  it('writes the combined report document first and commits the session with its reference', async () => {
    const s = ports({ now: T0 + 200 * MIN, shape: settled });
    await reconcileSession(SID, s.p);
    expect(s.reports).toHaveLength(1);
    expect(s.reports[0]!.session).toBe(SID);
    expect(s.reports[0]!.report).toMatchObject({ kind: 'session', points_awarded: 8, points_max: 10 });
    const session = s.writes.flat().find((o) => o.kind === 'put' && o.item.id === SID);
    if (session?.kind !== 'put') throw new Error('the session was not written');
    expect(session.item.score_report).toMatchObject({ points_awarded: 8 });
    expect(session.item.score_report_ref).toBe(`s3://artefacts/reports/${SID}/session.json`);
    // The decision moved the session too: still exactly one version.
    const old = s.items.find((i) => i.sk === session.item.sk)!;
    expect(session.item.state_version).toBe(old.state_version + 1);
  });

  it('a report that cannot be written commits nothing (the next reconcile tries again)', async () => {
    const s = ports({ now: T0 + 200 * MIN, shape: settled, reportError: new Error('s3 down') });
    await expect(reconcileSession(SID, s.p)).rejects.toThrow('s3 down');
    expect(s.writes).toEqual([]);
  });

  it('a revised report without its reference (an external grade, D78) is written even on a finished session', async () => {
    const s = ports({
      now: T0 + 600 * MIN,
      shape: (t) => {
        settled(t);
        t.session.status = 'completed';
        t.session.score_report = { kind: 'session', points_awarded: 9, points_max: 10 };
      },
    });
    const r = await reconcileSession(SID, s.p);
    expect(r).toMatchObject({ outcome: 'changed', writes: 1 });
    expect(s.reports.map((x) => x.report)).toEqual([{ kind: 'session', points_awarded: 9, points_max: 10 }]);
    const [op] = s.writes[0]!;
    if (op?.kind !== 'put') throw new Error('expected a put');
    expect(op.item.score_report_ref).toBe(`s3://artefacts/reports/${SID}/session.json`);
    expect(op.expectedVersion).toBe(s.items.find((i) => i.sk === op.item.sk)!.state_version);
    expect(op.item.state_version).toBe(op.expectedVersion! + 1);
  });
});
