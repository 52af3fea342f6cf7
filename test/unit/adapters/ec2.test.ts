import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2Workers, type LaunchSpec } from '../../../shared/adapters/ec2.ts';
import { Ec2Error, mapEc2Error } from '../../../shared/adapters/ec2-errors.ts';
import { templates } from '../fleet/fixtures.ts';

const ec2 = mockClient(EC2Client);
const client = () => new Ec2Workers(new EC2Client({ region: 'eu-west-1' }), 'dev');

const awsError = (name: string, message = name) =>
  new EC2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

const spec: LaunchSpec = {
  worker_id: 'wrk_01abc',
  template: templates[0]!,
  subnet_id: 'subnet-1',
  security_group_ids: ['sg-1'],
  instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/lcm-worker',
};

beforeEach(() => {
  ec2.reset();
  ec2.on(DescribeImagesCommand).resolves({
    Images: [
      { ImageId: 'ami-old', Name: 'cml-2.8.0-x86_64', CreationDate: '2026-01-01T00:00:00.000Z' },
      { ImageId: 'ami-new', Name: 'cml-2.8.1-x86_64', CreationDate: '2026-06-01T00:00:00.000Z' },
    ],
  });
});

describe('Ec2Workers', () => {
  it('resolves the AMI by name pattern (newest available, own account) and caches it', async () => {
    const w = client();
    expect(await w.resolveAmi('cml-2.8.*-x86_64')).toBe('ami-new');
    expect(await w.resolveAmi('cml-2.8.*-x86_64')).toBe('ami-new');
    const calls = ec2.commandCalls(DescribeImagesCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Owners: ['self'],
      Filters: [
        { Name: 'name', Values: ['cml-2.8.*-x86_64'] },
        { Name: 'state', Values: ['available'] },
      ],
    });
  });

  it('no image matching the pattern is a not_found error naming it', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    await expect(client().resolveAmi('cml-9.*')).rejects.toMatchObject({
      kind: 'not_found',
      code: 'InvalidAMIID.NotFound',
      message: 'no available image matches cml-9.*',
    });
  });

  it('launches from the template: type, AMI, subnet, group, profile, no public IP, IMDSv2, tags, client token', async () => {
    ec2.on(RunInstancesCommand).resolves({
      Instances: [{ InstanceId: 'i-1', State: { Name: 'pending' }, PrivateIpAddress: '10.0.1.5' }],
    });
    expect(await client().run(spec)).toEqual({
      instance_id: 'i-1',
      state: 'pending',
      private_ip: '10.0.1.5',
    });
    const input = ec2.commandCalls(RunInstancesCommand)[0]!.args[0].input;
    const tags = [
      { Key: 'Name', Value: 'lcm-dev-wrk_01abc' },
      { Key: 'lcm:stage', Value: 'dev' },
      { Key: 'lcm:worker-id', Value: 'wrk_01abc' },
      { Key: 'lcm:template', Value: 'cml-m5-2xlarge' },
    ];
    expect(input).toEqual({
      ClientToken: 'wrk_01abc',
      ImageId: 'ami-new',
      InstanceType: 'm5.2xlarge',
      MinCount: 1,
      MaxCount: 1,
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: 'subnet-1', Groups: ['sg-1'], AssociatePublicIpAddress: false },
      ],
      IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/lcm-worker' },
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
    });
  });

  it('a public address only when configured', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-1', State: { Name: 'pending' } }] });
    await client().run({ ...spec, public_ip: true });
    expect(
      ec2.commandCalls(RunInstancesCommand)[0]!.args[0].input.NetworkInterfaces![0]!.AssociatePublicIpAddress,
    ).toBe(true);
  });

  it.each([
    ['InsufficientInstanceCapacity', 'capacity', true],
    ['InstanceLimitExceeded', 'limit', false],
    ['VcpuLimitExceeded', 'limit', false],
    ['RequestLimitExceeded', 'throttled', true],
    ['Throttling', 'throttled', true],
    ['InvalidSubnetID.NotFound', 'invalid', false],
    ['UnauthorizedOperation', 'denied', false],
    ['SomethingNew', 'unknown', true],
  ])(
    'RunInstances failing with %s is an Ec2Error of kind %s (retryable: %s)',
    async (code, kind, retryable) => {
      ec2.on(RunInstancesCommand).rejects(awsError(code, `EC2 says ${code}`));
      const err = (await client()
        .run(spec)
        .catch((e: unknown) => e)) as Ec2Error;
      expect(err).toBeInstanceOf(Ec2Error);
      expect(err).toMatchObject({ kind, code, retryable });
      expect(err.message).toBe(`launching worker wrk_01abc: ${code}: EC2 says ${code}`);
    },
  );

  it('an answer without an instance is an error, not a silent success', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [] });
    await expect(client().run(spec)).rejects.toMatchObject({ kind: 'unknown', code: 'NoInstance' });
  });

  it('describes by instance-id filter across pages; ids EC2 does not know are absent', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [
          { Instances: [{ InstanceId: 'i-1', State: { Name: 'running' }, PrivateIpAddress: '10.0.1.5' }] },
        ],
        NextToken: 't2',
      })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-2', State: { Name: 'stopped' } }] }] });
    const seen = await client().describe(['i-1', 'i-2', 'i-3']);
    expect(Object.fromEntries(seen)).toEqual({
      'i-1': { state: 'running', private_ip: '10.0.1.5' },
      'i-2': { state: 'stopped' },
      'i-3': { state: 'absent' },
    });
    const calls = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      {
        Filters: [{ Name: 'instance-id', Values: ['i-1', 'i-2', 'i-3'] }],
        MaxResults: 1000,
        NextToken: undefined,
      },
      {
        Filters: [{ Name: 'instance-id', Values: ['i-1', 'i-2', 'i-3'] }],
        MaxResults: 1000,
        NextToken: 't2',
      },
    ]);
    expect(await client().describe([])).toEqual(new Map());
  });

  it('discovers the stage-tagged instances that are not terminated, with their worker and template tags', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-9',
              State: { Name: 'running' },
              Tags: [
                { Key: 'lcm:stage', Value: 'dev' },
                { Key: 'lcm:worker-id', Value: 'wrk_9' },
                { Key: 'lcm:template', Value: 'cml-m5-2xlarge' },
              ],
            },
          ],
        },
      ],
    });
    expect(await client().discover()).toEqual([
      { instance_id: 'i-9', state: 'running', worker_id: 'wrk_9', template: 'cml-m5-2xlarge' },
    ]);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: 'tag:lcm:stage', Values: ['dev'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
    ]);
  });

  it('describe throttled is a throttled error', async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError('RequestLimitExceeded'));
    await expect(client().describe(['i-1'])).rejects.toMatchObject({ kind: 'throttled', retryable: true });
  });

  it('start, stop, terminate and tag send one call each for the instance', async () => {
    ec2.on(StartInstancesCommand).resolves({});
    ec2.on(StopInstancesCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
    ec2.on(CreateTagsCommand).resolves({});
    const w = client();
    await w.start('i-1');
    await w.stop('i-1');
    await w.terminate('i-1');
    await w.tag('i-1', { 'lcm:worker-id': 'wrk_1', 'lcm:stage': 'dev' });
    expect(ec2.commandCalls(StartInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: ['i-1'] });
    expect(ec2.commandCalls(StopInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: ['i-1'] });
    expect(ec2.commandCalls(TerminateInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: ['i-1'] });
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input).toEqual({
      Resources: ['i-1'],
      Tags: [
        { Key: 'lcm:worker-id', Value: 'wrk_1' },
        { Key: 'lcm:stage', Value: 'dev' },
      ],
    });
  });

  it('terminating an instance EC2 no longer knows is done; other errors are mapped', async () => {
    ec2.on(TerminateInstancesCommand).rejectsOnce(awsError('InvalidInstanceID.NotFound'));
    await expect(client().terminate('i-gone')).resolves.toBeUndefined();
    ec2.on(TerminateInstancesCommand).rejects(awsError('UnauthorizedOperation'));
    await expect(client().terminate('i-1')).rejects.toMatchObject({ kind: 'denied' });
  });

  it.each([
    [StartInstancesCommand, 'start', 'InsufficientInstanceCapacity', 'capacity'],
    [StopInstancesCommand, 'stop', 'IncorrectInstanceState', 'invalid'],
    [CreateTagsCommand, 'tag', 'InvalidInstanceID.NotFound', 'not_found'],
  ] as const)('%s errors are mapped (%s: %s → %s)', async (command, method, code, kind) => {
    ec2.on(command as typeof StartInstancesCommand).rejects(awsError(code));
    const w = client();
    const call = method === 'tag' ? w.tag('i-1', { a: 'b' }) : w[method]('i-1');
    await expect(call).rejects.toMatchObject({ kind, code });
  });

  it('mapEc2Error keeps an Ec2Error and reads a bare error', () => {
    const e = new Ec2Error('limit', 'InstanceLimitExceeded', 'x');
    expect(mapEc2Error(e, 'y')).toBe(e);
    expect(mapEc2Error(new Error('boom'), 'doing')).toMatchObject({
      kind: 'unknown',
      code: 'Unknown',
      message: 'doing: Unknown: boom',
    });
  });
});
