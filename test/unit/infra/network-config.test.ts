/** The stage's network settings from CDK context (D120): defaults and refusals, without a synth. */
import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { stageConfig } from '../../../infra/cdk/config.ts';

const config = (context: Record<string, unknown>) => stageConfig(new App({ context }).node, {});

describe('network context', () => {
  it('defaults: a VPC of its own, one NAT gateway, workers without a public address, external HTTPS anywhere', () => {
    expect(config({}).network).toEqual({
      natGateways: 1,
      workerPublicIp: false,
      externalHttpsCidr: '0.0.0.0/0',
    });
  });

  it('takes an existing VPC, a public address for workers and a narrower external range when asked', () => {
    expect(
      config({ vpcId: 'vpc-0a1b2c3d4e5f67890', workerPublicIp: 'true', externalHttpsCidr: '198.51.100.0/24' })
        .network,
    ).toEqual({
      vpcId: 'vpc-0a1b2c3d4e5f67890',
      natGateways: 1,
      workerPublicIp: true,
      externalHttpsCidr: '198.51.100.0/24',
    });
  });

  it('refuses what is not a VPC id, a CIDR or a NAT gateway count', () => {
    expect(() => config({ vpcId: 'default' })).toThrow(/vpcId "default" is not a VPC id/);
    expect(() => config({ externalHttpsCidr: 'anywhere' })).toThrow(/not an IPv4 CIDR/);
    expect(() => config({ natGateways: '0' })).toThrow(/natGateways must be 1 or 2/);
  });
});
