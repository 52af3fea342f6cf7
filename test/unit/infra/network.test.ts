/**
 * The network path (issue 13 item 4, D120): the CML-facing functions and the job task run in the
 * stage's VPC; their security group reaches only the workers' API and console ports and the AWS
 * APIs' VPC endpoints; no worker security group admits the internet; the fleet reconciler's EC2
 * grants are bounded by the stage's tag (D121).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../infra/app.ts';
import { system } from '../../../infra/system.ts';
import { vpcEndpoints } from '../../../infra/topology.ts';
import { ENV } from '../../../shared/runtime/env.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
const { stack } = buildApp(app);
const template = Template.fromStack(stack);
type Res = Record<string, { Properties: Record<string, unknown> }>;
const resources = (type: string) => template.findResources(type) as Res;
const id = (c: { node: { defaultChild?: unknown } } | object) =>
  stack.resolve((c as { securityGroupId: string }).securityGroupId) as { 'Fn::GetAtt': [string, string] };
const lid = (sg: object) => id(sg)['Fn::GetAtt'][0];
const fnProps = (name: string) =>
  Object.values(resources('AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === `dev-${name}`)!
    .Properties;

const clients = lid(stack.network.clients);
const workers = lid(stack.network.workers);
const endpoints = lid(stack.network.endpoints);
const { api, consoles } = system.network.workerPorts;

/** Every egress (inline and separate) of one security group. */
function egressOf(sgId: string): Record<string, unknown>[] {
  const inline = (resources('AWS::EC2::SecurityGroup')[sgId]!.Properties.SecurityGroupEgress ?? []) as Record<
    string,
    unknown
  >[];
  const separate = Object.values(resources('AWS::EC2::SecurityGroupEgress'))
    .filter((r) => JSON.stringify(r.Properties.GroupId).includes(`"${sgId}"`))
    .map((r) => r.Properties);
  return [...inline, ...separate];
}
function ingressOf(sgId: string): Record<string, unknown>[] {
  const inline = (resources('AWS::EC2::SecurityGroup')[sgId]!.Properties.SecurityGroupIngress ??
    []) as Record<string, unknown>[];
  const separate = Object.values(resources('AWS::EC2::SecurityGroupIngress'))
    .filter((r) => JSON.stringify(r.Properties.GroupId).includes(`"${sgId}"`))
    .map((r) => r.Properties);
  return [...inline, ...separate];
}
const refersTo = (v: unknown, logicalId: string) => JSON.stringify(v ?? null).includes(`"${logicalId}"`);

describe('the network path to the CML workers', () => {
  const cmlFacing = system.functions.filter((f) => f.network).map((f) => f.name);

  it('the CML-facing functions are the ones that talk to CML, and each has a VpcConfig with the clients group on private subnets', () => {
    expect(cmlFacing.sort()).toEqual(['fleet-reconciler', 'job-runner', 'native-steps']);
    for (const name of cmlFacing) {
      const vpc = fnProps(name).VpcConfig as
        { SubnetIds: unknown[]; SecurityGroupIds: unknown[] } | undefined;
      expect(vpc, name).toBeDefined();
      expect(vpc!.SubnetIds.length, name).toBeGreaterThanOrEqual(2);
      expect(/privateSubnet\d/.test(JSON.stringify(vpc!.SubnetIds)), name).toBe(true);
      expect(refersTo(vpc!.SecurityGroupIds, clients), name).toBe(true);
    }
    // The others stay outside the VPC.
    for (const f of system.functions.filter((x) => !x.network))
      expect(fnProps(f.name).VpcConfig, f.name).toBeUndefined();
  });

  it('the job task runs on the same private subnets with the clients group (what content sync compiles RunTask with)', () => {
    const env = (fnProps('content-sync').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(refersTo(env[ENV.jobSecurityGroups], clients)).toBe(true);
    expect(/privateSubnet\d/.test(JSON.stringify(env[ENV.jobSubnets]))).toBe(true);
    expect(/publicSubnet\d/i.test(JSON.stringify(env[ENV.jobSubnets]))).toBe(false);
    expect(system.tasks.every((t) => t.network.reach === 'cml')).toBe(true);
  });

  it("the clients group's egress reaches only the workers' API and console ports and AWS APIs over HTTPS through endpoints", () => {
    const rules = egressOf(clients);
    expect(rules.length).toBeGreaterThan(0);
    const toWorkers = rules.filter((r) => refersTo(r.DestinationSecurityGroupId, workers));
    expect(toWorkers.map((r) => [r.IpProtocol, r.FromPort, r.ToPort]).sort()).toEqual(
      [
        ['tcp', api, api],
        ['tcp', consoles.from, consoles.to],
      ].sort(),
    );
    for (const r of rules) {
      // No address range at all: no internet, no VPC-wide CIDR.
      expect(r.CidrIp, JSON.stringify(r)).toBeUndefined();
      expect(r.CidrIpv6, JSON.stringify(r)).toBeUndefined();
      expect(r.IpProtocol).toBe('tcp');
      if (refersTo(r.DestinationSecurityGroupId, workers)) continue;
      // Everything else: HTTPS to the endpoints' group or a gateway endpoint's prefix list.
      expect([r.FromPort, r.ToPort], JSON.stringify(r)).toEqual([443, 443]);
      expect(
        refersTo(r.DestinationSecurityGroupId, endpoints) || r.DestinationPrefixListId !== undefined,
        JSON.stringify(r),
      ).toBe(true);
    }
  });

  it('no worker security group admits the internet; the workers admit only the clients group, on those ports', () => {
    for (const [sgId] of Object.entries(resources('AWS::EC2::SecurityGroup')))
      for (const r of ingressOf(sgId)) {
        expect(r.CidrIp, `${sgId} ${JSON.stringify(r)}`).not.toBe('0.0.0.0/0');
        expect(r.CidrIpv6, `${sgId} ${JSON.stringify(r)}`).not.toBe('::/0');
      }
    const rules = ingressOf(workers);
    expect(rules.length).toBe(2);
    for (const r of rules) {
      expect(r.CidrIp).toBeUndefined();
      expect(refersTo(r.SourceSecurityGroupId, clients), JSON.stringify(r)).toBe(true);
    }
    expect(rules.map((r) => [r.FromPort, r.ToPort]).sort()).toEqual(
      [
        [api, api],
        [consoles.from, consoles.to],
      ].sort(),
    );
    // The endpoints admit HTTPS from the clients only.
    for (const r of ingressOf(endpoints)) {
      expect(refersTo(r.SourceSecurityGroupId, clients)).toBe(true);
      expect([r.FromPort, r.ToPort]).toEqual([443, 443]);
    }
  });

  it('only the function that names an external system may leave the VPC, over HTTPS only', () => {
    const ext = lid(stack.network.externalHttps!);
    expect(egressOf(ext).map((r) => [r.IpProtocol, r.FromPort, r.ToPort])).toEqual([['tcp', 443, 443]]);
    const users = system.functions.filter((f) =>
      refersTo(
        (fnProps(f.name).VpcConfig as { SecurityGroupIds?: unknown } | undefined)?.SecurityGroupIds,
        ext,
      ),
    );
    expect(users.map((f) => f.name)).toEqual(['native-steps']);
  });

  it('AWS APIs: S3 and DynamoDB gateway endpoints and one private-DNS interface endpoint per service the in-VPC grants reach', () => {
    const gateways = Object.values(resources('AWS::EC2::VPCEndpoint')).filter(
      (e) => e.Properties.VpcEndpointType === 'Gateway',
    );
    expect(gateways.map((g) => JSON.stringify(g.Properties.ServiceName)).join()).toMatch(
      /s3.*dynamodb|dynamodb.*s3/,
    );
    const iface = Object.values(resources('AWS::EC2::VPCEndpoint')).filter(
      (e) => e.Properties.VpcEndpointType === 'Interface',
    );
    expect(iface).toHaveLength(vpcEndpoints(system).length);
    expect(vpcEndpoints(system)).toEqual(['ec2', 'ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'states']);
    for (const e of iface) {
      expect(e.Properties.PrivateDnsEnabled).toBe(true);
      expect(refersTo(e.Properties.SecurityGroupIds, endpoints)).toBe(true);
    }
  });

  it('workers launch with an instance profile on private subnets, without a public address unless configured', () => {
    const env = (fnProps('fleet-reconciler').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env[ENV.workerPublicIp]).toBe('false');
    expect(/privateSubnet\d/.test(JSON.stringify(env[ENV.workerSubnets]))).toBe(true);
    expect(refersTo(env[ENV.workerSecurityGroups], workers)).toBe(true);
    expect(JSON.stringify(env[ENV.workerInstanceProfileArn])).toMatch(/WorkerProfile/);
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { InstanceProfileName: 'dev-lcm-worker' });
  });
});

describe('the fleet reconciler (D121)', () => {
  const policy = () => {
    const role = JSON.stringify(
      stack.resolve((stack.functions.get('fleet-reconciler')!.fn.role as { roleName: string }).roleName),
    );
    const docs = Object.values(resources('AWS::IAM::Policy')).filter(
      (p) => JSON.stringify(p.Properties.Roles) === `[${role}]`,
    );
    return docs.flatMap(
      (d) => (d.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
  };
  const withAction = (a: string) => policy().filter((s) => ([] as unknown[]).concat(s.Action).includes(a));

  it('runs every minute from a schedule with a retry limit and a dead-letter queue, and times out before the next tick', () => {
    const rule = Object.values(resources('AWS::Events::Rule')).find(
      (r) => r.Properties.Name === 'dev-lcm-fleet-tick',
    )!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    const [target] = rule.Properties.Targets as Record<string, unknown>[];
    expect(target!.DeadLetterConfig).toBeDefined();
    expect(target!.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 2 });
    expect(fnProps('fleet-reconciler').Timeout).toBeLessThan(60);
  });

  it("launches only with the stage's tag in the request, on the workers' subnets and group; acts only on instances tagged with the stage", () => {
    const run = withAction('ec2:RunInstances');
    const tagged = run.find((s) => JSON.stringify(s.Resource).includes('instance/*'))!;
    expect(tagged.Condition).toEqual({ StringEquals: { 'aws:RequestTag/lcm:stage': 'dev' } });
    const network = run.find((s) => s !== tagged)!;
    expect(network.Condition).toBeUndefined();
    expect(JSON.stringify(network.Resource)).toMatch(/subnet\//);
    expect(refersTo(network.Resource, workers)).toBe(true);
    expect(JSON.stringify(network.Resource)).not.toMatch(/instance\/\*/);
    for (const a of ['ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances']) {
      const st = withAction(a);
      expect(st, a).toHaveLength(1);
      expect(st[0]!.Condition, a).toEqual({ StringEquals: { 'aws:ResourceTag/lcm:stage': 'dev' } });
    }
    const pass = withAction('iam:PassRole');
    expect(pass).toHaveLength(1);
    expect(pass[0]!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    expect(withAction('ec2:DescribeInstances')[0]!.Resource).toBe('*');
  });
});
