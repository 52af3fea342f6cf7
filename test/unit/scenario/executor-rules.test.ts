/**
 * The executor's rules, each from both sides (issue 18, docs/testing.md "Mutation testing"): the
 * retry count and backoff, what `continue` and cancellation do to a failed step, the step
 * timeout's precedence, `when`, where captures go, the console's reuse and timeout, and how a
 * connector resolves. Time is a manual clock: a step timeout fires only when a test moves it, and
 * backoff waits are recorded and return at once, so nothing here depends on the machine's speed.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_ERROR_DETAIL,
  connectorTarget,
  mapAdapterError,
  runJob,
  toJobError,
  type ExecutorDeps,
  type JobProgress,
} from '../../../shared/scenario/executor.ts';
import type { ScenarioFunctionImpl, ScenarioServices } from '../../../shared/scenario/functions.ts';
import type { JobStep } from '../../../shared/dsl/catalogue.ts';
import type { ConsolePort, ConsoleSession, ConsoleTarget } from '../../../shared/adapters/console.ts';
import { Redactor } from '../../../shared/scenario/redact.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { ManualClock, iso } from '../../../shared/domain/clock.ts';
import { sleeperFor } from '../../../shared/domain/sleep.ts';
import { FakeConsoles, FakeSecrets, MemoryReports, connectors, job } from './fakes.ts';

const scopes = {
  session: { id: 'ses_1' },
  content: { name: 'lablet' },
  runtime_env: { worker: { address: '10.0.0.7' }, devices: { r1: { serial_port: 2001 } } },
};
const jobInfo = { id: 'job_rules1', pod_definition_id: 'pd_rules1' };

/** Services on a manual clock; `sleeps` are the backoff waits, `deadlines` each step timeout asked. */
function rig(consoles: ConsolePort = new FakeConsoles({})) {
  const clock = new ManualClock('2026-12-01T10:00:00Z');
  const deadlineSleep = sleeperFor(clock, 100, 'deadline');
  const sleeps: number[] = [];
  const deadlines: number[] = [];
  const services: ScenarioServices = {
    console: consoles,
    secrets: new FakeSecrets({
      'cml/devices': { username: 'cisco', password: 'Dev1ce-Pass', enable_password: 'En4ble-Pass' },
    }),
    cml: () => {
      throw new Error('no CML in this test');
    },
    reports: new MemoryReports(),
    sleep: async (ms) => void sleeps.push(ms),
    deadline: (ms, signal) => {
      deadlines.push(ms);
      return deadlineSleep(ms, signal);
    },
    now: () => iso(clock.now()),
  };
  return { clock, services, sleeps, deadlines };
}

/** A function (standing in for evaluate.regex@v1) that fails `fails` times, then returns. */
function failing(fails: number, error: () => unknown = () => new Problem('communication-error', 'busy')) {
  const calls = { n: 0 };
  const fn: ScenarioFunctionImpl = async () => {
    calls.n++;
    if (calls.n <= fails) throw error();
    return { passed: true };
  };
  return { fn, calls };
}

const step = (s: Partial<JobStep> & { id: string }): JobStep => ({
  uses: 'evaluate.regex@v1',
  with: { source: 'x', regex: 'x' },
  ...s,
});

async function run(
  steps: JobStep[],
  deps: Partial<ExecutorDeps> & { services: ScenarioServices },
  vars?: Record<string, unknown>,
) {
  const progress: JobProgress[] = [];
  const r = await runJob(
    job(steps),
    { ...scopes, ...(vars ? { vars } : {}) },
    {
      connectors: [],
      job: jobInfo,
      onProgress: (p) => void progress.push(p),
      ...deps,
    },
  );
  return { r, progress };
}

describe('retry: 1 + retries attempts, backoff doubling from `backoff` seconds', () => {
  it('without `retries` a retried step runs three times, with the default backoff of 1 s, then 2 s', async () => {
    const { services, sleeps } = rig();
    const { fn, calls } = failing(99);
    const { r, progress } = await run([step({ id: 'b', on_error: { action: 'retry' } })], {
      services,
      functions: { 'evaluate.regex@v1': fn },
    });
    expect(calls.n).toBe(3);
    expect(sleeps).toEqual([1000, 2000]);
    expect(r.status).toBe('failed');
    expect(r.steps).toEqual([
      expect.objectContaining({
        id: 'b',
        status: 'failed',
        attempts: 3,
        error: expect.objectContaining({ kind: 'communication-error', step_id: 'b' }),
      }),
    ]);
    expect(progress.map((p) => [p.status, p.attempt])).toEqual([
      ['retrying', 1],
      ['retrying', 2],
      ['failed', 3],
    ]);
  });

  it('`retries: 3` with `backoff: 3` waits 3, 6 and 12 s and never after the last attempt', async () => {
    const { services, sleeps } = rig();
    const { fn, calls } = failing(99);
    const { r } = await run([step({ id: 'b', on_error: { action: 'retry', retries: 3, backoff: 3 } })], {
      services,
      functions: { 'evaluate.regex@v1': fn },
    });
    expect(calls.n).toBe(4);
    expect(sleeps).toEqual([3000, 6000, 12_000]);
    expect(r.steps[0]!.attempts).toBe(4);
  });

  it('the last allowed attempt that succeeds completes the step; `retries: 0` and a negative count run once', async () => {
    const ok = rig();
    const last = failing(2);
    const { r } = await run([step({ id: 'b', on_error: { action: 'retry', retries: 2, backoff: 0 } })], {
      services: ok.services,
      functions: { 'evaluate.regex@v1': last.fn },
    });
    expect(r.status).toBe('completed');
    expect(r.steps[0]).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(last.calls.n).toBe(3);

    for (const retries of [0, -2]) {
      const { services, sleeps } = rig();
      const once = failing(1);
      const { r: r2 } = await run([step({ id: 'b', on_error: { action: 'retry', retries } })], {
        services,
        functions: { 'evaluate.regex@v1': once.fn },
      });
      expect(once.calls.n).toBe(1);
      expect(sleeps).toEqual([]);
      expect(r2.status).toBe('failed');
      expect(r2.steps[0]!.attempts).toBe(1);
    }
  });

  it('without on_error a failed step fails the job at once, and later steps do not run', async () => {
    const { services, sleeps } = rig();
    const { fn, calls } = failing(1);
    const { r } = await run([step({ id: 'a' }), step({ id: 'b' })], {
      services,
      functions: { 'evaluate.regex@v1': fn },
    });
    expect(calls.n).toBe(1);
    expect(sleeps).toEqual([]);
    expect(r).toMatchObject({ status: 'failed', error: { kind: 'communication-error', step_id: 'a' } });
    expect(r.steps.map((s) => s.id)).toEqual(['a']);
  });

  it('a cancelled step is not retried and ends the job cancelled, even under `continue`', async () => {
    for (const on_error of [{ action: 'retry' as const, retries: 5 }, { action: 'continue' as const }]) {
      const { services, sleeps } = rig();
      const { fn, calls } = failing(99, () => new Problem('cancelled', 'stop'));
      const { r, progress } = await run([step({ id: 'c', on_error }), step({ id: 'after' })], {
        services,
        functions: { 'evaluate.regex@v1': fn },
      });
      expect(calls.n).toBe(1);
      expect(sleeps).toEqual([]);
      expect(r.status).toBe('cancelled');
      expect(r.error).toMatchObject({ kind: 'cancelled', step_id: 'c' });
      expect(r.steps).toEqual([expect.objectContaining({ id: 'c', status: 'failed', attempts: 1 })]);
      expect(progress.map((p) => p.status)).toEqual(['failed']);
    }
  });

  it('`continue` records the failed attempt and goes on', async () => {
    const { services } = rig();
    const { fn } = failing(1);
    const { r, progress } = await run(
      [step({ id: 'c', stage: 'collect', on_error: { action: 'continue' } }), step({ id: 'after' })],
      { services, functions: { 'evaluate.regex@v1': fn } },
    );
    expect(r.status).toBe('completed');
    expect(r.error).toBeUndefined();
    expect(r.steps[0]).toMatchObject({ id: 'c', stage: 'collect', status: 'continued', attempts: 1 });
    expect(r.steps[0]!.error).toMatchObject({ kind: 'communication-error', step_id: 'c' });
    expect(progress.map((p) => [p.step_id, p.status, p.attempt])).toEqual([
      ['c', 'continued', 1],
      ['after', 'succeeded', 1],
    ]);
  });
});

describe('progress, stage and duration', () => {
  it('progress names the step, its index of the total, its stage only when it has one, and the attempt', async () => {
    const { services } = rig();
    const { progress, r } = await run([step({ id: 'a', stage: 'setup' }), step({ id: 'b' })], { services });
    expect(progress).toEqual([
      { step_index: 0, steps_total: 2, step_id: 'a', stage: 'setup', status: 'succeeded', attempt: 1 },
      { step_index: 1, steps_total: 2, step_id: 'b', status: 'succeeded', attempt: 1 },
    ]);
    expect(r.steps[0]).toMatchObject({ stage: 'setup', status: 'succeeded', attempts: 1 });
    expect(r.steps[1]).not.toHaveProperty('stage');
    for (const s of r.steps) {
      expect(s.duration_ms).toBeGreaterThanOrEqual(0);
      expect(s.duration_ms).toBeLessThan(3_600_000);
    }
  });
});

describe('when', () => {
  it('a false `when` skips with the stage, a true one runs; a broken one fails the job before any attempt', async () => {
    const { services } = rig();
    const { r, progress } = await run(
      [
        step({ id: 'no', stage: 'evaluate', when: '${ .session.id == "other" }' }),
        step({ id: 'yes', when: '${ .session.id == "ses_1" }' }),
        step({ id: 'broken', when: '${ .session | nosuchfn }' }),
        step({ id: 'never' }),
      ],
      { services },
    );
    expect(r.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['no', 'skipped', 0],
      ['yes', 'succeeded', 1],
      ['broken', 'failed', 0],
    ]);
    expect(r.steps[0]).toMatchObject({ stage: 'evaluate', duration_ms: 0 });
    expect(r).toMatchObject({ status: 'failed', error: { step_id: 'broken' } });
    expect(r.steps[2]!.error).toEqual(r.error);
    expect(progress.map((p) => [p.step_id, p.status, p.attempt])).toEqual([
      ['no', 'skipped', 0],
      ['yes', 'succeeded', 1],
      ['broken', 'failed', 0],
    ]);
  });

  it('the condition and the step each run under the step timeout, and leave no timer behind', async () => {
    const { services, deadlines, clock } = rig();
    const { r } = await run([step({ id: 'w', when: '${ .session.id == "ses_1" }', timeout: 7 })], {
      services,
    });
    expect(r.status).toBe('completed');
    expect(deadlines).toEqual([7000, 7000]);
    expect(clock.pending).toBe(0);
  });
});

describe('step timeout', () => {
  it('the step`s timeout wins over the job default, which wins over 300 s; the function is told it', async () => {
    const seen: number[] = [];
    const fn: ScenarioFunctionImpl = async (ctx) => {
      seen.push(ctx.timeoutMs);
      return {};
    };
    const { services, deadlines } = rig();
    await run([step({ id: 'own', timeout: 12 }), step({ id: 'dflt' })], {
      services,
      defaultTimeoutSeconds: 45,
      functions: { 'evaluate.regex@v1': fn },
    });
    await run([step({ id: 'none' })], { services, functions: { 'evaluate.regex@v1': fn } });
    expect(deadlines).toEqual([12_000, 45_000, 300_000]);
    expect(seen).toEqual([12_000, 45_000, 300_000]);
  });

  it('the step fails with timeout when the clock passes its timeout, not before; its signal aborts', async () => {
    const { services, clock } = rig();
    let signal: AbortSignal | undefined;
    let ctxSeen!: () => void;
    const started = new Promise<void>((res) => (ctxSeen = res));
    const fn: ScenarioFunctionImpl = (ctx) => {
      signal = ctx.signal;
      ctxSeen();
      return new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      );
    };
    const pending = run([step({ id: 'slow', timeout: 10 })], {
      services,
      functions: { 'evaluate.regex@v1': fn },
    });
    await started;
    clock.advance(9_999);
    await new Promise((res) => setImmediate(res));
    expect(signal!.aborted).toBe(false);
    clock.advance(1);
    const { r } = await pending;
    expect(signal!.aborted).toBe(true);
    expect(r).toMatchObject({ status: 'failed', error: { kind: 'timeout', status: 408, step_id: 'slow' } });
  });

  it('without a deadline port the step timeout is waited with sleep', async () => {
    const { services } = rig();
    delete (services as { deadline?: unknown }).deadline;
    // This sleep ends only when aborted: the step timeout never passes.
    const sleeps: number[] = [];
    services.sleep = (ms, signal) => {
      sleeps.push(ms);
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    };
    const { r } = await run([step({ id: 'a', timeout: 4 })], { services });
    expect(r.status).toBe('completed');
    expect(sleeps).toEqual([4000]);
  });
});

describe('capture', () => {
  it('vars.<step>.<var> always, vars.<var> only when one step captures it and it names no other step', async () => {
    const fn: ScenarioFunctionImpl = async (ctx) => ({ out: `${ctx.step.id}-out`, other: 1 });
    const { services } = rig();
    const { r } = await run(
      [
        step({ id: 'a', capture: { out: 'twice', other: 'mine' } }),
        step({ id: 'b', capture: { out: 'twice', missing: 'nothing' } }),
        // `b` names another step: flat it would replace b's bucket.
        step({ id: 'c', capture: { out: 'b' } }),
        // A var named like its own step is the flat var only.
        step({ id: 'd', capture: { out: 'd' } }),
      ],
      { services, functions: { 'evaluate.regex@v1': fn } },
    );
    expect(r.vars).toEqual({
      a: { twice: 'a-out', mine: 1 },
      mine: 1,
      b: { twice: 'b-out', nothing: null },
      nothing: null,
      c: { b: 'c-out' },
      d: 'd-out',
    });
  });

  it('a var named like its own step but captured twice is neither flat nor in that step`s bucket', async () => {
    const fn: ScenarioFunctionImpl = async (ctx) => ({ out: `${ctx.step.id}-out` });
    const { services } = rig();
    const { r } = await run(
      [step({ id: 'd', capture: { out: 'd' } }), step({ id: 'e', capture: { out: 'd' } })],
      { services, functions: { 'evaluate.regex@v1': fn } },
    );
    expect(r.vars).toEqual({ e: { d: 'e-out' } });
  });

  it('reports a function adds are the job`s reports; a job that adds none has none', async () => {
    const fn: ScenarioFunctionImpl = async (ctx) => {
      ctx.addReport({ kind: 'score', ref: `mem://${ctx.step.id}`, summary: { step: ctx.step.id } });
      return {};
    };
    const { services } = rig();
    const { r } = await run([step({ id: 'r1' })], { services, functions: { 'evaluate.regex@v1': fn } });
    expect(r.reports).toEqual([{ kind: 'score', ref: 'mem://r1', summary: { step: 'r1' } }]);
    const { r: none } = await run([step({ id: 'plain' })], { services: rig().services });
    expect(none.reports).toEqual([]);
  });

  it("a step's bucket that is already a value is left as it is; the flat var is still written", async () => {
    const { services } = rig();
    const { r } = await run([step({ id: 's1', capture: { passed: 'p' } })], { services }, { s1: 'keep' });
    expect(r.status).toBe('completed');
    expect(r.vars).toEqual({ s1: 'keep', p: true });
  });
});

describe('functions and the console', () => {
  it('a function that is not in the catalogue is refused even when the job supplies one', async () => {
    const { services } = rig();
    const { fn, calls } = failing(0);
    for (const uses of ['custom@v1', 'nosuch@v1']) {
      const { r } = await run([step({ id: 'x', uses })], { services, functions: { 'custom@v1': fn } });
      expect(r).toMatchObject({ status: 'failed', error: { kind: 'validation-error', step_id: 'x' } });
      expect(r.error!.detail).toContain(uses);
    }
    expect(calls.n).toBe(0);
  });

  it('an adapter error is mapped to its problem; anything else is internal', async () => {
    const cases: [unknown, string][] = [
      [Object.assign(new Error('slow device'), { kind: 'timeout' }), 'timeout'],
      [Object.assign(new Error('refused'), { kind: 'communication' }), 'communication-error'],
      [new Error('bug'), 'internal'],
    ];
    for (const [e, kind] of cases) {
      const { services } = rig();
      const { r } = await run([step({ id: 'x' })], {
        services,
        functions: {
          'evaluate.regex@v1': async () => {
            throw e;
          },
        },
      });
      expect(r.error).toMatchObject({ kind, step_id: 'x', detail: (e as Error).message });
    }
  });

  it('a step without a target has no console', async () => {
    const { services } = rig();
    const { r } = await run([{ id: 'c', uses: 'collect@v1', with: { command: 'show clock' } }], { services });
    expect(r.error).toMatchObject({ kind: 'validation-error', step_id: 'c' });
    expect(r.error!.detail).toContain('no target');
  });

  it("the console's timeout is the connector's, cut to the step's; one session per target, closed at the end", async () => {
    const opened: ConsoleTarget[] = [];
    let closed = 0;
    const port: ConsolePort = {
      open: async (t): Promise<ConsoleSession> => {
        opened.push(t);
        return {
          run: async () => 'ok',
          configure: async () => '',
          close: async () => {
            closed++;
            throw new Error('already closed');
          },
        };
      },
    };
    const { services } = rig(port);
    const { r } = await run(
      [
        { id: 'a', uses: 'collect@v1', target: 'r1', with: { command: 'x' }, timeout: 2 },
        { id: 'b', uses: 'collect@v1', target: 'r1', with: { command: 'y' }, timeout: 60 },
        { id: 'c', uses: 'collect@v1', target: 'r2', with: { command: 'z' }, timeout: 60 },
      ],
      { services, connectors: connectors(['r1', 'r2']) },
    );
    // r2 has no serial port in runtime_env: its connector does not resolve.
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'failed'],
    ]);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.timeoutMs).toBe(2000);
    expect(closed).toBe(1);

    const again = rig(port);
    opened.length = 0;
    await run([{ id: 'a', uses: 'collect@v1', target: 'r1', with: { command: 'x' }, timeout: 60 }], {
      services: again.services,
      connectors: connectors(['r1']),
    });
    // The connector's own 5 s is shorter than the step's 60 s.
    expect(opened[0]!.timeoutMs).toBe(5000);
  });

  it('a console that failed to open is opened again on the next attempt', async () => {
    const consoles = new FakeConsoles({});
    const { services } = rig(consoles);
    let first = true;
    const fn: ScenarioFunctionImpl = async (ctx) => {
      const s = await ctx.console().finally(() => {
        if (first) consoles.devices[2001] = { x: 'fine' };
        first = false;
      });
      return { output: await s.run('x') };
    };
    const { r } = await run(
      [
        {
          id: 'a',
          uses: 'collect@v1',
          target: 'r1',
          on_error: { action: 'retry', retries: 1, backoff: 0 },
          capture: { output: 'o' },
        },
      ],
      { services, connectors: connectors(['r1']), functions: { 'collect@v1': fn } },
    );
    expect(r.status).toBe('completed');
    expect(r.steps[0]!.attempts).toBe(2);
    expect(consoles.opened).toHaveLength(2);
    expect(r.vars.o).toBe('fine');
  });
});

describe('cancellation', () => {
  it('is checked before the first step too (an async answer counts)', async () => {
    const { services } = rig();
    const { fn, calls } = failing(0);
    const { r, progress } = await run([step({ id: 'first' }), step({ id: 'second' })], {
      services,
      functions: { 'evaluate.regex@v1': fn },
      isCancelled: async () => true,
    });
    expect(calls.n).toBe(0);
    expect(r).toMatchObject({
      status: 'cancelled',
      steps: [],
      error: { kind: 'cancelled', step_id: 'first' },
    });
    expect(progress).toEqual([]);
  });
});

describe('toJobError and mapAdapterError', () => {
  const redactor = new Redactor(['Top-Secret']);

  it('a detail of exactly the limit is kept whole; one character more is cut to the limit with an ellipsis', () => {
    const exact = toJobError(new Problem('conflict', 'x'.repeat(MAX_ERROR_DETAIL)), redactor, 's');
    expect(exact.detail).toBe('x'.repeat(MAX_ERROR_DETAIL));
    const over = toJobError(new Problem('conflict', 'y'.repeat(MAX_ERROR_DETAIL + 1)), redactor, 's');
    expect(over.detail).toHaveLength(MAX_ERROR_DETAIL);
    expect(over.detail).toBe(`${'y'.repeat(MAX_ERROR_DETAIL - 1)}…`);
  });

  it('is redacted, names its step only when given one, and turns anything thrown into an internal problem', () => {
    const e = toJobError(new Problem('conflict', 'said Top-Secret'), redactor, 'st');
    expect(e).toEqual({
      type: 'urn:lcm:problem:conflict',
      kind: 'conflict',
      status: 409,
      title: e.title,
      detail: 'said ***',
      step_id: 'st',
    });
    expect(toJobError(new Problem('conflict', 'x'), redactor)).not.toHaveProperty('step_id');
    expect(toJobError(new Error('plain'), redactor)).toMatchObject({
      kind: 'internal',
      status: 500,
      detail: 'plain',
    });
    expect(toJobError('a string', redactor)).toMatchObject({ kind: 'internal', detail: 'a string' });
    expect(toJobError(undefined, redactor)).toMatchObject({ kind: 'internal', detail: 'undefined' });
    // A problem without a detail reports its title.
    const bare = toJobError(new Problem('conflict'), redactor);
    expect(bare.detail).toBe(bare.title);
  });

  it('maps every adapter kind; an unknown or missing kind is internal; the message is kept', () => {
    const cases: [string | undefined, string][] = [
      ['timeout', 'timeout'],
      ['communication', 'communication-error'],
      ['authentication', 'unauthorized'],
      ['validation', 'validation-error'],
      ['not_found', 'not-found'],
      ['conflict', 'conflict'],
      ['other', 'internal'],
      [undefined, 'internal'],
    ];
    for (const [kind, want] of cases) {
      const p = mapAdapterError(Object.assign(new Error(`m-${kind}`), kind ? { kind } : {}));
      expect([kind, p.kind, p.detail]).toEqual([kind, want, `m-${kind}`]);
    }
    expect(mapAdapterError('just text')).toMatchObject({ kind: 'internal', detail: 'just text' });
    const cause = Object.assign(new Error('x'), { kind: 'conflict' });
    expect(mapAdapterError(cause).cause).toBe(cause);
  });
});

describe('connectorTarget', () => {
  const secrets = new FakeSecrets({
    'cml/devices': { username: 'cisco', password: 'Dev1ce-Pass', enable_password: 'En4ble-Pass' },
    'cml/api': {},
  });
  const base = { name: 'r1', host: '${ .runtime_env.worker.address }', port: 2001 };
  const target = (c: Record<string, unknown>, s: typeof scopes = scopes, r?: Redactor) =>
    connectorTarget(
      'r1',
      [
        { name: 'other', port: 1 },
        { ...base, ...c },
      ],
      { ...s, vars: {} },
      secrets,
      r,
    );
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: Problem) => e.kind,
    );

  it('resolves host, port, prompt and timeout with their defaults; credentials come from the secret only', async () => {
    expect(await target({ password: 'inline', enable_password: 'inline2' })).toEqual({
      host: '10.0.0.7',
      port: 2001,
      prompt: '[>#]',
      timeoutMs: 30_000,
    });
    const redactor = new Redactor([]);
    expect(
      await target(
        {
          secret: 'cml/devices',
          username: 'ignored',
          prompt: 'r1#',
          timeout: 7,
          transport: 'ssh',
          host_key: 'AAA',
        },
        scopes,
        redactor,
      ),
    ).toEqual({
      host: '10.0.0.7',
      port: 2001,
      transport: 'ssh',
      host_key: 'AAA',
      prompt: 'r1#',
      username: 'cisco',
      password: 'Dev1ce-Pass',
      enable_password: 'En4ble-Pass',
      timeoutMs: 7000,
    });
    // The resolved credentials are masked from then on.
    expect(redactor.text('Dev1ce-Pass En4ble-Pass')).toBe('*** ***');
  });

  it('takes the connector`s username when the secret has none; keeps telnet, drops another transport and an empty host key', async () => {
    expect(await target({ secret: 'cml/api', username: 'op', transport: 'telnet', host_key: '' })).toEqual({
      host: '10.0.0.7',
      port: 2001,
      transport: 'telnet',
      prompt: '[>#]',
      username: 'op',
      timeoutMs: 30_000,
    });
    const other = await target({ transport: 'serial', host_key: 42 });
    expect(other).not.toHaveProperty('transport');
    expect(other).not.toHaveProperty('host_key');
    expect(other).not.toHaveProperty('username');
  });

  it("an explicit host wins over the worker's address, which is used when the connector has none", async () => {
    expect((await target({ host: '192.0.2.1' })).host).toBe('192.0.2.1');
    expect((await target({ host: undefined })).host).toBe('10.0.0.7');
    const noWorker = { ...scopes, runtime_env: { devices: {} } } as unknown as typeof scopes;
    expect(await refusal(target({ host: undefined }, noWorker))).toBe('validation-error');
  });

  it('port 1 is accepted; 0, a fraction and none are refused', async () => {
    expect((await target({ port: 1 })).port).toBe(1);
    expect((await target({ port: '22' })).port).toBe(22);
    for (const port of [0, -1, 1.5, undefined])
      expect([port, await refusal(target({ port }))]).toEqual([port, 'validation-error']);
  });

  it('refuses an unknown connector, an unknown secret reference, a missing secrets port and unreadable credentials', async () => {
    expect(await refusal(connectorTarget('r9', [base], { ...scopes, vars: {} }, secrets))).toBe('not-found');
    expect(await refusal(target({ secret: 'cml/nope' }))).toBe('validation-error');
    expect(
      await refusal(connectorTarget('r1', [{ ...base, secret: 'cml/devices' }], { ...scopes, vars: {} })),
    ).toBe('validation-error');
    const empty = new FakeSecrets({});
    expect(
      await refusal(
        connectorTarget('r1', [{ ...base, secret: 'cml/devices' }], { ...scopes, vars: {} }, empty),
      ),
    ).toBe('unauthorized');
  });
});
