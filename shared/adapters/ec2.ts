/**
 * CML workers on EC2: launch from a worker template, observe, start, stop, terminate, tag, and
 * discover the stage's instances. Errors come back as `Ec2Error` with a kind the fleet reconciler
 * decides on (capacity: try another template or later; limit: hold; throttled: retry later;
 * not_found: the thing is gone). The same code reaches AWS or the local runtime's EC2 endpoint
 * (AWS_ENDPOINT_URL_EC2).
 */
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  WORKER_TAGS,
  type InstanceState,
  type ObservedInstance,
  type WorkerTemplate,
} from '../domain/worker.ts';

import { Ec2Error, mapEc2Error } from './ec2-errors.ts';

/** Where and how a template's instance is launched (the stage's network, from configuration). */
export interface LaunchSpec {
  worker_id: string;
  template: WorkerTemplate;
  subnet_id: string;
  security_group_ids: string[];
  instance_profile_arn?: string;
  /** A public address only when configured; none by default. */
  public_ip?: boolean;
  /** Owners DescribeImages looks in (default: this account). */
  ami_owners?: string[];
  user_data?: string;
}

export interface StageInstance extends ObservedInstance {
  instance_id: string;
  worker_id?: string;
  template?: string;
}

export class Ec2Workers {
  readonly #amis = new Map<string, string>();
  constructor(
    private readonly ec2: EC2Client,
    readonly stage: string,
  ) {}

  /** The newest available image whose name matches the template's pattern (cached per pattern). */
  async resolveAmi(pattern: string, owners: string[] = ['self']): Promise<string> {
    const cached = this.#amis.get(pattern);
    if (cached) return cached;
    const out = await this.call(`resolving AMI ${pattern}`, () =>
      this.ec2.send(
        new DescribeImagesCommand({
          Owners: owners,
          Filters: [
            { Name: 'name', Values: [pattern] },
            { Name: 'state', Values: ['available'] },
          ],
        }),
      ),
    );
    const newest = [...(out.Images ?? [])]
      .filter((i) => i.ImageId)
      .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
    if (!newest?.ImageId)
      throw new Ec2Error('not_found', 'InvalidAMIID.NotFound', `no available image matches ${pattern}`);
    this.#amis.set(pattern, newest.ImageId);
    return newest.ImageId;
  }

  /**
   * Launches one instance for a worker. The worker id is the client token: asking again after a
   * lost answer returns the same instance instead of a second one.
   */
  async run(spec: LaunchSpec): Promise<StageInstance> {
    const image = await this.resolveAmi(spec.template.ami_name_pattern, spec.ami_owners);
    const tags = [
      { Key: 'Name', Value: `lcm-${this.stage}-${spec.worker_id}` },
      { Key: WORKER_TAGS.stage, Value: this.stage },
      { Key: WORKER_TAGS.worker, Value: spec.worker_id },
      { Key: WORKER_TAGS.template, Value: spec.template.name },
    ];
    const out = await this.call(`launching worker ${spec.worker_id}`, () =>
      this.ec2.send(
        new RunInstancesCommand({
          ClientToken: spec.worker_id.slice(0, 64),
          ImageId: image,
          InstanceType: spec.template.instance_type as never,
          MinCount: 1,
          MaxCount: 1,
          NetworkInterfaces: [
            {
              DeviceIndex: 0,
              SubnetId: spec.subnet_id,
              Groups: spec.security_group_ids,
              AssociatePublicIpAddress: spec.public_ip ?? false,
            },
          ],
          ...(spec.instance_profile_arn ? { IamInstanceProfile: { Arn: spec.instance_profile_arn } } : {}),
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
          ...(spec.user_data ? { UserData: Buffer.from(spec.user_data).toString('base64') } : {}),
          TagSpecifications: [
            { ResourceType: 'instance', Tags: tags },
            { ResourceType: 'volume', Tags: tags },
          ],
        }),
      ),
    );
    const instance = out.Instances?.[0];
    if (!instance?.InstanceId)
      throw new Ec2Error(
        'unknown',
        'NoInstance',
        `launching worker ${spec.worker_id}: EC2 answered no instance`,
      );
    return toStageInstance(instance);
  }

  /** What EC2 says of each instance; an id EC2 does not know is `absent` (not an error). */
  async describe(instanceIds: string[]): Promise<Map<string, ObservedInstance>> {
    const found = new Map<string, ObservedInstance>();
    if (!instanceIds.length) return found;
    for (const i of await this.instances([{ Name: 'instance-id', Values: instanceIds }]))
      found.set(i.instance_id, { state: i.state, ...(i.private_ip ? { private_ip: i.private_ip } : {}) });
    for (const id of instanceIds) if (!found.has(id)) found.set(id, { state: 'absent' });
    return found;
  }

  /** Every instance carrying this stage's tag that is not terminated (discovery of orphans). */
  discover(): Promise<StageInstance[]> {
    return this.instances([
      { Name: `tag:${WORKER_TAGS.stage}`, Values: [this.stage] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
    ]);
  }

  async start(instanceId: string): Promise<void> {
    await this.call(`starting ${instanceId}`, () =>
      this.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] })),
    );
  }

  async stop(instanceId: string): Promise<void> {
    await this.call(`stopping ${instanceId}`, () =>
      this.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })),
    );
  }

  /** Terminating an instance that is already gone is done, not an error. */
  async terminate(instanceId: string): Promise<void> {
    try {
      await this.call(`terminating ${instanceId}`, () =>
        this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })),
      );
    } catch (e) {
      if (e instanceof Ec2Error && e.kind === 'not_found') return;
      throw e;
    }
  }

  async tag(instanceId: string, tags: Record<string, string>): Promise<void> {
    await this.call(`tagging ${instanceId}`, () =>
      this.ec2.send(
        new CreateTagsCommand({
          Resources: [instanceId],
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }

  private async instances(filters: { Name: string; Values: string[] }[]): Promise<StageInstance[]> {
    const out: StageInstance[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('describing instances', () =>
        this.ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken: token, MaxResults: 1000 })),
      );
      for (const r of page.Reservations ?? [])
        for (const i of r.Instances ?? []) if (i.InstanceId) out.push(toStageInstance(i));
      token = page.NextToken;
    } while (token);
    return out;
  }

  private async call<T>(doing: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw mapEc2Error(e, doing);
    }
  }
}

function toStageInstance(i: Instance): StageInstance {
  const tag = (k: string) => i.Tags?.find((t) => t.Key === k)?.Value;
  const worker = tag(WORKER_TAGS.worker);
  const template = tag(WORKER_TAGS.template);
  return {
    instance_id: i.InstanceId!,
    state: (i.State?.Name ?? 'pending') as InstanceState,
    ...(i.PrivateIpAddress ? { private_ip: i.PrivateIpAddress } : {}),
    ...(worker ? { worker_id: worker } : {}),
    ...(template ? { template } : {}),
  };
}
