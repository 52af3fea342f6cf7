/**
 * Bucket policies, locally (issue 16, D56/D143 "not enforced: resource policies" → D192): the
 * local S3 proxy evaluates the request's bucket policy with the caller's identity policy as AWS
 * does within one account (an explicit Deny in either wins; an Allow in either allows). The
 * template's TLS rule (`aws:SecureTransport = false` → Deny) holds: the proxy stands for S3's TLS
 * endpoint, and the same proxy's plain-HTTP address is denied by it.
 */
import { createServer, type Server } from 'node:http';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  principalsOf,
  startIamProxy,
  type IamProxy,
  type Principals,
} from '../../../infra/local/iam-endpoints.ts';
import type { ResourcePolicyStatement } from '../../../infra/local/iam.ts';
import { sessionToken } from '../../../infra/local/function-context.ts';
import { synthesizeCached } from '../../../infra/local/synth.ts';
import type { TemplateProfiles } from '../../../infra/local/template.ts';
import { listenOnLoopback } from '../../../infra/local/ports.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CONTENT = `dev-lcm-content-${ACCOUNT}`;
const ARTEFACTS = `dev-lcm-artefacts-${ACCOUNT}`;
let profiles: TemplateProfiles;
let principals: Principals;
let proxy: IamProxy;
let upstream: Server;
const forwarded: string[] = [];
/** The buckets' policies: the template's, plus what a test adds. */
const policies: Record<string, ResourcePolicyStatement[]> = {};

beforeAll(async () => {
  profiles = await synthesizeCached({ stage: 'dev', account: ACCOUNT, region: REGION });
  Object.assign(policies, structuredClone(profiles.bucketPolicies ?? {}));
  principals = principalsOf(profiles);
  // S3 itself stands in as an upstream that takes everything: only the proxy's decisions matter.
  upstream = createServer((req, res) => {
    forwarded.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/octet-stream', etag: '"x"' })
        .end(req.method === 'GET' ? 'body' : ''),
    );
  });
  const port = await listenOnLoopback(upstream);
  proxy = await startIamProxy({
    service: 's3',
    upstream: `http://127.0.0.1:${port}`,
    principals,
    region: REGION,
    account: ACCOUNT,
    bucketPolicies: policies,
  });
}, 240_000);
afterAll(async () => {
  await proxy?.close();
  await new Promise((r) => upstream?.close(r));
});

const s3 = (fn: string | undefined, endpoint = proxy.url) =>
  new S3Client({
    region: REGION,
    endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: 'x',
      secretAccessKey: 'x',
      ...(fn ? { sessionToken: sessionToken(`function/${fn}`) } : {}),
    },
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

describe("the buckets' resource policies at the local S3 proxy", () => {
  it('the template gives the content and artefacts buckets a policy that denies every request without TLS', () => {
    for (const b of [CONTENT, ARTEFACTS])
      expect(policies[b]).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
  });

  it("through the proxy (S3's TLS endpoint) a granted read passes; through its plain-HTTP address the bucket policy denies it, for an administrator too", async () => {
    await expect(
      s3('content-api').send(new GetObjectCommand({ Bucket: CONTENT, Key: 'packages/a.zip' })),
    ).resolves.toBeDefined();
    await expect(
      s3('content-api', proxy.plainUrl).send(
        new GetObjectCommand({ Bucket: CONTENT, Key: 'packages/a.zip' }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining(
        `(function/content-api) is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::${CONTENT}/packages/a.zip because a resource-based policy explicitly denies`,
      ),
    });
    await expect(
      s3(undefined, proxy.plainUrl).send(new GetObjectCommand({ Bucket: CONTENT, Key: 'packages/a.zip' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(forwarded.filter((f) => f.includes('packages/a.zip'))).toHaveLength(1);
  });

  it("a bucket policy's explicit Deny wins over the identity grant, naming function, action and resource", async () => {
    policies[ARTEFACTS]!.push({
      Sid: 'ReportsAreKept',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:DeleteObject',
      Resource: `arn:aws:s3:::${ARTEFACTS}/reports/*`,
    });
    const reconciler = s3('reconciler');
    await expect(
      reconciler.send(
        new PutObjectCommand({ Bucket: ARTEFACTS, Key: 'reports/s1/session.json', Body: '{}' }),
      ),
    ).resolves.toBeDefined();
    await expect(
      reconciler.send(new DeleteObjectCommand({ Bucket: ARTEFACTS, Key: 'reports/s1/session.json' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining(
        `(function/reconciler) is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::${ARTEFACTS}/reports/s1/session.json because a resource-based policy explicitly denies the s3:DeleteObject action`,
      ),
    });
    // Outside the statement's resources the identity grant still decides.
    await expect(
      reconciler.send(new DeleteObjectCommand({ Bucket: ARTEFACTS, Key: 'tmp/x' })),
    ).resolves.toBeDefined();
    expect(principals.denials.at(-1)).toEqual({
      principal: 'function/reconciler',
      action: 's3:DeleteObject',
      resource: `arn:aws:s3:::${ARTEFACTS}/reports/s1/session.json`,
    });
  });

  it("a bucket policy's Allow naming a role grants what its identity policy does not; one naming another role does not", async () => {
    const key = 'shared/notes.txt';
    await expect(
      s3('catalog-api').send(new GetObjectCommand({ Bucket: ARTEFACTS, Key: key })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    policies[ARTEFACTS]!.push({
      Effect: 'Allow',
      Principal: { AWS: profiles.functions['catalog-api']!.roleArn },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${ARTEFACTS}/shared/*`,
    });
    await expect(
      s3('catalog-api').send(new GetObjectCommand({ Bucket: ARTEFACTS, Key: key })),
    ).resolves.toBeDefined();
    await expect(
      s3('sessions-api').send(new GetObjectCommand({ Bucket: ARTEFACTS, Key: key })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
