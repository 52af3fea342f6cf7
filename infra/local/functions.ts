/**
 * Lambda, locally: the same handler modules the CDK app deploys, imported on first use and called
 * with AWS-shaped events and a Lambda-like context. Counts invocations (the cost a bill would
 * follow) and can inject failures for chaos runs.
 */
import { bumpProgress } from './progress.ts';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionDecl, SystemDecl } from '../topology.ts';
import { runAs } from './function-context.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface ChaosOptions {
  /** Probability (0–1) that an invocation fails before the handler runs. */
  failureRate: number;
  random?: () => number;
}

/**
 * An invocation that failed before the handler ran, as when Lambda itself fails a request: Step
 * Functions sees `Lambda.ServiceException` (which compiled machines retry), API Gateway a 5xx, an
 * event source or rule a failed delivery (which it retries).
 */
export class InjectedFailure extends Error {
  override name = 'Lambda.ServiceException';
}

export class LocalFunctions {
  readonly #decls: Map<string, FunctionDecl>;
  readonly #loaded = new Map<string, Promise<Handler>>();
  readonly invocations = new Map<string, number>();
  readonly errors = new Map<string, number>();
  /** Invocations that ran past their declared timeout (Lambda would have ended them: Sandbox.Timedout). */
  readonly overruns = new Map<string, number>();
  /**
   * Billed duration per function: the handler's wall time, rounded up to the millisecond, as
   * Lambda bills it (module loading excluded). Noisy on a loaded machine: a figure, not a count.
   */
  readonly billedMs = new Map<string, number>();
  chaos: ChaosOptions | undefined;
  /**
   * Each function's environment (what the synthesized template gives it, plus what the Lambda
   * service sets); once set, every invocation runs with exactly its own (function-context.ts).
   */
  #environments: ((name: string) => Record<string, string>) | undefined;
  readonly #envCache = new Map<string, Record<string, string>>();

  constructor(
    private readonly system: SystemDecl,
    private readonly opts: {
      root: string;
      region: string;
      accountId: string;
      stage: string;
      /** Wall time for timeouts (Lambda's are wall time); injectable for tests. */
      now?: () => number;
    },
  ) {
    this.#decls = new Map(system.functions.map((f) => [f.name, f]));
  }

  arn(name: string): string {
    return `arn:aws:lambda:${this.opts.region}:${this.opts.accountId}:function:${this.deployedName(name)}`;
  }

  deployedName(name: string): string {
    return `${this.opts.stage}-${name}`;
  }

  /** Accepts a logical name, a deployed name, or a function ARN (with or without qualifier). */
  resolveName(nameOrArn: string): string {
    let n = nameOrArn;
    const m = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(:.+)?$/.exec(n);
    if (m) n = m[1]!;
    if (this.#decls.has(n)) return n;
    const prefix = `${this.opts.stage}-`;
    if (n.startsWith(prefix) && this.#decls.has(n.slice(prefix.length))) return n.slice(prefix.length);
    throw Object.assign(new Error(`Function not found: ${nameOrArn}`), { name: 'ResourceNotFoundException' });
  }

  has(nameOrArn: string): boolean {
    try {
      this.resolveName(nameOrArn);
      return true;
    } catch {
      return false;
    }
  }

  setEnvironments(environmentOf: (name: string) => Record<string, string>): void {
    this.#environments = environmentOf;
    this.#envCache.clear();
  }

  /** Forgets the computed environments: the next invocation of each function reads its own again. */
  resetEnvironments(): void {
    this.#envCache.clear();
  }

  /** The environment `name` runs with (undefined: the process's own, before `setEnvironments`). */
  environment(name: string): Record<string, string> | undefined {
    if (!this.#environments) return undefined;
    let e = this.#envCache.get(name);
    if (!e) this.#envCache.set(name, (e = this.#environments(name)));
    return e;
  }

  /**
   * Runs `fn` as function `name`: its environment, its credentials (and so its IAM grants). The
   * runtime's stand-ins for a function (the fleet pass, D191) run as it through this.
   */
  asFunction<T>(name: string, fn: () => T): T {
    const env = this.environment(name);
    return env ? runAs({ principal: `function/${name}`, env }, fn) : fn();
  }

  private load(name: string): Promise<Handler> {
    let p = this.#loaded.get(name);
    if (!p) {
      const decl = this.#decls.get(name)!;
      p = this.asFunction(name, () => import(pathToFileURL(resolve(this.opts.root, decl.entry)).href)).then(
        (m: { handler?: Handler }) => {
          if (typeof m.handler !== 'function') throw new Error(`${decl.entry} does not export a handler`);
          return m.handler;
        },
      );
      this.#loaded.set(name, p);
      p.catch(() => this.#loaded.delete(name));
    }
    return p;
  }

  /** Loads every handler now, so the first request does not pay for module loading. */
  async warm(): Promise<void> {
    await Promise.all([...this.#decls.keys()].map((n) => this.load(n)));
  }

  async invoke(nameOrArn: string, event: unknown): Promise<unknown> {
    const name = this.resolveName(nameOrArn);
    const decl = this.#decls.get(name)!;
    this.invocations.set(name, (this.invocations.get(name) ?? 0) + 1);
    bumpProgress(`invoke ${name}`);
    const handler = await this.load(name);
    if (this.chaos && (this.chaos.random ?? Math.random)() < this.chaos.failureRate) {
      this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
      throw new InjectedFailure(`chaos: injected failure in ${name}`);
    }
    const now = this.opts.now ?? Date.now;
    const t0 = performance.now();
    const deadline = now() + decl.timeoutSeconds * 1000;
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: this.deployedName(name),
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arn(name),
      memoryLimitInMB: String(decl.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${this.deployedName(name)}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    try {
      return await this.asFunction(name, () => handler(event, context));
    } catch (e) {
      this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
      throw e;
    } finally {
      bumpProgress();
      this.billedMs.set(name, (this.billedMs.get(name) ?? 0) + Math.ceil(performance.now() - t0));
      const over = now() - deadline;
      if (over > 0) {
        const n = (this.overruns.get(name) ?? 0) + 1;
        this.overruns.set(name, n);
        // The local runtime cannot stop a handler; say so once per function, count the rest.
        if (n === 1)
          console.warn(
            `[lambda] ${name} ran ${over} ms past its ${decl.timeoutSeconds} s timeout (on AWS it would have been ended: Sandbox.Timedout); /local/stats counts these`,
          );
      }
    }
  }

  /** GB-seconds per function: declared memory × billed duration. */
  gbSeconds(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, ms] of this.billedMs)
      out[name] = (this.#decls.get(name)!.memoryMb / 1024) * (ms / 1000);
    return out;
  }

  totalInvocations(): number {
    let n = 0;
    for (const v of this.invocations.values()) n += v;
    return n;
  }
}
