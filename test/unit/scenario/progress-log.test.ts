import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { sleeperFor } from '../../../shared/domain/sleep.ts';
import type { JobProgress } from '../../../shared/scenario/executor.ts';
import {
  PROGRESS_EVERY_MS,
  PROGRESS_MAX_PENDING,
  ProgressLog,
  progressFields,
  type ProgressOutcome,
} from '../../../shared/scenario/progress-log.ts';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');

function setUp(opts: { failWrites?: number } = {}) {
  const clock = new ManualClock(T0);
  const writes: ProgressOutcome[][] = [];
  let failures = opts.failWrites ?? 0;
  const log = new ProgressLog({
    now: () => clock.now(),
    sleep: sleeperFor(clock),
    since: clock.now(),
    redact: (o) => ({ ...o, step_id: o.step_id.replace('s3cret', '****') }),
    write: async (batch) => {
      if (failures > 0) {
        failures--;
        throw new Error('throttled');
      }
      writes.push(batch);
    },
  });
  return { clock, writes, log };
}

const step = (i: number, status: JobProgress['status'] = 'succeeded', attempt = 1): JobProgress => ({
  step_index: i,
  steps_total: 9,
  step_id: `s${i}`,
  status,
  attempt,
});
const settle = () => new Promise((r) => setImmediate(r));

describe('a job’s step outcomes are written in batches (D232)', () => {
  it('outcomes within a second of the claim wait, and the final write takes them all, in order and numbered', async () => {
    const { clock, writes, log } = setUp();
    for (let i = 0; i < 9; i++) await log.add(step(i));
    expect(writes).toEqual([]);
    expect(clock.pending).toBe(1); // one trailing write is due, not one per outcome
    const rest = await log.drain();
    expect(rest.map((o) => [o.seq, o.step_id, o.steps_completed])).toEqual(
      Array.from({ length: 9 }, (_, i) => [i + 1, `s${i}`, i + 1]),
    );
    expect(rest.every((o) => o.at === '2026-12-03T10:00:00.000Z')).toBe(true);
    expect(clock.pending).toBe(0);
    clock.advance(10 * PROGRESS_EVERY_MS);
    await settle();
    expect(writes).toEqual([]);
  });

  it('an outcome a second or more after the last write is written at once, with those that waited', async () => {
    const { clock, writes, log } = setUp();
    await log.add(step(0));
    clock.advance(PROGRESS_EVERY_MS - 1);
    await log.add(step(1));
    expect(writes).toEqual([]);
    clock.advance(1); // exactly a second since the claim: the timer fires and writes both
    await settle();
    expect(writes.map((b) => b.map((o) => o.seq))).toEqual([[1, 2]]);
    clock.advance(PROGRESS_EVERY_MS);
    await log.add(step(2));
    expect(writes.map((b) => b.map((o) => o.seq))).toEqual([[1, 2], [3]]);
    expect(await log.drain()).toEqual([]);
  });

  it('a slow step after fast ones: those waiting are written a second after the last write, not at the job’s end', async () => {
    const { clock, writes, log } = setUp();
    clock.advance(PROGRESS_EVERY_MS);
    await log.add(step(0)); // written at once
    clock.advance(10);
    await log.add(step(1, 'failed'));
    await log.add(step(1, 'retrying', 1));
    expect(writes.map((b) => b.map((o) => o.status))).toEqual([['succeeded']]);
    clock.advance(PROGRESS_EVERY_MS - 11);
    await settle();
    expect(writes).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(writes.map((b) => b.map((o) => o.status))).toEqual([['succeeded'], ['failed', 'retrying']]);
  });

  it(`at most ${PROGRESS_MAX_PENDING} outcomes wait: the next is written at once with them`, async () => {
    const { writes, log } = setUp();
    for (let i = 0; i < PROGRESS_MAX_PENDING - 1; i++) await log.add(step(i));
    expect(writes).toEqual([]);
    await log.add(step(PROGRESS_MAX_PENDING - 1));
    expect(writes.map((b) => b.length)).toEqual([PROGRESS_MAX_PENDING]);
    await log.add(step(PROGRESS_MAX_PENDING));
    expect(writes).toHaveLength(1);
    expect((await log.drain()).map((o) => o.seq)).toEqual([PROGRESS_MAX_PENDING + 1]);
  });

  it('a batch whose write fails is kept, ahead of later outcomes, for the next write', async () => {
    const { clock, writes, log } = setUp({ failWrites: 1 });
    clock.advance(PROGRESS_EVERY_MS);
    await log.add(step(0));
    expect(writes).toEqual([]);
    await log.add(step(1));
    expect((await log.drain()).map((o) => o.seq)).toEqual([1, 2]);
  });

  it('only finished steps count as completed; retries and failures are outcomes too', async () => {
    const { log } = setUp();
    await log.add(step(0, 'skipped'));
    await log.add(step(1, 'retrying'));
    await log.add(step(1, 'continued', 2));
    await log.add(step(2, 'failed'));
    expect((await log.drain()).map((o) => [o.status, o.steps_completed])).toEqual([
      ['skipped', 1],
      ['retrying', 1],
      ['continued', 2],
      ['failed', 2],
    ]);
  });

  it('each outcome passes through the redactor given', async () => {
    const { log } = setUp();
    await log.add({ ...step(0), step_id: 'login-s3cret' });
    expect((await log.drain())[0]!.step_id).toBe('login-****');
  });

  it('a write sets the latest outcome as `progress`, the batch, and the number of its last outcome', () => {
    const batch: ProgressOutcome[] = [
      { ...step(0), seq: 4, steps_completed: 3, at: 'a' },
      { ...step(1, 'retrying'), seq: 5, steps_completed: 3, at: 'b' },
    ];
    expect(progressFields(batch)).toEqual({
      progress: { ...step(1, 'retrying'), steps_completed: 3 },
      progress_outcomes: batch,
      progress_seq: 5,
    });
  });
});
