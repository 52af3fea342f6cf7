/**
 * The reconciler's commands and its stuck-work watchdog (issue 18, mutation testing): each
 * command goes to the right port with the right arguments; the watchdog looks at a phase only
 * from WATCHDOG_AFTER_MS after its start (not a millisecond before), maps the execution's end to
 * the phase outcome, restarts a lost start with the same name and input, and runs only on a tick;
 * an observed outcome moves its part's version even when the decision moves nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  reconcileSession,
  WATCHDOG_AFTER_MS,
  type ReconcilerPorts,
} from '../../../shared/orchestration/reconciler.ts';
import { treeToItems } from '../../../shared/store/session-tree.ts';
import type { StoredItem, WriteOp } from '../../../shared/store/state-store.ts';
import type { PhaseExecution, SessionTree } from '../../../shared/domain/session.ts';
import { iso } from '../../../shared/domain/clock.ts';
import { MIN, SID, T0, tree } from './fixtures.ts';

const sfn = mockClient(SFNClient);
beforeEach(() => sfn.reset());

const ARN = 'arn:aws:states:eu-west-1:123456789012';
const NOW = T0 + 50 * MIN;
const NAME = 'dev-lcm-ses-p1-instantiate-1';

/** Session admitting before its start; its one part instantiating with a phase started `ageMs` ago. */
function instantiating(ageMs: number, ex: Partial<PhaseExecution> = {}) {
  return (t: SessionTree) => {
    t.session.status = 'admitting';
    const p = t.parts[0]!;
    p.status = 'instantiating';
    p.phase_execution = {
      phase: 'instantiate',
      execution_name: NAME,
      state_machine: 'dev-lcm-pd_1-instantiate',
      attempt: 1,
      started_at: iso(NOW - ageMs),
      input: {
        session_id: SID,
        part_order: 1,
        phase: 'instantiate',
        attempt: 1,
        pod_definition_id: 'pd_1',
        pods: [{ index: 0, id: 'pod_1' }],
        cleanup: false,
      },
      ...ex,
    };
    // Placed on a worker: nothing to place again.
    t.pods[0]!.status = 'provisioning';
    t.pods[0]!.host_id = 'w-1';
  };
}

function ports(shape: (t: SessionTree) => void, now = NOW) {
  const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
  shape(t);
  const items = treeToItems(t).map((i) => ({
    ...i,
    gsi1pk: `G#${i.sk}`,
    gsi1sk: `S#${i.sk}`,
  })) as StoredItem[];
  const writes: WriteOp[][] = [];
  const teardowns: unknown[][] = [];
  const lds: unknown[][] = [];
  let reads = 0;
  const p: ReconcilerPorts = {
    state: {
      queryPartition: async () => {
        reads++;
        return structuredClone(items);
      },
      write: async (ops: WriteOp[]) => void writes.push(ops),
    } as unknown as ReconcilerPorts['state'],
    sfn: new SFNClient({ region: 'eu-west-1' }),
    stateMachineArn: (name) => `${ARN}:stateMachine:${name}`,
    teardownPod: async (...a) => void teardowns.push(a),
    ldsCommand: async (...a) => void lds.push(a),
    putSessionReport: async (session) => `s3://artefacts/reports/${session}/session.json`,
    stage: 'dev',
    now: () => now,
  };
  return { p, writes, teardowns, lds, items, reads: () => reads };
}

const puts = (w: WriteOp[][]) =>
  w.flat().flatMap((o) => (o.kind === 'put' ? [o as Extract<WriteOp, { kind: 'put' }>] : []));

describe('the watchdog', () => {
  it('looks at a phase exactly two minutes after its start, and not a millisecond before', async () => {
    expect(WATCHDOG_AFTER_MS).toBe(120_000);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const before = ports(instantiating(119_999));
    expect(await reconcileSession(SID, before.p, { kind: 'tick' })).toMatchObject({ outcome: 'unchanged' });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);

    const at = ports(instantiating(120_000));
    await reconcileSession(SID, at.p, { kind: 'tick' });
    const calls = sfn.commandCalls(DescribeExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input.executionArn).toBe(`${ARN}:execution:dev-lcm-pd_1-instantiate:${NAME}`);
    // Still running: nothing recorded, nothing written, one read.
    expect(at.writes).toEqual([]);
    expect(at.reads()).toBe(1);
  });

  it('runs only on a tick, not on another observation', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const s = ports(instantiating(10 * MIN));
    await reconcileSession(SID, s.p);
    await reconcileSession(SID, s.p, { kind: 'none' });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('does not look at a phase that has its outcome', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const s = ports(instantiating(10 * MIN, { outcome: 'succeeded', ended_at: iso(NOW - MIN) }));
    await reconcileSession(SID, s.p, { kind: 'tick' });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ['SUCCEEDED', 'succeeded'],
    ['FAILED', 'failed'],
    ['TIMED_OUT', 'timed_out'],
    ['ABORTED', 'aborted'],
  ] as const)('an execution that ended %s without its event is recorded as %s', async (status, outcome) => {
    sfn.on(DescribeExecutionCommand).resolves({ status, error: 'E', cause: 'C' });
    const s = ports(instantiating(10 * MIN));
    await reconcileSession(SID, s.p, { kind: 'tick' });
    expect(s.reads()).toBe(2);
    const part = puts(s.writes).find((o) => o.item.sk === s.items.find((i) => i.order === 1)?.sk);
    const recorded =
      (part?.item.phase_execution as PhaseExecution | undefined)?.execution_name === NAME
        ? (part!.item.phase_execution as PhaseExecution)
        : (part?.item.phase_log as PhaseExecution[] | undefined)?.find((e) => e.execution_name === NAME);
    expect(recorded).toMatchObject({ outcome });
    if (outcome !== 'succeeded') expect(recorded).toMatchObject({ error: 'E', cause: 'C' });
  });

  it('an unknown end status records nothing', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'PENDING_REDRIVE' as 'RUNNING' });
    const s = ports(instantiating(10 * MIN));
    await reconcileSession(SID, s.p, { kind: 'tick' });
    expect(s.reads()).toBe(1);
    expect(s.writes).toEqual([]);
  });

  it('a lost start is issued again with the same name and input', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    sfn.on(StartExecutionCommand).resolves({});
    const s = ports(instantiating(10 * MIN));
    await reconcileSession(SID, s.p, { kind: 'tick' });
    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    const input = starts[0]!.args[0].input;
    expect(input.name).toBe(NAME);
    expect(input.stateMachineArn).toBe(`${ARN}:stateMachine:dev-lcm-pd_1-instantiate`);
    expect(JSON.parse(input.input!)).toMatchObject({ session_id: SID, part_order: 1, phase: 'instantiate' });
  });

  it('a lost start without its recorded input is not guessed at', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    const s = ports(instantiating(10 * MIN, { input: undefined }));
    await reconcileSession(SID, s.p, { kind: 'tick' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('another error of the look is not swallowed', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new Error('throttled'));
    const s = ports(instantiating(10 * MIN));
    await expect(reconcileSession(SID, s.p, { kind: 'tick' })).rejects.toThrow('throttled');
  });

  it('does not run after another observation that changed something', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const s = ports((t) => {
      instantiating(10 * MIN)(t);
      t.session.requested_end = iso(Date.parse(t.session.timeslot.end) + 10 * MIN);
    });
    expect((await reconcileSession(SID, s.p)).outcome).toBe('changed');
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('also runs after a tick that changed something', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const s = ports((t) => {
      instantiating(10 * MIN)(t);
      t.session.requested_end = iso(Date.parse(t.session.timeslot.end) + 10 * MIN);
    });
    expect((await reconcileSession(SID, s.p, { kind: 'tick' })).outcome).toBe('changed');
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
  });
});

describe('an observed outcome', () => {
  /** A failed part's cleanup (archive) running: its end moves nothing in the decision. */
  const cleaning = (t: SessionTree) => {
    t.session.status = 'finalizing';
    const p = t.parts[0]!;
    p.status = 'failed';
    p.phase_execution = {
      phase: 'archive',
      execution_name: 'dev-lcm-ses-p1-archive-cleanup-1',
      state_machine: 'dev-lcm-pd_1-archive',
      attempt: 1,
      started_at: iso(NOW - MIN),
      cleanup: true,
    };
    t.pods[0]!.status = 'ready';
  };

  it('moves its part by one version even when the decision moves nothing', async () => {
    const s = ports(cleaning);
    const r = await reconcileSession(SID, s.p, {
      kind: 'execution_ended',
      execution_name: 'dev-lcm-ses-p1-archive-cleanup-1',
      outcome: 'succeeded',
    });
    expect(r).toMatchObject({ outcome: 'changed', writes: 1 });
    const [op] = puts(s.writes);
    const old = s.items.find((i) => i.sk === op!.item.sk)!;
    expect(old.order).toBe(1);
    expect(op!.expectedVersion).toBe(old.state_version);
    expect(op!.item.state_version).toBe(old.state_version + 1);
    expect((op!.item.phase_execution as PhaseExecution).outcome).toBe('succeeded');
    // Attributes the tree does not model are kept, and none is made up.
    expect(op!.item).toMatchObject({ gsi1pk: old.gsi1pk, gsi1sk: old.gsi1sk });
  });

  it('an index key the stored item lacks is not written as undefined', async () => {
    const s = ports(cleaning);
    for (const i of s.items) delete i.gsi1sk;
    await reconcileSession(SID, s.p, {
      kind: 'execution_ended',
      execution_name: 'dev-lcm-ses-p1-archive-cleanup-1',
      outcome: 'succeeded',
    });
    const [op] = puts(s.writes);
    expect(Object.keys(op!.item)).not.toContain('gsi1sk');
    expect(op!.item.gsi1pk).toBeDefined();
  });

  it.each([
    ['an earlier execution of another name', 'other'],
    ['no execution yet', 'empty'],
  ] as const)('moves the part it belongs to, not another one whose log holds %s', async (_, log) => {
    const s = ports((t) => {
      const two = tree({
        execution: 'parallel',
        parts: [
          { minutes: 60, pod: true },
          { minutes: 60, pod: true },
        ],
      });
      t.parts = two.parts;
      t.pods = two.pods;
      t.session.part_execution = 'parallel';
      cleaning(t);
      // Part 1 runs nothing; its log holds another execution, or none.
      const [p1, p2] = t.parts;
      p2!.status = 'failed';
      p2!.phase_execution = { ...p1!.phase_execution!, execution_name: 'dev-lcm-ses-p2-archive-cleanup-1' };
      p1!.phase_execution = undefined;
      p1!.phase_log =
        log === 'empty'
          ? []
          : [
              {
                phase: 'instantiate',
                execution_name: 'dev-lcm-ses-p1-instantiate-1',
                state_machine: 'dev-lcm-pd_1-instantiate',
                attempt: 1,
                started_at: iso(NOW - 9 * MIN),
                outcome: 'succeeded',
              },
            ];
      t.pods[1]!.status = 'ready';
    });
    const r = await reconcileSession(SID, s.p, {
      kind: 'execution_ended',
      execution_name: 'dev-lcm-ses-p2-archive-cleanup-1',
      outcome: 'succeeded',
    });
    expect(r).toMatchObject({ outcome: 'changed', writes: 1 });
    const [op] = puts(s.writes);
    expect(s.items.find((i) => i.sk === op!.item.sk)!.order).toBe(2);
  });

  it('that the decision also moves its part by: still one version', async () => {
    const s = ports(instantiating(10 * MIN));
    const r = await reconcileSession(SID, s.p, {
      kind: 'execution_ended',
      execution_name: NAME,
      outcome: 'succeeded',
    });
    expect(r.outcome).toBe('changed');
    const part = puts(s.writes).find((o) => s.items.find((i) => i.sk === o.item.sk)!.order === 1)!;
    const old = s.items.find((i) => i.sk === part.item.sk)!;
    expect(part.item.provisioned).toBe(true);
    expect(part.item.state_version).toBe(old.state_version + 1);
  });

  it('of an execution the tree does not know changes nothing', async () => {
    const s = ports(cleaning);
    const r = await reconcileSession(SID, s.p, {
      kind: 'execution_ended',
      execution_name: 'dev-lcm-someone-else-1',
      outcome: 'succeeded',
    });
    expect(r).toMatchObject({ outcome: 'unchanged', writes: 0 });
    expect(s.writes).toEqual([]);
  });
});

describe('commands go to their ports', () => {
  it('a stop names the execution, with lcm.Stopped and the reason', async () => {
    sfn.on(StopExecutionCommand).resolves({});
    const s = ports((t) => {
      instantiating(MIN)(t);
      t.session.desired_status = 'cancelled';
      t.session.cancel_reason = 'proctor cancelled';
    });
    const r = await reconcileSession(SID, s.p);
    expect(r.commands).toContain('stop_execution');
    const stop = sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input;
    expect(stop).toEqual({
      executionArn: `${ARN}:execution:dev-lcm-pd_1-instantiate:${NAME}`,
      error: 'lcm.Stopped',
      cause: 'proctor cancelled',
    });
  });

  it('a stop of an execution that is gone is done', async () => {
    sfn.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    const s = ports((t) => {
      instantiating(MIN)(t);
      t.session.desired_status = 'cancelled';
    });
    expect((await reconcileSession(SID, s.p)).outcome).toBe('changed');
  });

  it('a teardown goes to teardownPod with the session, part, pod and reason', async () => {
    sfn.on(StopExecutionCommand).resolves({});
    // The session's window is T0+60 to T0+120 with a 10-minute teardown buffer.
    const s = ports(
      (t) => {
        t.session.status = 'running';
        t.parts[0]!.status = 'monitoring';
        t.pods[0]!.status = 'ready';
      },
      T0 + 131 * MIN,
    );
    const r = await reconcileSession(SID, s.p);
    expect(r.commands).toContain('teardown_pod');
    expect(s.teardowns).toEqual([[SID, 1, 0, 'cleanup deadline passed']]);
  });

  it('an LDS extension carries the new end; a pause carries none', async () => {
    const newEnd = (t: SessionTree) => iso(Date.parse(t.session.timeslot.end) + 10 * MIN);
    let end = '';
    const s = ports((t) => {
      t.session.status = 'running';
      t.parts[0]!.status = 'monitoring';
      t.pods[0]!.status = 'ready';
      t.parts[0]!.lds_session_id = 'lds-1';
      end = newEnd(t);
      t.session.requested_end = end;
    });
    await reconcileSession(SID, s.p);
    expect(s.lds).toEqual([[SID, { step: 'lds_extend', part: 1, ends_at: end }]]);

    const paused = ports((t) => {
      t.session.status = 'running';
      const p = t.parts[0]!;
      p.status = 'monitoring';
      p.activated_at = iso(NOW - MIN);
      p.deadline = iso(NOW + 30 * MIN);
      p.pause_requested = { at: iso(NOW), by: 'proctor', origin: 'api' };
      t.pods[0]!.status = 'ready';
      t.parts[0]!.lds_session_id = 'lds-1';
    });
    await reconcileSession(SID, paused.p);
    expect(paused.lds).toEqual([[SID, { step: 'lds_pause', part: 1 }]]);
  });
});
