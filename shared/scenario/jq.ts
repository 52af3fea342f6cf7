/**
 * jq for the job DSL, on jq-wasm (pinned: 3.0.0-jq-1.8.2), in a worker thread that can be ended:
 * an expression that never returns (`def f: f; f`) must not stop the runner's heartbeats,
 * cancellation or SIGTERM handling, so jq never runs on the main thread. One worker is kept warm
 * and reused (the WebAssembly module is compiled once per process and handed to it); a call that
 * outlives its deadline or whose signal aborts terminates the worker, fails with `timeout` (or
 * `cancelled`), and the next call starts a fresh worker. Each expression's program text (with
 * the four scope variables bound) is built once and cached inside the worker.
 *
 * Every expression reads `{session, content, runtime_env, vars}`, and the same scopes are bound
 * as `$session`, `$content`, `$runtime_env` and `$vars`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Problem } from '../domain/problem.ts';
import { jqWasmBinary, moduleDir } from '../dsl/jq-wasm.ts';
import { envOptional } from '../runtime/env.ts';

/**
 * jq-wasm's self-contained CommonJS build, which the worker loads: next to a bundle (copied at
 * bundling as jq-wasm.cjs, beside jq.wasm), else the installed package.
 */
export function jqGluePath(): string {
  const wasm = envOptional('jqWasm');
  const candidates = [
    wasm ? join(dirname(wasm), 'jq-wasm.cjs') : undefined,
    join(moduleDir(), 'jq-wasm.cjs'),
  ].filter((p): p is string => Boolean(p));
  for (const p of candidates) if (existsSync(p)) return p;
  return createRequire(import.meta.url).resolve(['jq-wasm'].join(''));
}

/** The worker's code: CommonJS, evaluated as is (no bundler or TypeScript loader needed). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { loadJq } = require(workerData.glue);
const ready = loadJq({
  instantiateWasm: (imports, onSuccess) => {
    WebAssembly.instantiate(workerData.module, imports).then((i) => onSuccess(i, workerData.module));
    return {};
  },
});
const programs = new Map();
const program = (e) => {
  let p = programs.get(e);
  if (p === undefined) {
    p = '. as {$session, $content, $runtime_env, $vars} | (' + e + ')';
    if (programs.size >= 2000) programs.delete(programs.keys().next().value);
    programs.set(e, p);
  }
  return p;
};
parentPort.on('message', async (m) => {
  let jq;
  try {
    jq = await ready;
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, stderr: 'jq could not start: ' + String(e && e.message) });
    return;
  }
  try {
    const v = jq.first(m.input, program(m.expression));
    parentPort.postMessage({ id: m.id, ok: true, value: v === undefined ? null : v });
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, stderr: String((e && (e.stderr || e.message)) || e) });
  }
});
`;

/** A compiled WebAssembly module (handed to each worker; compiling is the expensive part of a start). */
type WasmModule = object;
const wasm = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<WasmModule> } })
  .WebAssembly;

let compiled: Promise<WasmModule> | undefined;
const wasmModule = () =>
  (compiled ??= wasm.compile(jqWasmBinary()).catch((e: unknown) => {
    compiled = undefined;
    throw e;
  }));

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** One warm worker; ended (and replaced on the next call) when a call overruns or is aborted. */
class JqWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #dead = false;

  constructor(module: WasmModule) {
    // No flags of the host process (a loader, `--input-type=module`): the source is CommonJS and
    // needs nothing but the glue it requires.
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { module, glue: jqGluePath() },
    });
    // An idle worker does not keep a process alive.
    this.#worker.unref();
    this.#worker.on('message', (m: { id: number; ok: boolean; value?: unknown; stderr?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (m.ok) p.resolve(m.value);
      else p.reject(Object.assign(new Error(m.stderr ?? 'jq failed'), { stderr: m.stderr }));
    });
    this.#worker.on('error', (e) => this.end(e));
    this.#worker.on('exit', () => this.end(new Error('the jq worker exited')));
  }

  get dead(): boolean {
    return this.#dead;
  }

  run(expression: string, input: unknown): { id: number; done: Promise<unknown> } {
    const id = this.#next++;
    const done = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#worker.ref();
    this.#worker.postMessage({ id, expression, input });
    return { id, done };
  }

  /**
   * Ends the worker. The call `culprit` (every call, when none is named: the worker itself failed)
   * fails with `reason`; the calls queued behind it did nothing wrong and fail with `REQUEUED`, so
   * their callers run them again on a fresh worker.
   */
  end(reason: unknown, culprit?: number): void {
    if (this.#dead) return;
    this.#dead = true;
    void this.#worker.terminate();
    for (const [id, p] of this.#pending)
      p.reject(culprit === undefined || id === culprit ? reason : REQUEUED);
    this.#pending.clear();
  }
}

/** A call ended only because another call in its worker ran out of time (see `JqWorker.end`). */
const REQUEUED = Symbol('requeued');
/** How many times one evaluation is run again after others ended its worker. */
const MAX_REQUEUES = 3;

let current: Promise<JqWorker> | undefined;
let started = 0;

async function worker(): Promise<JqWorker> {
  if (current) {
    const w = await current.catch(() => undefined);
    if (w && !w.dead) return w;
  }
  started++;
  const next = wasmModule().then((m: WasmModule) => new JqWorker(m));
  current = next;
  return next;
}

/** How many jq workers this process has started (one, unless calls were ended). */
export const jqWorkersStarted = () => started;

/** Loads jq ahead of the first expression (a warm-up for cold starts). */
export async function jqEngine(): Promise<void> {
  await evaluateJq('null', { session: {}, content: {}, runtime_env: {}, vars: {} });
}

export interface Scopes {
  session: Record<string, unknown>;
  content: Record<string, unknown>;
  runtime_env: Record<string, unknown>;
  vars: Record<string, unknown>;
}

export interface JqLimits {
  /** Aborting ends the evaluation at once (the step's deadline or cancellation). */
  signal?: AbortSignal;
  /** Wall-time guard for one evaluation, in ms; default 30 s. */
  maxMs?: number;
}

const DEFAULT_MAX_MS = 30_000;

/**
 * Evaluates one jq expression against the scopes; its first output (null when it yields none).
 * An evaluation still running when `signal` aborts, or after `maxMs`, ends its worker and fails
 * with `timeout` (or `cancelled`, when the signal's reason says so).
 */
export async function evaluateJq(
  expression: string,
  scopes: Scopes,
  limits: JqLimits = {},
): Promise<unknown> {
  const timedOut = () =>
    new Problem('timeout', `jq did not finish \${ ${expression} } in time`, { extensions: { expression } });
  for (let requeues = 0; ; requeues++) {
    if (limits.signal?.aborted) throw abortProblem(limits.signal, timedOut);
    const w = await worker();
    // The signal may have aborted while the worker was got: its listener would never fire.
    if (limits.signal?.aborted) throw abortProblem(limits.signal, timedOut);
    const { id, done } = w.run(expression, scopes);
    const onAbort = () => w.end(abortProblem(limits.signal!, timedOut), id);
    limits.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => w.end(timedOut(), id), limits.maxMs ?? DEFAULT_MAX_MS);
    try {
      return await done;
    } catch (e) {
      if (e === REQUEUED) {
        if (requeues < MAX_REQUEUES) continue;
        throw timedOut();
      }
      if (e instanceof Problem) throw e;
      const stderr = (e as { stderr?: string }).stderr ?? (e as Error).message;
      throw new Problem('expression-error', `jq: ${firstLine(stderr)} in \${ ${expression} }`, {
        extensions: { expression },
      });
    } finally {
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function abortProblem(signal: AbortSignal, timedOut: () => Problem): Problem {
  const r: unknown = signal.reason;
  if (r instanceof Problem) return r;
  return timedOut();
}

const firstLine = (s: string) =>
  s
    .replace(/^jq: error(?: \(at [^)]*\))?: /, '')
    .split('\n')[0]!
    .trim();
