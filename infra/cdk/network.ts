/**
 * The stage's network (topology `network`, D120): one VPC, created here by default or an
 * existing one by context `vpcId`; private subnets for the CML workers and for everything that
 * talks to them. Four security groups, each admitting or reaching only what it must:
 *
 * - `cml-clients` (the functions with `network.reach: cml` and the tasks): egress to the workers'
 *   API port and console range, HTTPS to the VPC endpoints and to the S3 and DynamoDB gateway
 *   endpoints' prefix lists. Nothing else: AWS APIs are reached through VPC endpoints, not the
 *   internet.
 * - `workers`: ingress from `cml-clients` on the API port and the console range, nothing from
 *   anywhere else; egress open (a CML worker reaches its licensing service through the NAT gateway).
 * - `endpoints`: the interface endpoints, HTTPS from `cml-clients` only.
 * - `external-https` (only functions whose declaration names an external HTTPS system): HTTPS out
 *   through the NAT gateway, to `externalHttpsCidr` (context; default anywhere).
 *
 * The workers' instance profile carries a role with no permissions: CML needs no AWS API; an
 * operator may attach one (SSM, say) per account. Workers get no public address unless context
 * `workerPublicIp=true` (then they launch in the public subnets).
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { physicalName } from '../naming.ts';
import type { SystemDecl } from '../topology.ts';
import { vpcEndpoints } from '../topology.ts';
import type { StageConfig } from './config.ts';

export interface NetworkProps {
  system: SystemDecl;
  config: StageConfig;
}

const HTTPS = 443;

export class LcmNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  readonly clients: ec2.SecurityGroup;
  readonly workers: ec2.SecurityGroup;
  readonly endpoints: ec2.SecurityGroup;
  /** Created only when some function declares `externalHttps`. */
  readonly externalHttps?: ec2.SecurityGroup;
  readonly workerRole: iam.Role;
  readonly workerProfile: iam.InstanceProfile;
  /** Where the workers launch (private subnets; the public ones with `workerPublicIp`). */
  readonly workerSubnets: ec2.ISubnet[];
  /** Where the CML-facing functions and tasks run. */
  readonly privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  readonly interfaceEndpoints: string[];
  readonly workerPublicIp: boolean;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { system, config } = props;
    const net = config.network;
    this.workerPublicIp = net.workerPublicIp;
    const removal = config.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    if (net.vpcId) {
      // Looked up once (cdk.context.json caches it); the VPC must have private subnets with egress.
      this.vpc = ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: net.vpcId });
    } else {
      const vpc = new ec2.Vpc(this, 'Vpc', {
        vpcName: physicalName(config.stage, 'net'),
        maxAzs: 2,
        natGateways: net.natGateways,
        subnetConfiguration: [
          { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        ],
        restrictDefaultSecurityGroup: true,
      });
      vpc.addFlowLog('FlowLogs', {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(
          new logs.LogGroup(this, 'FlowLogGroup', {
            retention: config.logRetentionDays as logs.RetentionDays,
            removalPolicy: removal,
          }),
        ),
        trafficType: ec2.FlowLogTrafficType.REJECT,
      });
      this.vpc = vpc;
    }

    const sg = (name: string, description: string, allowAllOutbound: boolean) =>
      new ec2.SecurityGroup(this, `${name}Sg`, {
        vpc: this.vpc,
        securityGroupName: physicalName(config.stage, name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()),
        description,
        allowAllOutbound,
        allowAllIpv6Outbound: false,
      });
    this.clients = sg(
      'CmlClients',
      'CML-facing functions and tasks: out to the workers (API, consoles) and the VPC endpoints only',
      false,
    );
    this.workers = sg(
      'Workers',
      'CML workers: in from the CML-facing functions and tasks only; out for licensing',
      true,
    );
    this.endpoints = sg(
      'Endpoints',
      'VPC interface endpoints: HTTPS from the CML-facing functions and tasks',
      false,
    );

    const { api, consoles } = system.network.workerPorts;
    const apiPort = ec2.Port.tcp(api);
    const consolePorts = ec2.Port.tcpRange(consoles.from, consoles.to);
    this.workers.addIngressRule(this.clients, apiPort, 'CML API from the CML-facing functions and tasks');
    this.workers.addIngressRule(
      this.clients,
      consolePorts,
      'Device consoles from the CML-facing functions and tasks',
    );
    this.clients.addEgressRule(this.workers, apiPort, 'CML API on the workers');
    this.clients.addEgressRule(this.workers, consolePorts, 'Device consoles on the workers');
    this.endpoints.addIngressRule(
      this.clients,
      ec2.Port.tcp(HTTPS),
      'AWS APIs from the CML-facing functions and tasks',
    );
    this.clients.addEgressRule(
      this.endpoints,
      ec2.Port.tcp(HTTPS),
      'AWS APIs through the interface endpoints',
    );

    // AWS APIs: gateway endpoints for S3 and DynamoDB (their prefix lists in the egress), interface
    // endpoints for the services the in-VPC grants reach.
    const gateways = {
      S3: ec2.GatewayVpcEndpointAwsService.S3,
      DynamoDb: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
    };
    for (const [name, service] of Object.entries(gateways)) {
      this.vpc.addGatewayEndpoint(`${name}Endpoint`, { service, subnets: [this.privateSubnets] });
      const short = service.name.split('.').pop()!;
      this.clients.addEgressRule(
        ec2.Peer.prefixList(this.managedPrefixList(name, short)),
        ec2.Port.tcp(HTTPS),
        `${short} through its gateway endpoint`,
      );
    }
    this.interfaceEndpoints = vpcEndpoints(system);
    for (const service of this.interfaceEndpoints)
      this.vpc.addInterfaceEndpoint(
        `Endpoint${service.replace(/(^|\.)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}`,
        {
          service: new ec2.InterfaceVpcEndpointAwsService(service),
          subnets: this.privateSubnets,
          securityGroups: [this.endpoints],
          privateDnsEnabled: true,
          open: false,
        },
      );

    if (system.functions.some((f) => f.network?.externalHttps)) {
      this.externalHttps = sg(
        'ExternalHttps',
        'HTTPS out through the NAT gateway to a system outside the VPC (the lab delivery system)',
        false,
      );
      this.externalHttps.addEgressRule(
        ec2.Peer.ipv4(net.externalHttpsCidr),
        ec2.Port.tcp(HTTPS),
        'HTTPS to the external system (context externalHttpsCidr)',
      );
    }

    this.workerRole = new iam.Role(this, 'WorkerRole', {
      roleName: physicalName(config.stage, 'worker'),
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description:
        'CML worker instances: no permissions (CML calls no AWS API); attach per account if needed',
    });
    this.workerProfile = new iam.InstanceProfile(this, 'WorkerProfile', {
      instanceProfileName: physicalName(config.stage, 'worker'),
      role: this.workerRole,
    });
    this.workerSubnets = this.vpc.selectSubnets(
      net.workerPublicIp ? { subnetType: ec2.SubnetType.PUBLIC } : this.privateSubnets,
    ).subnets;
  }

  /**
   * The AWS-managed prefix list of a gateway endpoint's service in this region, read at deploy time
   * (DescribePrefixLists; CloudFormation has no attribute for it and a context lookup would need the
   * network at synth).
   */
  private managedPrefixList(name: string, service: string): string {
    const region = Stack.of(this).region;
    const call = {
      service: 'EC2',
      action: 'describePrefixLists',
      parameters: { Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${region}.${service}`] }] },
      physicalResourceId: cr.PhysicalResourceId.of(`${service}-prefix-list`),
      outputPaths: ['PrefixLists.0.PrefixListId'],
    };
    const lookup = new cr.AwsCustomResource(this, `${name}PrefixList`, {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    return lookup.getResponseField('PrefixLists.0.PrefixListId');
  }
}
