/**
 * API Gateway's throttles, locally (issue 16, finding 1: the public health route shared the
 * stage's throttle). Each route has a token bucket: its own route setting, else the stage's
 * default route setting, both read from the synthesized template's stage; refilled in real time.
 */
import { describe, expect, it } from 'vitest';
import { createLocalApi } from '../../../infra/local/api-server.ts';
import type { LocalFunctions } from '../../../infra/local/functions.ts';
import { system } from '../../../infra/system.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { synthesize } from '../../../infra/local/synth.ts';

function api(now: { t: number }) {
  const invoked: string[] = [];
  const fns = {
    invoke: async (name: string) => {
      invoked.push(name);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' };
    },
  } as unknown as LocalFunctions;
  const local = createLocalApi({
    system,
    fns,
    clock: new ManualClock(Date.parse('2026-12-01T09:00:00Z')),
    accountId: '000000000000',
    throttles: {
      default: { rateLimit: 200, burstLimit: 400 },
      routes: { 'GET /v1/health': { rateLimit: 10, burstLimit: 20 } },
    },
    realNow: () => now.t,
  });
  return { local, invoked };
}

describe('the local API throttles as API Gateway does', () => {
  it('the health route has a bucket of its own: a burst beyond it is 429, other routes still answer, and it refills at its rate', async () => {
    const now = { t: 1_000_000 };
    const { local, invoked } = api(now);
    const health = () => local.dispatch({ method: 'GET', url: '/v1/health', headers: {} });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await health()).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
    const refused = await health();
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body!.toString())).toMatchObject({ type: 'urn:lcm:problem:too-many-requests' });
    // A throttled request reaches no function.
    expect(invoked).toHaveLength(20);
    // The flood of health checks did not touch the catalogue's bucket.
    expect((await local.dispatch({ method: 'GET', url: '/v1/forms', headers: {} })).status).toBe(200);
    // 0.5 s later, five tokens (10/s) are back, not more.
    now.t += 500;
    const after: number[] = [];
    for (let i = 0; i < 7; i++) after.push((await health()).status);
    expect(after).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it('a route without its own setting gets the stage default, per route', async () => {
    const now = { t: 0 };
    const { local } = api(now);
    const statuses: number[] = [];
    for (let i = 0; i < 401; i++)
      statuses.push((await local.dispatch({ method: 'GET', url: '/v1/forms', headers: {} })).status);
    expect(statuses.filter((s) => s === 429)).toEqual([429]);
    expect(statuses[400]).toBe(429);
  });

  it('the runtime takes the throttles from the synthesized stage (default and route settings), no second list', async () => {
    const { profiles } = await synthesize({ stage: 'dev', account: '000000000000', region: 'eu-west-1' });
    expect(profiles.api.throttles.default).toEqual({ rateLimit: 200, burstLimit: 400 });
    expect(profiles.api.throttles.routes['GET /v1/health']).toEqual({ rateLimit: 10, burstLimit: 20 });
    expect(profiles.api.throttles.routes['GET /v1/health/deep']).toEqual({ rateLimit: 2, burstLimit: 5 });
  }, 240_000);
});
