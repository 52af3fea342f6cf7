/**
 * Candidate data at rest under the stage's own key (issue 16, finding 6: "candidate PII is
 * archived for 30 days under AWS-owned keys"): the tables, the content and artefact buckets, every
 * dead-letter queue, the bus and its archive are encrypted with one customer-managed key per stage,
 * rotated yearly, whose policy lets EventBridge use it for the bus, the archive and the rules'
 * dead-letter queues. The app synthesizes with cdk-nag (app.synth() runs its validations).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../infra/app.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
const { stack } = buildApp(app);
app.synth();
const template = Template.fromStack(stack);
const of = (type: string) =>
  Object.entries(template.findResources(type) as Record<string, { Properties: Record<string, unknown> }>);

const keys = of('AWS::KMS::Key');
const keyId = keys[0]?.[0];
const isKey = (v: unknown) =>
  JSON.stringify(v) === JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] }) ||
  JSON.stringify(v) === JSON.stringify({ Ref: keyId });

describe('encryption at rest with the stage key', () => {
  it('one customer-managed key, rotated', () => {
    expect(keys).toHaveLength(1);
    expect(keys[0]![1].Properties).toMatchObject({ EnableKeyRotation: true });
  });

  it('both tables', () => {
    const tables = of('AWS::DynamoDB::Table');
    expect(tables.length).toBe(2);
    for (const [id, t] of tables) {
      const sse = t.Properties.SSESpecification as {
        SSEEnabled?: boolean;
        SSEType?: string;
        KMSMasterKeyId?: unknown;
      };
      expect(sse, id).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      expect(isKey(sse.KMSMasterKeyId), id).toBe(true);
    }
  });

  it('the content and artefact buckets (the access-log bucket stays SSE-S3: S3 server access logging writes only to SSE-S3 buckets)', () => {
    for (const name of ['content', 'artefacts']) {
      const b = stack.buckets.get(name as never)!;
      const id = stack.getLogicalId(b.node.defaultChild as never);
      const props = template.toJSON().Resources[id].Properties as {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: {
            ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID?: unknown };
            BucketKeyEnabled?: boolean;
          }[];
        };
      };
      const rule = props.BucketEncryption.ServerSideEncryptionConfiguration[0]!;
      expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm, name).toBe('aws:kms');
      expect(isKey(rule.ServerSideEncryptionByDefault.KMSMasterKeyID), name).toBe(true);
      expect(rule.BucketKeyEnabled, name).toBe(true);
    }
  });

  it('every dead-letter queue', () => {
    const queues = of('AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThan(3);
    for (const [id, q] of queues) expect(isKey(q.Properties.KmsMasterKeyId), id).toBe(true);
  });

  it('the bus and its archive', () => {
    const [[, bus]] = of('AWS::Events::EventBus') as [[string, { Properties: Record<string, unknown> }]];
    expect(isKey(bus.Properties.KmsKeyIdentifier)).toBe(true);
    const [[, archive]] = of('AWS::Events::Archive') as [[string, { Properties: Record<string, unknown> }]];
    expect(isKey(archive.Properties.KmsKeyIdentifier)).toBe(true);
  });

  it("the key's policy lets EventBridge encrypt for this account's bus, archive and rule dead letters", () => {
    const policy = keys[0]![1].Properties.KeyPolicy as {
      Statement: { Principal?: { Service?: string }; Action: string | string[] }[];
    };
    const events = policy.Statement.filter((s) => s.Principal?.Service === 'events.amazonaws.com');
    expect(events.length).toBeGreaterThan(0);
    const actions = events.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
  });
});
