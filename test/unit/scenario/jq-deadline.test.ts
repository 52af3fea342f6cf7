/**
 * jq runs where it can be ended (issue 14, finding 3): an expression that does not finish by its
 * step's deadline fails the step with `timeout`, the runner's own timers keep running meanwhile,
 * and the next expression runs in a fresh worker. Time is a scaled clock (×100, no wall floor):
 * a 10 s step timeout is 100 ms of real time; the test timeouts are hang guards only.
 */
import { describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../shared/domain/clock.ts';
import { deadlineFor } from '../../../shared/domain/sleep.ts';
import { runJob } from '../../../shared/scenario/executor.ts';
import { evaluateJq, jqWorkersStarted } from '../../../shared/scenario/jq.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { FakeConsoles, job, services } from './fakes.ts';

const scopes = { session: {}, content: {}, runtime_env: {} };

function fastDeadlines() {
  const svc = services(new FakeConsoles({}));
  // Only the clock's time: no floor of real time under this test's clock.
  return { ...svc, deadline: deadlineFor(new ScaledClock(100), 0) };
}

const run = (expr: string, when?: string) =>
  runJob(
    job([
      {
        id: 'spin',
        uses: 'evaluate.regex@v1',
        ...(when ? { when } : {}),
        with: { source: expr, regex: '.' },
        timeout: 10,
      },
      { id: 'after', uses: 'evaluate.regex@v1', with: { source: '${ "ok" }', regex: 'ok' } },
    ]),
    scopes,
    { services: fastDeadlines(), connectors: [], job: { id: 'job_jq01', pod_definition_id: 'pd_jq01' } },
  );

describe('jq under the step deadline', () => {
  it('a slow expression in `with` fails its step with timeout, not after it finishes', async () => {
    // Finite but far longer than the step's 100 ms: the old engine ran it to its end on the main
    // thread, before the step's timer even existed.
    const r = await run('${ [range(0; 30000000)] | length }');
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ kind: 'timeout', status: 408, step_id: 'spin' });
    expect(r.steps.map((s) => s.id)).toEqual(['spin']);
  }, 120_000);

  it('`def f: f; f` fails its step with timeout; the main thread keeps its timers; the next expression runs in a fresh worker', async () => {
    await evaluateJq('1', { ...scopes, vars: {} }); // warm
    const before = jqWorkersStarted();
    let ticks = 0;
    const beat = setInterval(() => ticks++, 5);
    const r = await run('${ def f: f; f }').finally(() => clearInterval(beat));
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ kind: 'timeout', step_id: 'spin' });
    expect(ticks).toBeGreaterThan(0); // heartbeats would have run too
    expect(await evaluateJq('.vars.x + 1', { ...scopes, vars: { x: 41 } })).toBe(42);
    expect(jqWorkersStarted()).toBe(before + 1);
  }, 120_000);

  it('a `when` that never ends fails its step with timeout too', async () => {
    const r = await run('${ "x" }', '${ def f: f; f }');
    expect(r.error).toMatchObject({ kind: 'timeout', step_id: 'spin' });
  }, 120_000);

  it('warm calls reuse one worker', async () => {
    await evaluateJq('1', { ...scopes, vars: {} });
    const before = jqWorkersStarted();
    for (let i = 0; i < 50; i++)
      expect(await evaluateJq(`. as $x | ${i} + 1`, { ...scopes, vars: {} })).toBe(i + 1);
    expect(jqWorkersStarted()).toBe(before);
  }, 120_000);

  it('a signal that aborts while the worker is being got ends the evaluation with its reason', async () => {
    // The abort lands while `evaluateJq` awaits its worker: its listener is not attached yet.
    // Before, the abort was missed and the expression ran on until the wall-time guard, holding
    // the worker for every call queued behind it (the stressed mutation dry run's failure).
    const c = new AbortController();
    const reason = new Problem('cancelled', 'the job was cancelled');
    const r = evaluateJq('def f: f; f', { ...scopes, vars: {} }, { signal: c.signal, maxMs: 20_000 });
    c.abort(reason);
    await expect(r).rejects.toBe(reason);
    expect(await evaluateJq('.vars.x + 1', { ...scopes, vars: { x: 1 } })).toBe(2);
  }, 120_000);

  it('a call queued behind an expression that runs out of time is run again on a fresh worker', async () => {
    // One worker runs one expression at a time: a call posted behind a runaway one is innocent
    // of its timeout and must not fail with it.
    await evaluateJq('1', { ...scopes, vars: {} }); // warm
    const before = jqWorkersStarted();
    const runaway = evaluateJq('def f: f; f', { ...scopes, vars: {} }, { maxMs: 200 });
    const innocent = evaluateJq('.vars.x * 2', { ...scopes, vars: { x: 21 } });
    await expect(runaway).rejects.toMatchObject({ kind: 'timeout' });
    expect(await innocent).toBe(42);
    expect(jqWorkersStarted()).toBe(before + 1);
  }, 120_000);
});
