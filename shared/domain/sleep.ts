/**
 * Waiting in the clock's time. Under the system clock a second is a second; under an accelerated
 * clock it is 1/factor of one; under a manual clock the wait ends when someone advances the
 * clock past the deadline. Aborting the signal rejects with the signal's reason.
 */
import { type Clock, ManualClock, ScaledClock, type TimerKind } from './clock.ts';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * A deadline for I/O (a step's timeout): the clock's time, but never less wall time than
 * `min(ms, realFloorMs)`. Accelerating the clock speeds up waiting; it cannot make a device
 * answer faster, so an accelerated 30 s timeout must not fire after 50 ms of real time.
 */
export function deadlineFor(clock: Clock, realFloorMs: number): Sleep {
  const sleep = sleeperFor(clock, 100, 'deadline');
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
 * A clock-time wait. On a manual clock it is a timer of `kind` that the clock fires when someone
 * moves it past the end (no polling: hundreds of waits cost nothing while the clock stands); a
 * scaled clock is waited on in real time at its current rate and checked again on waking, at
 * least every `recheckMs`, so a wait neither ends early nor overstays when the rate changes.
 */
export function sleeperFor(clock: Clock, recheckMs = 100, kind: TimerKind = 'wake'): Sleep {
  return (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let timer: ReturnType<typeof setTimeout>;
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      let cancel: (() => void) | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        cancel?.();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (clock instanceof ManualClock) {
        cancel = clock.schedule(clock.now() + ms, done, kind);
        return;
      }
      if (!(clock instanceof ScaledClock)) {
        timer = setTimeout(done, ms);
        return;
      }
      const until = clock.now() + ms;
      const wake = () => {
        const left = until - clock.now();
        if (left <= 0) return done();
        timer = setTimeout(wake, Math.max(1, Math.min(recheckMs, clock.realDelay(left))));
      };
      wake();
    });
}
