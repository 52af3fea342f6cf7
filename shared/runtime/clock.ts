/**
 * The clock handlers use. In AWS it is the system clock. The local runtime installs its
 * controllable clock here (same process), and a child process (the job task) inherits it through
 * LCM_CLOCK, so an eight-hour exam can pass in seconds everywhere at once.
 */
import { type Clock, clockFromSpec, parseClockSpec } from '../domain/clock.ts';
import { envOptional } from './env.ts';

let current: Clock | undefined;

export function runtimeClock(): Clock {
  current ??= clockFromSpec(parseClockSpec(envOptional('clock')));
  return current;
}

export function setRuntimeClock(clock: Clock): void {
  current = clock;
}
