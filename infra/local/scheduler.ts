/**
 * EventBridge schedules, locally, on the controllable clock: a rule declared "every 60 s" fires
 * every 60 s of virtual time (100 ms of real time at accelerated:600). Ticks never overlap. The
 * schedules are checked often in real time and fire when their period has passed in the clock's
 * time, so a clock whose rate changes (the local runtime slows time while work is in flight) keeps
 * them on its own time.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/domain/clock.ts';
import type { ScheduleTrigger, SystemDecl } from '../topology.ts';
import type { LocalFunctions } from './functions.ts';

interface Schedule {
  functionName: string;
  trigger: ScheduleTrigger;
  running: boolean;
  /** Virtual time of the last tick. */
  lastAt?: number;
}

/** A tick of the local runtime itself (not a declared function), on the same clock. */
interface LocalTick {
  name: string;
  everySeconds: number;
  run: () => Promise<unknown>;
  running: boolean;
  lastAt?: number;
}

export class LocalScheduler {
  readonly schedules: Schedule[];
  readonly local: LocalTick[] = [];
  ticks = 0;

  constructor(
    system: SystemDecl,
    private readonly fns: LocalFunctions,
    private readonly opts: {
      clock: Clock;
      realDelayMs: (virtualMs: number) => number;
      region: string;
      accountId: string;
      /** How often (real ms) the schedules are checked (default 25). */
      checkEveryMs?: number;
    },
  ) {
    this.schedules = system.functions.flatMap((f) =>
      f.triggers
        // A schedule the runtime stands in for itself (its `localStandIn`) is not invoked here.
        .filter((t): t is ScheduleTrigger => t.kind === 'schedule' && !t.localStandIn)
        .map((trigger) => ({ functionName: f.name, trigger, running: false })),
    );
  }

  #timer?: NodeJS.Timeout;

  /**
   * Runs `run` every `everySeconds` of the clock's time, like a schedule, for what the runtime
   * itself does on the clock (the fleet pass stands in for the stage's scheduled fleet function).
   * Not counted in `ticks` (those are scheduled function invocations, a bill count).
   */
  addLocal(name: string, everySeconds: number, run: () => Promise<unknown>): void {
    this.local.push({ name, everySeconds, run, running: false });
  }

  start(): void {
    const now = this.opts.clock.now();
    for (const s of [...this.schedules, ...this.local]) s.lastAt ??= now; // the first tick comes one period after the start
    // A stopped (manual) clock ticks only when advanced (fireDue after each jump).
    if (!Number.isFinite(this.opts.realDelayMs(1000))) return;
    this.#timer = setInterval(() => void this.fireDue(), this.opts.checkEveryMs ?? 25);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Fires every schedule now, waiting for the ticks to finish. */
  async fireAll(): Promise<void> {
    await Promise.all([
      ...this.schedules.map((s) => this.fire(s)),
      ...this.local.map((t) => this.fireLocal(t)),
    ]);
  }

  /**
   * After a clock jump: fires (once) each schedule whose period has passed since its last tick,
   * as EventBridge would have by then. A jump of a few seconds fires nothing; one of an hour
   * fires one tick, not sixty (ticks are level-triggered, one catches up on everything).
   */
  async fireDue(): Promise<void> {
    const now = this.opts.clock.now();
    await Promise.all([
      ...this.schedules
        .filter((s) => s.lastAt === undefined || now - s.lastAt >= s.trigger.everySeconds * 1000)
        .map((s) => this.fire(s)),
      ...this.local
        .filter((t) => t.lastAt === undefined || now - t.lastAt >= t.everySeconds * 1000)
        .map((t) => this.fireLocal(t)),
    ]);
  }

  private async fireLocal(t: LocalTick): Promise<void> {
    if (t.running) return;
    t.running = true;
    t.lastAt = this.opts.clock.now();
    try {
      await t.run();
    } catch (e) {
      console.error(`[tick] ${t.name} failed: ${(e as Error).message}`);
    } finally {
      t.running = false;
    }
  }

  private async fire(s: Schedule): Promise<void> {
    if (s.running) return;
    s.running = true;
    s.lastAt = this.opts.clock.now();
    this.ticks++;
    try {
      await this.fns.invoke(s.functionName, {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: this.opts.accountId,
        time: new Date(this.opts.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.opts.region,
        resources: [`arn:aws:events:${this.opts.region}:${this.opts.accountId}:rule/${s.trigger.rule}`],
        detail: {},
      });
    } catch (e) {
      console.error(`[schedule] ${s.trigger.rule} → ${s.functionName} failed: ${(e as Error).message}`);
    } finally {
      s.running = false;
    }
  }
}
