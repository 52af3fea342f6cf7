import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2Workers } from '../../../shared/adapters/ec2.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { startEc2Endpoint, type Ec2Endpoint } from '../../../infra/local/ec2-endpoint.ts';
import { Ec2Simulator } from '../../../infra/local/sim/ec2-sim.ts';
import { templates } from '../fleet/fixtures.ts';

const MIN = 60_000;
const clock = new ManualClock('2026-12-01T06:00:00Z');
const sim = new Ec2Simulator(clock, {
  transition_ms: MIN,
  cml_boot_ms: 10 * MIN,
  instance_limit: 3,
  capacity: { 'm5.4xlarge': 1 },
});
let endpoint: Ec2Endpoint;
let ec2: Ec2Workers;
const saved = { ...process.env };

beforeAll(async () => {
  endpoint = await startEc2Endpoint(sim);
  // The real client, pointed at the local endpoint only by the SDK's standard variable.
  process.env.AWS_ENDPOINT_URL_EC2 = endpoint.url;
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  ec2 = new Ec2Workers(new EC2Client({ maxAttempts: 1 }), 'dev');
});
afterAll(async () => {
  process.env = saved;
  await endpoint.close();
});

const spec = (worker_id: string, template = templates[0]!) => ({
  worker_id,
  template,
  subnet_id: 'subnet-local',
  security_group_ids: ['sg-local'],
});

describe('the local EC2 endpoint (Query protocol) through the real @aws-sdk/client-ec2', () => {
  it('resolves an AMI by name pattern, newest first', async () => {
    expect(await ec2.resolveAmi('cml-2.8.*-x86_64')).toBe('ami-0c3a1c0000000281');
    await expect(ec2.resolveAmi('nothing-*')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('launches pending, runs after the transition on the virtual clock, CML answers after its boot', async () => {
    const i = await ec2.run(spec('wrk_1'));
    expect(i).toMatchObject({ state: 'pending', worker_id: 'wrk_1', template: 'cml-m5-2xlarge' });
    expect(i.private_ip).toMatch(/^10\.20\./);
    expect((await ec2.describe([i.instance_id])).get(i.instance_id)).toMatchObject({ state: 'pending' });
    clock.advance(MIN);
    expect((await ec2.describe([i.instance_id, 'i-unknown'])).get(i.instance_id)).toMatchObject({
      state: 'running',
    });
    expect(sim.cmlReady(i.instance_id)).toBe(false);
    clock.advance(10 * MIN);
    expect(sim.cmlReady(i.instance_id)).toBe(true);
    // The client token: asking again is the same instance.
    expect((await ec2.run(spec('wrk_1'))).instance_id).toBe(i.instance_id);
    expect(sim.instances.get(i.instance_id)!.tags).toEqual({
      Name: 'lcm-dev-wrk_1',
      'lcm:stage': 'dev',
      'lcm:worker-id': 'wrk_1',
      'lcm:template': 'cml-m5-2xlarge',
    });
    expect(sim.instances.get(i.instance_id)).toMatchObject({ subnet: 'subnet-local', groups: ['sg-local'] });
    expect(sim.instances.get(i.instance_id)!.public_ip).toBeUndefined();
  });

  it('describes an unknown id as absent, discovers by stage tag, stops, starts, tags and terminates', async () => {
    const [mine] = await ec2.discover();
    expect(mine).toMatchObject({ worker_id: 'wrk_1', state: 'running' });
    expect((await ec2.describe(['i-00000000000000bad'])).get('i-00000000000000bad')).toEqual({
      state: 'absent',
    });
    await ec2.stop(mine!.instance_id);
    expect((await ec2.describe([mine!.instance_id])).get(mine!.instance_id)!.state).toBe('stopping');
    clock.advance(MIN);
    expect((await ec2.describe([mine!.instance_id])).get(mine!.instance_id)!.state).toBe('stopped');
    await ec2.start(mine!.instance_id);
    expect((await ec2.describe([mine!.instance_id])).get(mine!.instance_id)!.state).toBe('pending');
    await ec2.tag(mine!.instance_id, { owner: 'ops' });
    expect(sim.instances.get(mine!.instance_id)!.tags.owner).toBe('ops');
    await ec2.terminate(mine!.instance_id);
    expect((await ec2.describe([mine!.instance_id])).get(mine!.instance_id)!.state).toBe('shutting-down');
    clock.advance(MIN);
    expect(await ec2.discover()).toEqual([]);
    await expect(ec2.start(mine!.instance_id)).rejects.toMatchObject({
      kind: 'invalid',
      code: 'IncorrectInstanceState',
    });
  });

  it("answers EC2's real error codes: capacity, instance limit, unknown instance", async () => {
    await ec2.run(spec('wrk_big1', templates[1]!));
    await expect(ec2.run(spec('wrk_big2', templates[1]!))).rejects.toMatchObject({
      kind: 'capacity',
      code: 'InsufficientInstanceCapacity',
    });
    await ec2.run(spec('wrk_2'));
    await ec2.run(spec('wrk_3'));
    await expect(ec2.run(spec('wrk_4'))).rejects.toMatchObject({
      kind: 'limit',
      code: 'InstanceLimitExceeded',
    });
    await expect(ec2.stop('i-00000000000000bad')).rejects.toMatchObject({
      kind: 'not_found',
      code: 'InvalidInstanceID.NotFound',
    });
    await expect(ec2.terminate('i-00000000000000bad')).resolves.toBeUndefined();
    expect(endpoint.calls).toContain('RunInstances');
  });
});
