/**
 * Real retries (issue 14, finding 2), against DynamoDB Local: each attempt of a phase's job task
 * runs the job afresh; a `running` record holds a lease that its runner renews and that a retry
 * takes over once it has expired; SIGTERM's path marks the record failed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { transition } from '../../../shared/domain/timed-resource.ts';
import { sleeperFor } from '../../../shared/domain/sleep.ts';
import {
  JobRepository,
  lifecycleJobId,
  JOB_LEASE_MS,
  type JobContent,
  type JobRecord,
} from '../../../shared/scenario/jobs.ts';
import { runLifecycleJob, type LifecycleJobPayload } from '../../../shared/scenario/lifecycle.ts';
import { keys } from '../../../shared/store/keys.ts';
import type { StateStore, StoredItem } from '../../../shared/store/state-store.ts';
import type { ConsolePort, ConsoleSession, ConsoleTarget } from '../../../shared/adapters/console.ts';
import { FakeConsoles, job, services } from '../../unit/scenario/fakes.ts';
import { freshStateStore } from '../../helpers/tables.ts';

const SESSION = 'ses_retry00001';
const payload: LifecycleJobPayload = {
  job: 'grade@v1',
  session_id: SESSION,
  part_order: 1,
  phase: 'grade',
  attempt: 1,
  pod_definition_id: 'pd_retry01',
};
const jobId = lifecycleJobId(payload, 'grade@v1');

const content: JobContent = {
  definition: job(
    [
      {
        id: 'nbrs',
        uses: 'collect@v1',
        target: 'r1',
        with: { command: 'show ip ospf neighbor' },
        capture: { output: 'nbrs' },
      },
      { id: 'score', uses: 'report.score@v1', with: { rubric: 'rubric' } },
    ],
    'grade',
  ),
  connectors: [
    {
      name: 'r1',
      class: 'cisco_common',
      transport: 'telnet',
      host: '127.0.0.1',
      port: '2001',
      secret: 'cml/devices',
    },
  ],
  content: {
    files: {
      rubric: {
        kind: 'EvaluationRuleset',
        spec: {
          max_points: 10,
          items: [{ id: 'full', points: 10, checks: [{ source: 'nbrs', regex: 'FULL' }] }],
        },
      },
    },
  },
};

/** A console whose first `drops` opens fail as a dropped connection would. */
class DroppingConsoles implements ConsolePort {
  opens = 0;
  readonly inner = new FakeConsoles({ 2001: { 'show ip ospf neighbor': '2.2.2.2  1  FULL/DR' } });
  constructor(private drops: number) {}
  async open(t: ConsoleTarget): Promise<ConsoleSession> {
    this.opens++;
    if (this.drops-- > 0)
      throw Object.assign(new Error('connection reset by peer'), { kind: 'communication' });
    return this.inner.open(t);
  }
}

let store: StateStore;
let drop: () => Promise<void>;
let clock: ManualClock;

beforeEach(async () => {
  ({ store, drop } = await freshStateStore());
  clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
  const now = new Date(clock.now()).toISOString();
  const base = { state_version: 1, state_history: [], created_at: now, updated_at: now };
  const timeslot = { start: now, end: new Date(clock.now() + 3600_000).toISOString() };
  await store.put(
    {
      ...keys.session(SESSION),
      ...base,
      entity: 'session',
      id: SESSION,
      status: 'running',
      desired_status: 'completed',
      session_type: 'lablet',
      part_execution: 'single',
      timeslot,
      candidate: { candidate_id: 'c-1' },
    } as StoredItem,
    null,
  );
  await store.put(
    {
      ...keys.part(SESSION, 1),
      ...base,
      entity: 'part',
      id: `${SESSION}.p1`,
      session_id: SESSION,
      order: 1,
      name: 'lab',
      status: 'grading',
      desired_status: 'archived',
      form: { fqn: 'x', version: '1' },
      timeslot,
      phases: {},
    } as StoredItem,
    null,
  );
});
afterEach(() => drop());

const attempt = (consoles: ConsolePort, repo = new JobRepository(store, clock)) =>
  runLifecycleJob({
    payload,
    store,
    repo,
    clock,
    services: { ...services(consoles), sleep: sleeperFor(clock) },
    loadContent: async () => content,
    runner: 'lambda',
  });

describe('phase retries run the job again', () => {
  it('a console dropped on the first attempt: the retry runs the job afresh, it completes and the score is recorded on the part', async () => {
    const consoles = new DroppingConsoles(1);
    const first = await attempt(consoles).catch((e: Error) => e);
    expect(first).toMatchObject({ name: 'Job.communication-error' });
    // Step Functions' Retry invokes the task again with the same payload.
    const second = await attempt(consoles);
    expect(second.status).toBe('completed');
    expect(consoles.opens).toBe(2);
    const part = await store.get<StoredItem & { score_report?: { points_awarded: number } }>(
      keys.part(SESSION, 1),
    );
    expect(part?.score_report?.points_awarded).toBe(10);
    const rec = (await new JobRepository(store, clock).get(jobId))!;
    expect(rec.status).toBe('completed');
    expect(rec.run).toBe(2);
    expect(rec.runs).toMatchObject([{ run: 1, status: 'failed', error: { kind: 'communication-error' } }]);
  });

  it('a completed job is not run again by a redelivered invocation', async () => {
    const consoles = new DroppingConsoles(0);
    await attempt(consoles);
    const again = await attempt(consoles);
    expect(again.status).toBe('completed');
    expect(consoles.opens).toBe(1);
  });
});

describe('leases', () => {
  /** What a runner killed mid-job (SIGKILL, OOM, a Lambda timeout) leaves behind. */
  async function abandoned(): Promise<JobRecord> {
    const repo = new JobRepository(store, clock);
    await repo.create({
      id: jobId,
      job: 'grade@v1',
      pod_definition_id: 'pd_retry01',
      origin: { kind: 'lifecycle', session_id: SESSION, part_order: 1, phase: 'grade', attempt: 1 },
      input: {},
    });
    return repo.update(jobId, (r) => ({
      ...transition(r, 'running', { now: clock.now(), by: 'job-runner:fargate', started: true }),
      lease_until: clock.now() + JOB_LEASE_MS,
      lease_owner: 'runner-a',
    }));
  }

  it('a runner killed mid-job: once its lease has expired, the retry takes the job over and completes it; no record stays running', async () => {
    await abandoned();
    clock.advance(JOB_LEASE_MS + 1);
    const r = await attempt(new DroppingConsoles(0));
    expect(r.status).toBe('completed');
    const rec = (await new JobRepository(store, clock).get(jobId))!;
    expect(rec.status).toBe('completed');
    expect(rec.lease_until).toBeUndefined();
  });

  it('a retry finding a live lease waits for it to expire (the holder has stopped renewing) and then takes over', async () => {
    await abandoned();
    const retry = attempt(new DroppingConsoles(0));
    // The retry waits on the clock; nobody renews; time passes past the lease.
    for (let i = 0; i < 50 && !(await settledWithin(retry)); i++) clock.advance(JOB_LEASE_MS / 10);
    const r = await retry;
    expect(r.status).toBe('completed');
  });

  it('a lease that its holder keeps renewing is not taken over: the retry reports Job.InProgress', async () => {
    const held = await abandoned();
    const repo = new JobRepository(store, clock);
    const retry = attempt(new DroppingConsoles(0)).catch((e: Error) => e);
    for (let i = 0; i < 50 && !(await settledWithin(retry)); i++) {
      clock.advance(JOB_LEASE_MS / 10);
      await repo.renewLease(held.id, 'runner-a');
    }
    expect(await retry).toMatchObject({ name: 'Job.InProgress' });
  });

  it('SIGTERM: the runner marks its running record failed before it exits', async () => {
    await abandoned();
    const repo = new JobRepository(store, clock);
    await repo.abandon(jobId, 'job-runner:fargate', 'the task was stopped (SIGTERM)');
    const rec = (await repo.get(jobId))!;
    expect(rec.status).toBe('failed');
    expect(rec.error).toMatchObject({ kind: 'cancelled' });
    // …and a retry runs it again.
    expect((await attempt(new DroppingConsoles(0))).status).toBe('completed');
  });
});

async function settledWithin(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, 20));
  return done;
}
