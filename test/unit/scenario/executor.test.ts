import { describe, expect, it } from 'vitest';
import { runJob, type JobProgress } from '../../../shared/scenario/executor.ts';
import { resolveValue, parseTemplate } from '../../../shared/scenario/expressions.ts';
import type { ScenarioFunctionImpl } from '../../../shared/scenario/functions.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { FakeConsoles, connectors, job, services } from './fakes.ts';

const scopes = {
  session: { id: 'ses_1', cut_score: 80 },
  content: { name: 'lablet', files: { note: 'hello' } },
  runtime_env: {
    worker: { address: '127.0.0.1' },
    devices: { r1: { serial_port: 2001, enable_password: 'S3cr3t-Enable!' } },
  },
};
const jobInfo = { id: 'job_test01', pod_definition_id: 'pd_test01' };

describe('templates', () => {
  it('a whole ${ } takes the JSON value; inside text it interpolates; $vars and .vars are the same', async () => {
    const s = { ...scopes, vars: { n: 3, list: [1, 2] } };
    expect(await resolveValue('${ .vars.n + 1 }', s)).toBe(4);
    expect(await resolveValue('${ $vars.list }', s)).toEqual([1, 2]);
    expect(await resolveValue('n=${ .vars.n }, l=${ $vars.list }', s)).toBe('n=3, l=[1,2]');
    expect(await resolveValue({ a: ['${ .session.id }', 'x'], b: 1 }, s)).toEqual({
      a: ['ses_1', 'x'],
      b: 1,
    });
    expect(parseTemplate('${ {a: "}"} | .a }')).toEqual([{ expr: '{a: "}"} | .a' }]);
  });

  it('a broken expression is a 400 expression problem naming it', async () => {
    const err = await resolveValue('${ .vars | nosuchfn }', { ...scopes, vars: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Problem);
    expect((err as Problem).status).toBe(400);
    expect((err as Problem).detail).toContain('nosuchfn');
  });
});

describe('executor', () => {
  it('runs steps in order, captures into vars.<step>.<var> and vars.<var>, and skips on a false when', async () => {
    const consoles = new FakeConsoles({ 2001: { 'show ip ospf neighbor': '2.2.2.2  1  FULL/DR' } });
    const progress: JobProgress[] = [];
    const r = await runJob(
      job([
        {
          id: 'collect_r1',
          uses: 'collect@v1',
          target: 'r1',
          with: { command: 'show ip ospf neighbor' },
          capture: { output: 'r1_ospf' },
        },
        {
          id: 'full',
          uses: 'evaluate.regex@v1',
          with: { source: '${ .vars.r1_ospf }', regex: 'FULL' },
          capture: { passed: 'is_full' },
        },
        { id: 'skipped', uses: 'pause@v1', when: '${ .vars.is_full | not }', with: { seconds: 1 } },
        {
          id: 'templated',
          uses: 'evaluate.regex@v1',
          with: { source: 'was ${ .vars.full.is_full }', regex: 'true' },
          capture: { passed: 'again' },
        },
      ]),
      scopes,
      {
        services: services(consoles),
        connectors: connectors(['r1']),
        job: jobInfo,
        onProgress: (p) => void progress.push(p),
      },
    );
    expect(r.status).toBe('completed');
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['collect_r1', 'succeeded'],
      ['full', 'succeeded'],
      ['skipped', 'skipped'],
      ['templated', 'succeeded'],
    ]);
    expect(r.vars.r1_ospf).toBe('2.2.2.2  1  FULL/DR');
    expect(r.vars.collect_r1).toEqual({ r1_ospf: '2.2.2.2  1  FULL/DR' });
    expect(r.vars.again).toBe(true);
    expect(progress.map((p) => `${p.step_index}:${p.status}`)).toEqual([
      '0:succeeded',
      '1:succeeded',
      '2:skipped',
      '3:succeeded',
    ]);
    // One console session per target for the whole job, with the resolved port.
    expect(consoles.opened).toHaveLength(1);
    expect(consoles.opened[0]).toMatchObject({ host: '127.0.0.1', port: 2001, prompt: 'r1[>#]' });
  });

  it('a step that exceeds its timeout fails the job with a 408 problem naming the step', async () => {
    const svc = services(new FakeConsoles({}));
    const r = await runJob(
      job([
        { id: 'slow', uses: 'pause@v1', with: { seconds: 600 }, timeout: 2 },
        { id: 'never', uses: 'pause@v1', with: { seconds: 0 } },
      ]),
      scopes,
      { services: svc, connectors: [], job: jobInfo },
    );
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ status: 408, kind: 'timeout', step_id: 'slow' });
    expect(r.steps.map((s) => s.id)).toEqual(['slow']);
    // The 2 s timeout cut the 600 s pause short: its wait was aborted, never ran to its end.
    expect(svc.sleeps).toContainEqual({ ms: 600_000, ended: 'aborted' });
    expect(svc.sleeps).not.toContainEqual({ ms: 600_000, ended: 'elapsed' });
  });

  it('on_error retry: fails twice, succeeds on the third attempt, with backoff in between', async () => {
    let calls = 0;
    const flaky: ScenarioFunctionImpl = async () => {
      calls++;
      if (calls < 3) throw new Problem('communication-error', 'device busy');
      return { passed: true, match: 'x', groups: [] };
    };
    const progress: JobProgress[] = [];
    const r = await runJob(
      job([
        {
          id: 'flaky',
          uses: 'evaluate.regex@v1',
          with: { source: 'x', regex: 'x' },
          on_error: { action: 'retry', retries: 3, backoff: 1 },
          capture: { passed: 'ok' },
        },
      ]),
      scopes,
      {
        services: services(new FakeConsoles({})),
        connectors: [],
        job: jobInfo,
        functions: { 'evaluate.regex@v1': flaky },
        onProgress: (p) => void progress.push(p),
      },
    );
    expect(r.status).toBe('completed');
    expect(r.steps[0]).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(progress.map((p) => p.status)).toEqual(['retrying', 'retrying', 'succeeded']);
    expect(calls).toBe(3);
  });

  it('on_error retry that never succeeds fails after 1 + retries attempts', async () => {
    let calls = 0;
    const broken: ScenarioFunctionImpl = async () => {
      calls++;
      throw new Problem('communication-error', 'down');
    };
    const r = await runJob(
      job([
        {
          id: 'b',
          uses: 'evaluate.regex@v1',
          with: { source: 'x', regex: 'x' },
          on_error: { action: 'retry', retries: 2, backoff: 0 },
        },
      ]),
      scopes,
      {
        services: services(new FakeConsoles({})),
        connectors: [],
        job: jobInfo,
        functions: { 'evaluate.regex@v1': broken },
      },
    );
    expect(r).toMatchObject({ status: 'failed', error: { status: 503, step_id: 'b' } });
    expect(calls).toBe(3);
  });

  it('on_error continue records the failure and goes on to the next step', async () => {
    const r = await runJob(
      job([
        {
          id: 'bad',
          uses: 'collect@v1',
          target: 'r1',
          with: { command: 'show nonsense' },
          on_error: { action: 'continue' },
          capture: { output: 'nothing' },
        },
        { id: 'after', uses: 'pause@v1', with: { seconds: 0 }, capture: { waited_seconds: 'w' } },
      ]),
      scopes,
      { services: services(new FakeConsoles({ 2001: {} })), connectors: connectors(['r1']), job: jobInfo },
    );
    expect(r.status).toBe('completed');
    expect(r.steps[0]).toMatchObject({ id: 'bad', status: 'continued', error: { status: 422 } });
    expect(r.steps[1]).toMatchObject({ id: 'after', status: 'succeeded' });
    expect(r.vars).not.toHaveProperty('nothing');
    expect(r.vars.w).toBe(0);
  });

  it('cancellation takes effect between steps and ends the job cancelled (499)', async () => {
    let done = 0;
    const r = await runJob(
      job([0, 1, 2, 3].map((i) => ({ id: `p${i}`, uses: 'pause@v1', with: { seconds: 1 } }))),
      scopes,
      {
        services: services(new FakeConsoles({})),
        connectors: [],
        job: jobInfo,
        isCancelled: () => done >= 2,
        onProgress: () => void done++,
      },
    );
    expect(r.status).toBe('cancelled');
    expect(r.steps.map((s) => s.id)).toEqual(['p0', 'p1']);
    expect(r.error).toMatchObject({ status: 499, step_id: 'p2' });
  });

  it('secrets (resolved by reference, or found in runtime_env) never appear in results, errors or progress', async () => {
    const secret = 'S3cr3t-Enable!';
    const consoles = new FakeConsoles({ 2001: { 'show run | include enable': `enable secret ${secret}` } });
    const progress: JobProgress[] = [];
    const r = await runJob(
      job([
        {
          id: 'leak',
          uses: 'collect@v1',
          target: 'r1',
          with: { command: 'show run | include enable' },
          capture: { output: 'cfg' },
        },
        {
          id: 'echo',
          uses: 'evaluate.regex@v1',
          with: { source: '${ .runtime_env.devices.r1.enable_password }', regex: '.+' },
          capture: { match: 'pw' },
        },
        { id: 'boom', uses: 'evaluate.regex@v1', with: { source: 'x', regex: `${secret}(` } },
      ]),
      scopes,
      {
        services: services(consoles),
        connectors: connectors(['r1']),
        job: jobInfo,
        onProgress: (p) => void progress.push(p),
      },
    );
    expect(r.status).toBe('failed');
    const everything = JSON.stringify({ r, progress });
    expect(everything).not.toContain(secret);
    expect(r.vars.cfg).toBe('enable secret ***');
    // runtime_env's secret-looking values never reach jq: the expression finds nothing.
    expect(r.vars.pw).toBe(null);
    // The device still received the real password: redaction is for what leaves the job.
    expect(consoles.opened[0]!.enable_password).toBe(secret);
  });

  it('a connector whose port does not resolve is a clear validation problem', async () => {
    const r = await runJob(
      job([{ id: 'c', uses: 'collect@v1', target: 'r9', with: { command: 'show clock' } }]),
      scopes,
      {
        services: services(new FakeConsoles({})),
        connectors: connectors(['r9']),
        job: jobInfo,
      },
    );
    expect(r.error).toMatchObject({ status: 422, step_id: 'c' });
    expect(r.error!.detail).toContain('r9');
  });
});
