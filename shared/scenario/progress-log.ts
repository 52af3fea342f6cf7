/**
 * A running job's step outcomes, written in batches (D232). Each outcome is one
 * `job.progress` event, but not one write: outcomes that come less than `everyMs` of clock time
 * after the last progress write wait (at most `everyMs`, at most `maxPending` of them) and go
 * together in the next write, or in the job's final write. A job whose steps take a second or
 * more writes each outcome at once, as before; a job of fast steps writes a handful.
 *
 * Each outcome carries its sequence number in the run (`seq`, from 1) and its clock time. A write
 * records the batch it carries (`progress_outcomes`) and the last number written (`progress_seq`),
 * so the outbox announces exactly the outcomes a write added, whatever else the write changed.
 * Pure apart from the clock, the sleep and the write it is given.
 */
import { iso } from '../domain/clock.ts';
import type { JobProgress } from './executor.ts';

export interface ProgressOutcome extends JobProgress {
  /** The outcome's number in this run of the job, from 1. */
  seq: number;
  steps_completed: number;
  /** When the step reached this outcome (clock time, ISO 8601). */
  at: string;
}

export interface ProgressLogOptions {
  now(): number;
  /** Waits on the job's clock; rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Writes a batch (oldest first). A batch whose write throws is kept for the next write. */
  write(batch: ProgressOutcome[]): Promise<void>;
  /** Clock time of the last write of the job (its claim). */
  since: number;
  /** What every outcome passes through before it is kept (the run's secret redactor). */
  redact?: (o: ProgressOutcome) => ProgressOutcome;
  everyMs?: number;
  maxPending?: number;
}

/** At most one progress write a second of clock time while the steps are fast. */
export const PROGRESS_EVERY_MS = 1_000;
/** A batch holds at most this many outcomes (≈ 200 bytes each: the record stays small). */
export const PROGRESS_MAX_PENDING = 20;

/** The fields a progress write sets on the job record. */
export function progressFields(batch: ProgressOutcome[]) {
  const last = batch.at(-1)!;
  const { seq: _s, at: _a, ...progress } = last;
  return { progress, progress_outcomes: batch, progress_seq: last.seq };
}

export class ProgressLog {
  private pending: ProgressOutcome[] = [];
  private seq = 0;
  private completed = 0;
  private lastWrite: number;
  private inflight: Promise<void> = Promise.resolve();
  private timer: AbortController | undefined;
  private readonly everyMs: number;
  private readonly maxPending: number;

  constructor(private readonly o: ProgressLogOptions) {
    this.lastWrite = o.since;
    this.everyMs = o.everyMs ?? PROGRESS_EVERY_MS;
    this.maxPending = o.maxPending ?? PROGRESS_MAX_PENDING;
  }

  /** Records one outcome; resolves once it is written when it is written at once. */
  add(p: JobProgress): Promise<void> {
    if (p.status === 'succeeded' || p.status === 'skipped' || p.status === 'continued') this.completed++;
    const now = this.o.now();
    const outcome = { ...p, steps_completed: this.completed, seq: ++this.seq, at: iso(now) };
    this.pending.push(this.o.redact ? this.o.redact(outcome) : outcome);
    if (now - this.lastWrite >= this.everyMs || this.pending.length >= this.maxPending) return this.flush();
    if (!this.timer) {
      const timer = new AbortController();
      this.timer = timer;
      this.o.sleep(this.lastWrite + this.everyMs - now, timer.signal).then(
        () => {
          if (this.timer === timer) void this.flush();
        },
        () => undefined,
      );
    }
    return Promise.resolve();
  }

  /** Writes what waits now (after any write under way). */
  flush(): Promise<void> {
    this.stopTimer();
    const batch = this.pending.splice(0);
    if (!batch.length) return this.inflight;
    this.lastWrite = this.o.now();
    this.inflight = this.inflight.then(() =>
      this.o.write(batch).catch(() => {
        // Kept for the next write (the job's final write at the latest), in order.
        this.pending.unshift(...batch);
      }),
    );
    return this.inflight;
  }

  /** For the job's final write: no more timed writes; answers the outcomes not yet written. */
  async drain(): Promise<ProgressOutcome[]> {
    this.stopTimer();
    await this.inflight;
    return this.pending.splice(0);
  }

  private stopTimer() {
    this.timer?.abort();
    this.timer = undefined;
  }
}
