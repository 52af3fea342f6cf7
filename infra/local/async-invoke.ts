/**
 * Lambda's asynchronous invocation, locally (InvocationType `Event`): the event is queued, the
 * function runs, and an error is retried as the function's EventInvokeConfig in the synthesized
 * template says (MaximumRetryAttempts, MaximumEventAgeInSeconds), one minute after the first
 * attempt and two after the second, as Lambda does. What still fails, or grows older than the
 * maximum age before its retry, becomes a dead letter shaped as Lambda's on-failure destination
 * record (requestContext, requestPayload, responseContext, responsePayload): what the SQS
 * on-failure queue would receive, listed at `GET /local/dead-letters` (`async`) and redriven by the
 * same logic as `lcm ops redrive` (D190). Waits are timers of the runtime's clock: on a manual
 * clock a retry happens only when the clock is moved past it.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/domain/clock.ts';
import { sleeperFor } from '../../shared/domain/sleep.ts';
import type { AsyncInvokeConfig } from './template.ts';
import { bumpProgress } from './progress.ts';

/** Lambda's on-failure destination record (the SQS message body). */
export interface AsyncDeadLetter {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetriesExhausted' | 'EventAgeExceeded';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string };
}

/** A dead letter as the local runtime keeps it: the record, and the destination it was sent to. */
export interface LocalAsyncDeadLetter {
  /** The on-failure destination (queue ARN) of the function; absent: Lambda would drop the event. */
  destination?: string;
  /** The message id a queue would give it (redrive deletes by it). */
  messageId: string;
  record: AsyncDeadLetter;
}

/** Lambda's defaults for a function without an EventInvokeConfig. */
export const LAMBDA_ASYNC_DEFAULTS: AsyncInvokeConfig = {
  maximumRetryAttempts: 2,
  maximumEventAgeSeconds: 21_600,
};
/** Lambda waits one minute before the first retry and two before the second. */
export const RETRY_DELAYS_MS = [60_000, 120_000];

export class LocalAsyncInvoker {
  readonly deadLetters: LocalAsyncDeadLetter[] = [];
  stats = { received: 0, succeeded: 0, retried: 0, deadLettered: 0 };
  #running = 0;
  readonly #timers = new Set<() => void>();
  #closed = false;

  constructor(
    private readonly deps: {
      invoke: (name: string, payload: unknown) => Promise<unknown>;
      /** The function's ARN (`arn:aws:lambda:…:function:<deployed name>`). */
      arn: (name: string) => string;
      /** The function's EventInvokeConfig from the template; undefined: Lambda's defaults. */
      config: (name: string) => AsyncInvokeConfig | undefined;
      clock: Clock;
    },
  ) {}

  /** Attempts running now (the runtime is not quiet while one runs; a retry's wait is a timer). */
  get running(): number {
    return this.#running;
  }

  /** Retries waiting for their time. */
  get waiting(): number {
    return this.#timers.size;
  }

  /** Queues `payload` for `name` (Lambda answered 202 already). */
  invoke(name: string, payload: unknown): void {
    this.stats.received++;
    const config = this.deps.config(name) ?? LAMBDA_ASYNC_DEFAULTS;
    const requestId = randomUUID();
    const receivedAt = this.deps.clock.now();
    let attempts = 0;
    const attempt = async () => {
      if (this.#closed) return;
      attempts++;
      this.#running++;
      let error: Error | undefined;
      try {
        await this.deps.invoke(name, payload);
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      } finally {
        this.#running--;
        bumpProgress();
      }
      if (!error) {
        this.stats.succeeded++;
        return;
      }
      const deadLetter = (condition: AsyncDeadLetter['requestContext']['condition']) => {
        this.stats.deadLettered++;
        this.deadLetters.push({
          ...(config.onFailure ? { destination: config.onFailure } : {}),
          messageId: randomUUID(),
          record: {
            version: '1.0',
            timestamp: new Date(this.deps.clock.now()).toISOString(),
            requestContext: {
              requestId,
              functionArn: `${this.deps.arn(name)}:$LATEST`,
              condition,
              approximateInvokeCount: attempts,
            },
            requestPayload: payload,
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
            responsePayload: { errorType: error.name || 'Error', errorMessage: error.message },
          },
        });
        console.warn(
          `[lambda] async ${name} failed ${attempts} time(s) (${condition}): dead letter${config.onFailure ? ` to ${config.onFailure}` : ' (no destination: Lambda drops it)'}`,
        );
      };
      if (attempts > config.maximumRetryAttempts) return deadLetter('RetriesExhausted');
      const delay = RETRY_DELAYS_MS[Math.min(attempts - 1, RETRY_DELAYS_MS.length - 1)]!;
      const dueAt = this.deps.clock.now() + delay;
      this.stats.retried++;
      this.#after(dueAt, () => {
        // An event older than the maximum age when its retry is due is not run again.
        if (this.deps.clock.now() - receivedAt > config.maximumEventAgeSeconds * 1000)
          return deadLetter('EventAgeExceeded');
        void attempt();
      });
    };
    setImmediate(() => void attempt());
  }

  /** Removes a dead letter (redriven); false when it is not there. */
  remove(messageId: string): boolean {
    const i = this.deadLetters.findIndex((d) => d.messageId === messageId);
    if (i < 0) return false;
    this.deadLetters.splice(i, 1);
    return true;
  }

  close(): void {
    this.#closed = true;
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
  }

  /** Fires at the clock's `at` (a clock-time wait, `sleeperFor`); `close` cancels it. */
  #after(at: number, fire: () => void): void {
    const abort = new AbortController();
    const cancel = () => abort.abort();
    this.#timers.add(cancel);
    sleeperFor(this.deps.clock)(at - this.deps.clock.now(), abort.signal).then(
      () => {
        this.#timers.delete(cancel);
        if (!this.#closed) fire();
      },
      () => this.#timers.delete(cancel),
    );
  }
}
