/**
 * IAM at the local AWS endpoints. Each request is mapped to the IAM actions and resource ARNs AWS
 * authorizes it as (DynamoDB, S3, EventBridge, Step Functions, Lambda), and checked against the
 * statements of the calling principal's role, known from the session token of its credentials.
 * DynamoDB Local and s3rver sit behind a small proxy that does this and forwards what is allowed,
 * byte for byte; the AWS gateway (EventBridge, Step Functions, Lambda) checks in place. A request
 * without a local session token is the developer's or the runtime's own (admin, as an AWS
 * account's administrator would be); every function and task carries one.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  AccessDenied,
  authorize,
  type AccessRequest,
  type LocalPrincipal,
  type ResourcePolicy,
  type ResourcePolicyStatement,
} from './iam.ts';
import { principalOfToken } from './function-context.ts';
import { launchNetwork, queryList, queryTags, tagSpecifications } from './ec2-query.ts';
import { listenOnLoopback } from './ports.ts';
import type { TemplateProfiles } from './template.ts';

export interface Principals {
  /** The principal a session token names; undefined for an unknown one. */
  get(id: string): LocalPrincipal | undefined;
  /** Every denial, newest last (the local /local/stats and the tests read it). */
  denials: { principal: string; action: string; resource: string }[];
  /** AWS API calls each principal made through the local endpoints. */
  calls: Record<string, number>;
}

/** The template's functions and tasks as the principals their session tokens name. */
export function principalsOf(profiles: Pick<TemplateProfiles, 'functions' | 'tasks'>): Principals {
  const map = new Map<string, LocalPrincipal>([
    ...Object.values(profiles.functions).map(
      (p) => [`function/${p.name}`, { id: `function/${p.name}`, ...p }] as const,
    ),
    ...Object.values(profiles.tasks).map((p) => [`task/${p.name}`, { id: `task/${p.name}`, ...p }] as const),
  ]);
  return { get: (id) => map.get(id), denials: [], calls: {} };
}

export function tokenOf(headers: IncomingMessage['headers'], url: URL): string | undefined {
  const h = headers['x-amz-security-token'];
  return (Array.isArray(h) ? h[0] : h) ?? url.searchParams.get('X-Amz-Security-Token') ?? undefined;
}

/**
 * Checks `requests` for the caller `token` names. Returns undefined when allowed, else the denial
 * (with the principal and request named in its message, as AWS's are).
 */
export function check(
  principals: Principals,
  token: string | undefined,
  requests: () => AccessRequest[],
  /** The resource policy of each request's resource (bucket policies), evaluated with the caller's. */
  resourcePolicy?: (r: AccessRequest) => ResourcePolicy | undefined,
): AccessDenied | Error | undefined {
  const id = principalOfToken(token);
  if (id === undefined) {
    // The developer's or the runtime's own (admin): every identity grant, but a resource
    // policy's explicit Deny holds for an administrator too.
    if (!resourcePolicy) return undefined;
    return check({ ...principals, get: () => adminOf() }, 'lcm-local:admin', requests, resourcePolicy);
  }
  principals.calls[id] = (principals.calls[id] ?? 0) + 1;
  const principal = principals.get(id);
  if (!principal)
    return Object.assign(new Error(`The security token included in the request is invalid (${id})`), {
      name: 'UnrecognizedClientException',
    });
  try {
    authorize(principal, requests(), resourcePolicy);
    return undefined;
  } catch (e) {
    if (!(e instanceof AccessDenied)) throw e;
    principals.denials.push({ principal: id, action: e.request.action, resource: e.request.resource });
    console.warn(`[iam] denied: ${e.message}`);
    return e;
  }
}

/** The account's administrator (a request without a local session token). */
function adminOf(): LocalPrincipal {
  return {
    id: 'admin/local',
    roleArn: 'arn:aws:iam::000000000000:role/local-admin',
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  };
}

/**
 * Bucket policies as resource policies of S3 requests: the statements of the request's bucket
 * (`arn:aws:s3:::<bucket>` or an object in it).
 */
export function bucketPolicyOf(
  policies: Record<string, ResourcePolicyStatement[]>,
  account: string,
): (r: AccessRequest) => ResourcePolicy | undefined {
  return (r) => {
    const m = /^arn:aws:s3:::([^/]+)/.exec(r.resource);
    const statements = m ? policies[m[1]!] : undefined;
    return statements?.length ? { statements, account } : undefined;
  };
}

// ---- ECS ---------------------------------------------------------------------------------

/** ECS ListTasks / StopTask as IAM authorizes them (the cluster as the `ecs:cluster` key). */
export function ecsRequests(
  action: string,
  body: Record<string, unknown>,
  region: string,
  account: string,
): AccessRequest[] {
  const c = String(body.cluster ?? 'default');
  const cluster = c.startsWith('arn:') ? c : `arn:aws:ecs:${region}:${account}:cluster/${c}`;
  const context = { 'ecs:cluster': cluster };
  const a = `ecs:${action}`;
  if (action === 'StopTask' || action === 'DescribeTasks') {
    const t = String(body.task ?? (body.tasks as string[] | undefined)?.[0] ?? '');
    const clusterName = cluster.split('/').at(-1)!;
    const task = t.startsWith('arn:') ? t : `arn:aws:ecs:${region}:${account}:task/${clusterName}/${t}`;
    return [{ action: a, resource: task, context }];
  }
  // ListTasks names no task: IAM takes the cluster from the condition key.
  return [{ action: a, resource: '*', context }];
}

// ---- EC2 --------------------------------------------------------------------------------

/** What the EC2 checks need to know beyond the request: existing resources' tags, profiles' roles. */
export interface Ec2Lookup {
  /** The tags of an existing resource (an instance by id); undefined when it does not exist. */
  tagsOf(resourceId: string): Record<string, string> | undefined;
  /** The roles an instance profile (by ARN) passes. */
  rolesOfProfile(profileArn: string): string[];
}

const EC2_TYPES: [prefix: string, type: string][] = [
  ['i-', 'instance'],
  ['vol-', 'volume'],
  ['ami-', 'image'],
  ['snap-', 'snapshot'],
  ['subnet-', 'subnet'],
  ['sg-', 'security-group'],
  ['eni-', 'network-interface'],
  ['vpc-', 'vpc'],
];

/** Tag condition keys: `aws:ResourceTag/k` and its EC2 alias `ec2:ResourceTag/k`. */
const resourceTagKeys = (tags: Record<string, string> | undefined) =>
  Object.fromEntries(
    Object.entries(tags ?? {}).flatMap(([k, v]) => [
      [`aws:ResourceTag/${k}`, v],
      [`ec2:ResourceTag/${k}`, v],
    ]),
  );
const requestTagKeys = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v]));

/**
 * One EC2 Query request as IAM authorizes it. RunInstances is several checks, as AWS makes them:
 * `ec2:RunInstances` on the instance and its volume (with `aws:RequestTag/…` from the tag
 * specifications of that resource type), on the image (`arn:aws:ec2:<region>::image/<id>`, no
 * account), the subnet, each security group and the network interface; `ec2:CreateTags` on each
 * tagged resource type with `ec2:CreateAction = RunInstances`; `iam:PassRole` on the instance
 * profile's roles with `iam:PassedToService = ec2.amazonaws.com`. Start/Stop/Terminate and CreateTags
 * check each resource with its current tags (`aws:ResourceTag/…`, `ec2:ResourceTag/…`);
 * Describe* are not resource-level (`*`).
 */
export function ec2Requests(
  action: string,
  p: URLSearchParams,
  lookup: Ec2Lookup,
  region: string,
  account: string,
): AccessRequest[] {
  const a = `ec2:${action}`;
  const arn = (type: string, id: string) =>
    type === 'image'
      ? `arn:aws:ec2:${region}::image/${id}`
      : `arn:aws:ec2:${region}:${account}:${type}/${id}`;
  const arnOf = (id: string) => arn(EC2_TYPES.find(([pre]) => id.startsWith(pre))?.[1] ?? 'unknown', id);
  switch (action) {
    case 'RunInstances': {
      const specTags = tagSpecifications(p);
      const out: AccessRequest[] = [];
      for (const type of ['instance', 'volume']) {
        const tags = specTags[type] ?? {};
        out.push({ action: a, resource: arn(type, '*'), context: requestTagKeys(tags) });
      }
      const image = p.get('ImageId');
      if (image) out.push({ action: a, resource: arn('image', image) });
      const { subnet, groups } = launchNetwork(p);
      if (subnet) out.push({ action: a, resource: arn('subnet', subnet) });
      for (const g of groups) out.push({ action: a, resource: arn('security-group', g) });
      out.push({ action: a, resource: arn('network-interface', '*') });
      for (const [type, tags] of Object.entries(specTags))
        out.push({
          action: 'ec2:CreateTags',
          resource: arn(type, '*'),
          context: { 'ec2:CreateAction': 'RunInstances', ...requestTagKeys(tags) },
        });
      const profile = p.get('IamInstanceProfile.Arn');
      if (profile)
        for (const role of lookup.rolesOfProfile(profile))
          out.push({
            action: 'iam:PassRole',
            resource: role,
            context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
          });
      return out;
    }
    case 'StartInstances':
    case 'StopInstances':
    case 'TerminateInstances':
      return queryList(p, 'InstanceId').map((id) => ({
        action: a,
        resource: arn('instance', id),
        context: resourceTagKeys(lookup.tagsOf(id)),
      }));
    case 'CreateTags': {
      const tags = queryTags(p);
      return queryList(p, 'ResourceId').map((id) => ({
        action: a,
        resource: arnOf(id),
        context: { ...resourceTagKeys(lookup.tagsOf(id)), ...requestTagKeys(tags) },
      }));
    }
    default:
      // DescribeInstances, DescribeImages and the other Describe* actions: not resource-level.
      return [{ action: a, resource: '*' }];
  }
}

// ---- DynamoDB -----------------------------------------------------------------------------

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/** The IAM checks of one DynamoDB (or DynamoDB Streams) API request. */
export function dynamoRequests(
  target: string,
  body: Record<string, unknown>,
  region: string,
  account: string,
): AccessRequest[] {
  const op = target.split('.')[1] ?? target;
  const table = (name: string) =>
    name.startsWith('arn:') ? name : `arn:aws:dynamodb:${region}:${account}:table/${name}`;
  if (op === 'TransactWriteItems' || op === 'TransactGetItems')
    return ((body.TransactItems ?? []) as Record<string, { TableName: string }>[]).flatMap((item) =>
      Object.entries(item).map(([kind, v]) => ({
        action: TRANSACT_ACTIONS[kind] ?? `dynamodb:${kind}`,
        resource: table(v.TableName),
      })),
    );
  if (op === 'BatchGetItem' || op === 'BatchWriteItem')
    return Object.keys((body.RequestItems ?? {}) as object).map((t) => ({
      action: `dynamodb:${op}`,
      resource: table(t),
    }));
  const action = `dynamodb:${op}`;
  if (typeof body.StreamArn === 'string') return [{ action, resource: body.StreamArn }];
  if (typeof body.TableName === 'string')
    return [
      {
        action,
        resource:
          typeof body.IndexName === 'string'
            ? `${table(body.TableName)}/index/${body.IndexName}`
            : table(body.TableName),
      },
    ];
  return [{ action, resource: '*' }];
}

// ---- S3 -----------------------------------------------------------------------------------

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The IAM checks of one path-style S3 request. */
export function s3Requests(
  method: string,
  url: URL,
  headers: IncomingMessage['headers'],
  body: Buffer,
): AccessRequest[] {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const q = url.searchParams;
  const sub = [...q.keys()].find((k) =>
    [
      'tagging',
      'acl',
      'versions',
      'uploads',
      'location',
      'policy',
      'versioning',
      'delete',
      'attributes',
    ].includes(k),
  );
  if (!bucket) return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
  const bucketArn = `arn:aws:s3:::${decodeURIComponent(bucket)}`;
  if (!key) {
    const action =
      method === 'POST' && sub === 'delete'
        ? undefined
        : method === 'HEAD'
          ? 's3:ListBucket'
          : method === 'GET'
            ? sub === 'versions'
              ? 's3:ListBucketVersions'
              : sub === 'uploads'
                ? 's3:ListBucketMultipartUploads'
                : sub
                  ? `s3:GetBucket${cap(sub)}`
                  : 's3:ListBucket'
            : method === 'PUT'
              ? sub
                ? `s3:PutBucket${cap(sub)}`
                : 's3:CreateBucket'
              : method === 'DELETE'
                ? sub
                  ? `s3:DeleteBucket${cap(sub)}`
                  : 's3:DeleteBucket'
                : `s3:${method}Bucket`;
    if (action) return [{ action, resource: bucketArn }];
    // DeleteObjects: s3:DeleteObject on each key.
    const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
    return keys.map((k) => ({ action: 's3:DeleteObject', resource: `${bucketArn}/${unxml(k)}` }));
  }
  const resource = `${bucketArn}/${key}`;
  const version = q.has('versionId');
  const out: AccessRequest[] = [];
  switch (method) {
    case 'GET':
    case 'HEAD':
      out.push({
        action: sub ? `s3:GetObject${cap(sub)}` : version ? 's3:GetObjectVersion' : 's3:GetObject',
        resource,
      });
      break;
    case 'PUT': {
      out.push({ action: sub ? `s3:PutObject${cap(sub)}` : 's3:PutObject', resource });
      const copy = headers['x-amz-copy-source'];
      if (typeof copy === 'string') {
        const src = decodeURIComponent(copy.replace(/^\//, '').split('?')[0]!);
        out.push({ action: 's3:GetObject', resource: `arn:aws:s3:::${src}` });
      }
      break;
    }
    case 'POST':
      out.push({ action: 's3:PutObject', resource });
      break;
    case 'DELETE':
      out.push({
        action: q.has('uploadId')
          ? 's3:AbortMultipartUpload'
          : sub
            ? `s3:DeleteObject${cap(sub)}`
            : version
              ? 's3:DeleteObjectVersion'
              : 's3:DeleteObject',
        resource,
      });
      break;
    default:
      out.push({ action: `s3:${method}`, resource });
  }
  return out;
}

const unxml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

// ---- the proxy ----------------------------------------------------------------------------

export interface IamProxy {
  url: string;
  /**
   * S3 only: the same proxy standing for S3's plain-HTTP endpoint. Requests through `url` have
   * `aws:SecureTransport = true` (the proxy stands in for S3's TLS endpoint, which is what every
   * SDK client in Lambda uses); through `plainUrl`, `false`, so a bucket policy's TLS rule denies
   * them (D192). Nothing in the product is given this address.
   */
  plainUrl?: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of DynamoDB Local or s3rver that enforces the caller's IAM statements
 * and, for S3, the buckets' resource policies (`bucketPolicies`, from the template).
 */
export async function startIamProxy(opts: {
  service: 'dynamodb' | 's3';
  upstream: string;
  principals: Principals;
  region: string;
  account: string;
  /** S3: each bucket's policy statements (by bucket name). */
  bucketPolicies?: Record<string, ResourcePolicyStatement[]>;
}): Promise<IamProxy> {
  const up = new URL(opts.upstream);
  const resourcePolicy =
    opts.service === 's3' && opts.bucketPolicies
      ? bucketPolicyOf(opts.bucketPolicies, opts.account)
      : undefined;
  const handler = (secure: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://local');
      let denied: Error | undefined;
      try {
        denied = check(
          opts.principals,
          tokenOf(req.headers, url),
          () => {
            if (opts.service === 's3')
              return s3Requests(req.method ?? 'GET', url, req.headers, body).map((r) => ({
                ...r,
                context: { ...r.context, 'aws:SecureTransport': String(secure) },
              }));
            let json: Record<string, unknown> = {};
            try {
              json = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
            } catch {
              // Not JSON: DynamoDB answers it; nothing to authorize beyond the action.
            }
            return dynamoRequests(String(req.headers['x-amz-target'] ?? ''), json, opts.region, opts.account);
          },
          resourcePolicy,
        );
      } catch (e) {
        denied = e as Error;
      }
      if (denied) {
        if (opts.service === 's3')
          res
            .writeHead(403, { 'content-type': 'application/xml' })
            .end(
              `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${denied.name === 'AccessDeniedException' ? 'AccessDenied' : 'InvalidToken'}</Code><Message>${xml(denied.message)}</Message><RequestId>local</RequestId></Error>`,
            );
        else
          res
            .writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': denied.name })
            .end(
              JSON.stringify({ __type: `com.amazon.coral.service#${denied.name}`, message: denied.message }),
            );
        return;
      }
      const forward = httpRequest(
        {
          host: up.hostname,
          port: up.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.rawHeaders);
          upRes.pipe(res);
        },
      );
      forward.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`local ${opts.service} is unreachable: ${e.message}`);
      });
      forward.end(body);
    });
  };
  const server = createServer(handler(true));
  const port = await listenOnLoopback(server);
  const plain = opts.service === 's3' ? createServer(handler(false)) : undefined;
  const plainPort = plain ? await listenOnLoopback(plain) : undefined;
  const closeOne = (s: Server) =>
    new Promise<void>((r) => {
      s.closeAllConnections?.();
      s.close(() => r());
    });
  return {
    url: `http://127.0.0.1:${port}`,
    ...(plainPort ? { plainUrl: `http://127.0.0.1:${plainPort}` } : {}),
    server,
    close: async () => {
      await Promise.all([closeOne(server), ...(plain ? [closeOne(plain)] : [])]);
    },
  };
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
