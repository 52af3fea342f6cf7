/**
 * Issue 17: the counts a lablet costs (what the AWS bill follows) stay within their recorded
 * budget (test/bench/session-budget.ts): Step Functions executions and state transitions, Lambda
 * invocations, items written to each table, DynamoDB write units, EventBridge entries. Counts, not
 * times: they do not depend on how busy the machine is. A change that adds a state, a write or
 * an event per session fails here; lower the budget when a change removes some.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../helpers/lablet-fleet.ts';
import { billPerLablet, type PerSession } from '../../helpers/session-bill.ts';
import { LABLET_BUDGET, LABLET_FLOOR } from '../../bench/session-budget.ts';
import { counts } from '../../bench/cost.bench.ts';

let fleet: Fleet;
let bill: PerSession;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  // Console ports apart from the chaos fleet's (10000 and up), which may run at the same time.
  fleet = await startFleet({ workers: 1, meter: true });
  bill = await billPerLablet(fleet, 2, 'budget');
}, 900_000);
afterAll(() => fleet?.stop());

describe('the bill per lablet session', () => {
  it('both lablets complete', () => {
    expect(bill.ended).toEqual(['completed', 'completed']);
  });

  it('every count is within its recorded budget, and no lower than its floor (the meter counts)', () => {
    const c = counts(bill);
    // Every count at once, so one run names every count out of its range.
    const out = (Object.keys(LABLET_BUDGET) as (keyof typeof LABLET_BUDGET)[])
      .filter((k) => c[k] > LABLET_BUDGET[k] || c[k] < LABLET_FLOOR[k])
      .map((k) => `${k} per lablet: ${c[k]} (floor ${LABLET_FLOOR[k]}, budget ${LABLET_BUDGET[k]})`);
    expect(out).toEqual([]);
  });

  it('Step Functions: exactly the budgeted transitions (the lifecycle is fixed; no retries)', () => {
    expect(bill.sfnRetries).toBe(0);
    expect(bill.sfnTransitions).toBe(LABLET_BUDGET.sfnTransitions);
    expect(bill.sfnExecutions).toBe(LABLET_BUDGET.sfnExecutions);
  });
});
