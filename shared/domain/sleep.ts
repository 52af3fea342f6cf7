/**
 * Waiting in the clock's time. Under the system clock a second is a second; under an accelerated
 * clock it is 1/factor of one; under a manual clock the wait ends when someone advances the
 * clock past the deadline. Aborting the signal rejects with the signal's reason.
 */
import { type Clock, ManualClock, ScaledClock } from './clock.ts';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * A deadline for I/O (a step's timeout): the clock's time, but never less wall time than
 * `min(ms, realFloorMs)`. Accelerating the clock speeds up waiting; it cannot make a device
 * answer faster, so an accelerated 30 s timeout must not fire after 50 ms of real time.
 */
export function deadlineFor(clock: Clock, realFloorMs: number, pollMs = 5): Sleep {
  const sleep = sleeperFor(clock, pollMs);
  return async (ms, signal) => {
    const floor = new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(resolve, Math.min(ms, realFloorMs));
      signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
    });
    await Promise.all([sleep(ms, signal), floor]);
  };
}

/**
 * A clock-time wait. A manual clock is polled (it moves only when someone advances it); a scaled
 * clock is waited on in real time at its current rate and checked again on waking, at least every
 * `recheckMs`, so a wait neither ends early nor overstays when the rate changes meanwhile.
 */
export function sleeperFor(clock: Clock, pollMs = 5, recheckMs = 100): Sleep {
  return (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let timer: ReturnType<typeof setTimeout>;
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!(clock instanceof ManualClock) && !(clock instanceof ScaledClock)) {
        timer = setTimeout(done, ms);
        return;
      }
      const until = clock.now() + ms;
      const wake = () => {
        const left = until - clock.now();
        if (left <= 0) return done();
        timer = setTimeout(
          wake,
          clock instanceof ScaledClock ? Math.max(1, Math.min(recheckMs, clock.realDelay(left))) : pollMs,
        );
      };
      wake();
    });
}
