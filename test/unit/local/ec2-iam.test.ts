/**
 * The local EC2 endpoint checks IAM as AWS does (issue 13, D122 → D191): each Query request is
 * mapped to the actions, resource ARNs and condition keys AWS authorizes (RunInstances on the
 * instance, volume, image, subnet, security group and network interface, with aws:RequestTag;
 * CreateTags on create; iam:PassRole for the instance profile; Start/Stop/Terminate with
 * aws:ResourceTag) and evaluated against the synthesized template's statements for the caller.
 * The fleet reconciler, with its real grants and its template network, still launches and stops
 * its stage's workers; anything outside its grants is denied, naming function, action, resource.
 */
import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2Workers } from '../../../shared/adapters/ec2.ts';
import { ManualClock } from '../../../shared/domain/clock.ts';
import { startEc2Endpoint, type Ec2Endpoint } from '../../../infra/local/ec2-endpoint.ts';
import { Ec2Simulator } from '../../../infra/local/sim/ec2-sim.ts';
import { synthesizeCached } from '../../../infra/local/synth.ts';
import type { TemplateProfiles } from '../../../infra/local/template.ts';
import { principalsOf, type Principals } from '../../../infra/local/iam-endpoints.ts';
import { sessionToken } from '../../../infra/local/function-context.ts';
import { templates } from '../fleet/fixtures.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const MIN = 60_000;
const clock = new ManualClock('2026-12-01T06:00:00Z');
const sim = new Ec2Simulator(clock, { transition_ms: MIN, cml_boot_ms: 10 * MIN });
let endpoint: Ec2Endpoint;
let profiles: TemplateProfiles;
let principals: Principals;

beforeAll(async () => {
  profiles = await synthesizeCached({ stage: 'dev', account: ACCOUNT, region: REGION });
  principals = principalsOf(profiles);
  endpoint = await startEc2Endpoint(sim, 0, () => ({
    principals,
    region: REGION,
    account: ACCOUNT,
    instanceProfiles: profiles.instanceProfiles ?? {},
  }));
}, 240_000);
afterAll(() => endpoint?.close());

const client = (fn: string) =>
  new EC2Client({
    region: REGION,
    endpoint: endpoint.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x', sessionToken: sessionToken(`function/${fn}`) },
    maxAttempts: 1,
  });
/** The fleet reconciler's network, from its environment in the template. */
const network = () => {
  const e = profiles.functions['fleet-reconciler']!.environment;
  return {
    subnet_id: e.LCM_WORKER_SUBNETS!.split(',')[0]!,
    security_group_ids: e.LCM_WORKER_SECURITY_GROUPS!.split(','),
    instance_profile_arn: e.LCM_WORKER_INSTANCE_PROFILE_ARN!,
  };
};
const spec = (worker_id: string, over: Partial<ReturnType<typeof network>> = {}) => ({
  worker_id,
  template: templates[0]!,
  ...network(),
  ...over,
});

describe('the local EC2 endpoint authorizes each call as the caller role', () => {
  it("the fleet reconciler launches, stops and terminates its stage's workers with its template grants", async () => {
    const ec2 = new Ec2Workers(client('fleet-reconciler'), 'dev');
    const i = await ec2.run(spec('wrk_ok'));
    expect(i).toMatchObject({ state: 'pending', worker_id: 'wrk_ok' });
    clock.advance(MIN);
    sim.advance();
    await ec2.stop(i.instance_id);
    await ec2.terminate(i.instance_id);
    expect(principals.denials).toEqual([]);
    expect(principals.calls['function/fleet-reconciler']).toBeGreaterThanOrEqual(4);
  });

  it('RunInstances into a subnet or security group the template does not grant is denied on that resource', async () => {
    const ec2 = new Ec2Workers(client('fleet-reconciler'), 'dev');
    await expect(ec2.run(spec('wrk_s', { subnet_id: 'subnet-0other' }))).rejects.toMatchObject({
      kind: 'denied',
      message: expect.stringMatching(
        /\(function\/fleet-reconciler\) is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:000000000000:subnet\/subnet-0other/,
      ),
    });
    await expect(ec2.run(spec('wrk_g', { security_group_ids: ['sg-0open'] }))).rejects.toMatchObject({
      message: expect.stringContaining(
        'ec2:RunInstances on resource: arn:aws:ec2:us-east-1:000000000000:security-group/sg-0open',
      ),
    });
    expect(sim.describe({ tags: { 'lcm:worker': ['wrk_s'] } })).toEqual([]);
  });

  it("a launch tagged for another stage is denied (aws:RequestTag), and another stage's instance cannot be stopped or terminated (aws:ResourceTag)", async () => {
    await expect(new Ec2Workers(client('fleet-reconciler'), 'prod').run(spec('wrk_x'))).rejects.toMatchObject(
      {
        kind: 'denied',
        message: expect.stringMatching(
          /ec2:RunInstances on resource: arn:aws:ec2:us-east-1:000000000000:instance\/\*/,
        ),
      },
    );
    // Launched by someone else (no session token: admin) for the prod stage.
    const prod = sim.run({
      image: 'ami-0c3a1c0000000281',
      type: 'm5.2xlarge',
      groups: [],
      tags: { 'lcm:stage': 'prod' },
    });
    const ec2 = new Ec2Workers(client('fleet-reconciler'), 'dev');
    await expect(ec2.terminate(prod.id)).rejects.toMatchObject({
      kind: 'denied',
      message: expect.stringContaining(
        `(function/fleet-reconciler) is not authorized to perform: ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:000000000000:instance/${prod.id}`,
      ),
    });
    expect(sim.instances.get(prod.id)?.state).not.toMatch(/terminated|shutting-down/);
  });

  it('a function without EC2 grants cannot even describe instances', async () => {
    await expect(client('catalog-api').send(new DescribeInstancesCommand({}))).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
      message: expect.stringContaining(
        '(function/catalog-api) is not authorized to perform: ec2:DescribeInstances on resource: *',
      ),
    });
    expect(principals.denials.at(-1)).toEqual({
      principal: 'function/catalog-api',
      action: 'ec2:DescribeInstances',
      resource: '*',
    });
  });
});
