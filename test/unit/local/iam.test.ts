/**
 * IAM, locally: the policy evaluation the local endpoints apply to each function's calls, and the
 * mapping of DynamoDB and S3 requests to the actions and resources AWS authorizes them as.
 */
import { describe, expect, it } from 'vitest';
import {
  AccessDenied,
  authorize,
  evaluate,
  iamMatch,
  type PolicyStatement,
} from '../../../infra/local/iam.ts';
import { dynamoRequests, s3Requests } from '../../../infra/local/iam-endpoints.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/local-lcm-state';

describe('IAM policy evaluation', () => {
  it('matches actions case-insensitively and resources case-sensitively, with * and ?', () => {
    expect(iamMatch('s3:GetObject*', 's3:getobjectversion', true)).toBe(true);
    expect(iamMatch('s3:GetObject*', 's3:PutObject', true)).toBe(false);
    expect(iamMatch(`${TABLE}/index/*`, `${TABLE}/index/gsi1`)).toBe(true);
    expect(iamMatch(`${TABLE}/index/*`, TABLE)).toBe(false);
    expect(iamMatch('arn:aws:s3:::b/*', 'arn:aws:s3:::B/x')).toBe(false);
    expect(
      iamMatch('arn:aws:states:*:*:stateMachine:dev-lcm-*', 'arn:aws:states:r:1:stateMachine:prod-lcm-x'),
    ).toBe(false);
    expect(iamMatch('a?c', 'abc')).toBe(true);
    expect(iamMatch('a?c', 'abbc')).toBe(false);
    expect(iamMatch('a.c', 'abc')).toBe(false);
  });

  it('allows only what an Allow statement covers; an explicit Deny wins; unknown conditions never hold', () => {
    const s: PolicyStatement[] = [
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: [TABLE, `${TABLE}/index/*`],
      },
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: '*',
        Condition: { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } },
      },
      {
        Effect: 'Allow',
        Action: 'sqs:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
      { Effect: 'Deny', Action: 'dynamodb:Query', Resource: `${TABLE}/index/secret` },
    ];
    expect(evaluate(s, { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    expect(evaluate(s, { action: 'dynamodb:PutItem', resource: TABLE })).toBe('implicit-deny');
    expect(evaluate(s, { action: 'dynamodb:Query', resource: `${TABLE}/index/gsi1` })).toBe('allow');
    expect(evaluate(s, { action: 'dynamodb:Query', resource: `${TABLE}/index/secret` })).toBe(
      'explicit-deny',
    );
    expect(evaluate(s, { action: 'dynamodb:GetItem', resource: `${TABLE}-other` })).toBe('implicit-deny');
    expect(
      evaluate(s, {
        action: 'iam:PassRole',
        resource: 'r',
        context: { 'iam:PassedToService': 'states.amazonaws.com' },
      }),
    ).toBe('allow');
    expect(
      evaluate(s, {
        action: 'iam:PassRole',
        resource: 'r',
        context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
      }),
    ).toBe('implicit-deny');
    expect(evaluate(s, { action: 'sqs:SendMessage', resource: 'q' })).toBe('implicit-deny');
    expect(
      evaluate([{ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }], {
        action: 'sqs:SendMessage',
        resource: 'q',
      }),
    ).toBe('allow');
  });

  it('a denial names the function, the action and the resource', () => {
    const principal = {
      id: 'function/catalog-api',
      roleArn: 'arn:aws:iam::000000000000:role/lcm-local-FnCatalogApiRole',
      statements: [],
    };
    expect(() => authorize(principal, [{ action: 'dynamodb:PutItem', resource: TABLE }])).toThrow(
      AccessDenied,
    );
    expect(() => authorize(principal, [{ action: 'dynamodb:PutItem', resource: TABLE }])).toThrow(
      `User: arn:aws:sts::000000000000:assumed-role/lcm-local-FnCatalogApiRole/catalog-api (function/catalog-api) is not authorized to perform: dynamodb:PutItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:PutItem action`,
    );
  });
});

describe('requests as IAM sees them', () => {
  it('DynamoDB: the table, or its index; each item of a transaction as its own action', () => {
    expect(
      dynamoRequests(
        'DynamoDB_20120810.GetItem',
        { TableName: 'local-lcm-state' },
        'us-east-1',
        '000000000000',
      ),
    ).toEqual([{ action: 'dynamodb:GetItem', resource: TABLE }]);
    expect(
      dynamoRequests(
        'DynamoDB_20120810.Query',
        { TableName: 'local-lcm-state', IndexName: 'gsi1' },
        'us-east-1',
        '000000000000',
      ),
    ).toEqual([{ action: 'dynamodb:Query', resource: `${TABLE}/index/gsi1` }]);
    expect(
      dynamoRequests(
        'DynamoDB_20120810.TransactWriteItems',
        {
          TransactItems: [
            { Put: { TableName: 'local-lcm-state' } },
            { ConditionCheck: { TableName: 'local-lcm-views' } },
          ],
        },
        'us-east-1',
        '000000000000',
      ),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE },
      { action: 'dynamodb:ConditionCheckItem', resource: TABLE.replace('state', 'views') },
    ]);
    expect(
      dynamoRequests(
        'DynamoDB_20120810.BatchWriteItem',
        { RequestItems: { 'local-lcm-views': [] } },
        'us-east-1',
        '000000000000',
      ),
    ).toEqual([{ action: 'dynamodb:BatchWriteItem', resource: TABLE.replace('state', 'views') }]);
  });

  it('S3: HeadBucket is ListBucket, objects by key, copies read their source, multi-delete each key', () => {
    const req = (m: string, u: string, h: Record<string, string> = {}, body = '') =>
      s3Requests(m, new URL(u, 'http://local'), h, Buffer.from(body));
    expect(req('HEAD', '/b')).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }]);
    expect(req('GET', '/b?list-type=2&prefix=x')).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::b' },
    ]);
    expect(req('GET', '/b/a%20b/c.json')).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/a b/c.json' },
    ]);
    expect(req('HEAD', '/b/k?versionId=1')).toEqual([
      { action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/k' },
    ]);
    expect(req('PUT', '/b/k', { 'x-amz-copy-source': '/src/s%2Fk' })).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::src/s/k' },
    ]);
    expect(req('PUT', '/b/k?tagging')).toEqual([
      { action: 's3:PutObjectTagging', resource: 'arn:aws:s3:::b/k' },
    ]);
    expect(req('DELETE', '/b/k?uploadId=u')).toEqual([
      { action: 's3:AbortMultipartUpload', resource: 'arn:aws:s3:::b/k' },
    ]);
    expect(
      req(
        'POST',
        '/b?delete',
        {},
        '<Delete><Object><Key>x&amp;y</Key></Object><Object><Key>z</Key></Object></Delete>',
      ),
    ).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/x&y' },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/z' },
    ]);
  });
});
