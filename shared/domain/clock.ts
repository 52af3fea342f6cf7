/**
 * Time is a parameter. The domain never reads the system clock; it receives a Clock.
 * `now()` returns epoch milliseconds.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * What a timer on a manual clock is for. A `wake` ends a wait that is part of the work (a poll's
 * pause, a backoff, a job's `pause@v1`); a `deadline` gives up on work that has not answered (a
 * step or task timeout, a missed heartbeat). A driver that moves the clock while work is in
 * flight moves it to the next wake, and past a deadline only when nothing else can happen
 * (test/helpers/lablet-fleet.ts, D146).
 */
export type TimerKind = 'wake' | 'deadline';

interface ManualTimer {
  at: number;
  kind: TimerKind;
  fire: () => void;
}

/**
 * A clock that stands still until told to move (unit tests, stepped local runs). Waits on it are
 * timers the clock fires when it is moved past them, in time order; it knows which are pending.
 */
export class ManualClock implements Clock {
  #t: number;
  readonly #timers = new Set<ManualTimer>();
  constructor(start: number | string | Date = Date.now()) {
    this.#t = toMillis(start);
  }
  now(): number {
    return this.#t;
  }
  set(t: number | string | Date): void {
    const next = toMillis(t);
    if (next < this.#t) throw new RangeError('a clock never runs backwards');
    this.#t = next;
    this.#fireDue();
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock never runs backwards');
    this.#t += ms;
    this.#fireDue();
  }
  /**
   * Calls `fire` once the clock reaches `at` (at once when it already has). Returns the
   * cancellation, which does nothing once the timer has fired.
   */
  schedule(at: number, fire: () => void, kind: TimerKind = 'wake'): () => void {
    if (at <= this.#t) {
      fire();
      return () => undefined;
    }
    const timer: ManualTimer = { at, kind, fire };
    this.#timers.add(timer);
    return () => void this.#timers.delete(timer);
  }
  /** When the earliest pending timer (of `kind`, or of either) is due; undefined when none is. */
  nextTimer(kind?: TimerKind): number | undefined {
    let next: number | undefined;
    for (const t of this.#timers)
      if ((!kind || t.kind === kind) && (next === undefined || t.at < next)) next = t.at;
    return next;
  }
  /** How many timers are pending. */
  get pending(): number {
    return this.#timers.size;
  }
  #fireDue(): void {
    const due = [...this.#timers].filter((t) => t.at <= this.#t).sort((a, b) => a.at - b.at);
    for (const t of due) {
      this.#timers.delete(t);
      t.fire();
    }
  }
}

/**
 * Wall time scaled by `factor` from an origin, plus any manual jumps: `accelerated:600` makes an
 * eight-hour exam pass in 48 s. `factor` 1 with no jumps is real time. The factor may change
 * (`setFactor`): time goes on from where it is at the new rate, never backwards.
 */
export class ScaledClock implements Clock {
  #realOrigin: number;
  #virtualOrigin: number;
  #factor: number;
  constructor(
    factor: number,
    virtualStart: number = Date.now(),
    private readonly real: () => number = Date.now,
  ) {
    if (!(factor > 0)) throw new RangeError(`clock factor must be > 0, got ${factor}`);
    this.#factor = factor;
    this.#realOrigin = real();
    this.#virtualOrigin = virtualStart;
  }
  get factor(): number {
    return this.#factor;
  }
  now(): number {
    return Math.floor(this.#virtualOrigin + (this.real() - this.#realOrigin) * this.#factor);
  }
  /** Jump forward (tests: "skip to the end of the timeslot"). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock never runs backwards');
    this.#virtualOrigin += ms;
  }
  /** Runs on from now at another rate (the local runtime slows time while work is in flight). */
  setFactor(factor: number): void {
    if (!(factor > 0)) throw new RangeError(`clock factor must be > 0, got ${factor}`);
    if (factor === this.#factor) return;
    const real = this.real();
    this.#virtualOrigin += (real - this.#realOrigin) * this.#factor;
    this.#realOrigin = real;
    this.#factor = factor;
  }
  /** Real milliseconds for `virtualMs` of virtual time to pass at the current rate. */
  realDelay(virtualMs: number): number {
    return Math.max(0, virtualMs / this.#factor);
  }
}

export type ClockSpec =
  | { kind: 'real' }
  | { kind: 'accelerated'; factor: number; start?: number }
  | { kind: 'manual'; start?: number };

/**
 * Parses `LCM_CLOCK`: `real` (default), `accelerated:<factor>[@<ISO now>]`, `manual[:<ISO start>]`.
 * The `@<ISO now>` form lets a child process continue its parent's virtual time.
 */
export function parseClockSpec(value: string | undefined): ClockSpec {
  if (!value || value === 'real') return { kind: 'real' };
  const [kind, arg] = splitOnce(value, ':');
  if (kind === 'accelerated') {
    const [f, at] = splitOnce(arg ?? '', '@');
    const factor = Number(f);
    if (!f || !Number.isFinite(factor) || factor <= 0)
      throw new RangeError(`LCM_CLOCK=accelerated:<factor> needs a positive factor, got "${arg}"`);
    if (at === undefined) return { kind: 'accelerated', factor };
    const start = Date.parse(at);
    if (Number.isNaN(start))
      throw new RangeError(`LCM_CLOCK=accelerated:<factor>@<ISO time> has a bad time "${at}"`);
    return { kind: 'accelerated', factor, start };
  }
  if (kind === 'manual') {
    if (!arg) return { kind: 'manual' };
    const start = Date.parse(arg);
    if (Number.isNaN(start)) throw new RangeError(`LCM_CLOCK=manual:<ISO time> has a bad time "${arg}"`);
    return { kind: 'manual', start };
  }
  throw new RangeError(`LCM_CLOCK must be real, accelerated:<factor> or manual[:<ISO time>], got "${value}"`);
}

export function clockFromSpec(spec: ClockSpec): Clock & { advance?(ms: number): void } {
  switch (spec.kind) {
    case 'real':
      return systemClock;
    case 'accelerated':
      return new ScaledClock(spec.factor, spec.start ?? Date.now());
    case 'manual':
      return new ManualClock(spec.start ?? Date.now());
  }
}

/** The LCM_CLOCK value that makes a child process continue `clock` from now. */
export function clockSpecForChild(spec: ClockSpec, clock: Clock): string {
  if (spec.kind === 'real') return 'real';
  if (spec.kind === 'manual') return `manual:${iso(clock.now())}`;
  // A clock whose rate changes hands the child its rate of the moment.
  const factor = clock instanceof ScaledClock ? clock.factor : spec.factor;
  return `accelerated:${factor}@${iso(clock.now())}`;
}

export function toMillis(t: number | string | Date): number {
  const ms = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : t.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`not a time: ${String(t)}`);
  return ms;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
