/**
 * Waiting in the clock's time. Under the system clock a second is a second; under an accelerated
 * clock it is 1/factor of one; under a manual clock the wait ends when someone advances the
 * clock past the deadline. Aborting the signal rejects with the signal's reason.
 */
import { type Clock, ManualClock, ScaledClock } from './clock.ts';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export function sleeperFor(clock: Clock, pollMs = 5): Sleep {
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
      if (clock instanceof ManualClock) {
        const until = clock.now() + ms;
        const poll = () => {
          if (clock.now() >= until) done();
          else timer = setTimeout(poll, pollMs);
        };
        poll();
        return;
      }
      const real = clock instanceof ScaledClock ? clock.realDelay(ms) : ms;
      timer = setTimeout(done, real);
    });
}
