/**
 * The local cloud's EC2 endpoint: EC2's Query protocol (form-encoded `Action=…` POSTs, XML
 * answers, `<Response><Errors>` with EC2's real error codes) in front of the simulator, so the
 * product's real `@aws-sdk/client-ec2` code reaches it through AWS_ENDPOINT_URL_EC2 unchanged.
 * Actions: RunInstances, DescribeInstances, DescribeImages, StartInstances, StopInstances,
 * TerminateInstances, CreateTags. Anything else is `InvalidAction`, as EC2 answers.
 *
 * With `auth`, each request is checked as IAM authorizes it (`ec2Requests` in iam-endpoints.ts)
 * against the statements of the caller's role, known from its session token (D191): a denial is
 * EC2's `UnauthorizedOperation` (403) naming the assumed role and function, the action and the
 * resource. A request without a local session token is the developer's (admin).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './ports.ts';
import { Ec2SimError, type Ec2Simulator, type SimInstance } from './sim/ec2-sim.ts';
import { check, ec2Requests, tokenOf, type Principals } from './iam-endpoints.ts';
import { launchNetwork, queryList, queryTags, tagSpecifications } from './ec2-query.ts';

export interface Ec2Auth {
  principals: Principals;
  region: string;
  account: string;
  /** The roles each instance profile passes (from the template), by the profile's ARN. */
  instanceProfiles: Record<string, string[]>;
}

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const OWNER = '000000000000';
const STATE_CODE: Record<string, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface Ec2Endpoint {
  url: string;
  calls: string[];
  close(): Promise<void>;
}

export async function startEc2Endpoint(
  sim: Ec2Simulator,
  port = 0,
  /** The callers' roles (absent, or answering undefined: every call is allowed). */
  auth?: () => Ec2Auth | undefined,
): Promise<Ec2Endpoint> {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const params = new URLSearchParams(Buffer.concat(chunks).toString());
    const action = params.get('Action') ?? '';
    calls.push(action);
    const requestId = randomUUID();
    const send = (status: number, xml: string) =>
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' }).end(xml);
    const a = auth?.();
    const denied =
      a &&
      check(a.principals, tokenOf(req.headers, new URL(req.url ?? '/', 'http://local')), () =>
        ec2Requests(
          action,
          params,
          {
            tagsOf: (id) => sim.instances.get(id)?.tags,
            rolesOfProfile: (arn) => a.instanceProfiles[arn] ?? [],
          },
          a.region,
          a.account,
        ),
      );
    if (denied) {
      const [code, status, message] =
        denied.name === 'AccessDeniedException'
          ? [
              'UnauthorizedOperation',
              403,
              `You are not authorized to perform this operation. ${denied.message}`,
            ]
          : ['AuthFailure', 401, denied.message];
      return send(
        status,
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      );
    }
    try {
      const body = answer(sim, action, params);
      send(
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NS}"><requestId>${requestId}</requestId>${body}</${action}Response>`,
      );
    } catch (e) {
      const err = e instanceof Ec2SimError ? e : new Ec2SimError('InternalError', (e as Error).message, 500);
      send(
        err.status,
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(err.code)}</Code><Message>${esc(err.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      );
    }
  }
  const bound = await listenOnLoopback(server, port);
  return {
    url: `http://127.0.0.1:${bound}`,
    calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function answer(sim: Ec2Simulator, action: string, p: URLSearchParams): string {
  switch (action) {
    case 'DescribeImages': {
      const images = sim.describeImages(filters(p), queryList(p, 'Owner'));
      return `<imagesSet>${images
        .map(
          (i) =>
            `<item><imageId>${i.id}</imageId><name>${esc(i.name)}</name><creationDate>${i.created}</creationDate><imageState>available</imageState><imageOwnerId>${OWNER}</imageOwnerId></item>`,
        )
        .join('')}</imagesSet>`;
    }
    case 'RunInstances': {
      const min = Number(p.get('MinCount') ?? 1);
      const max = Number(p.get('MaxCount') ?? 1);
      if (!(min >= 1 && max >= min))
        throw new Ec2SimError('InvalidParameterValue', 'MinCount and MaxCount must be >= 1');
      const image = p.get('ImageId');
      const type = p.get('InstanceType');
      if (!image) throw new Ec2SimError('MissingParameter', 'The request must contain the parameter ImageId');
      if (!type)
        throw new Ec2SimError('MissingParameter', 'The request must contain the parameter InstanceType');
      const i = sim.run({
        image,
        type,
        ...launchNetwork(p),
        tags: tagSpecifications(p).instance ?? {},
        ...(p.get('ClientToken') ? { client_token: p.get('ClientToken')! } : {}),
        public_ip: p.get('NetworkInterface.1.AssociatePublicIpAddress') === 'true',
      });
      return `<reservationId>r-${i.id.slice(2)}</reservationId><ownerId>${OWNER}</ownerId><instancesSet>${instanceXml(i)}</instancesSet>`;
    }
    case 'DescribeInstances': {
      const f = filters(p);
      const ids = [...queryList(p, 'InstanceId'), ...(f['instance-id'] ?? [])];
      const direct = queryList(p, 'InstanceId');
      for (const id of direct)
        if (!sim.instances.has(id))
          throw new Ec2SimError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      const tags = Object.fromEntries(
        Object.entries(f)
          .filter(([k]) => k.startsWith('tag:'))
          .map(([k, v]) => [k.slice(4), v]),
      );
      const found = sim.describe({
        ...(ids.length ? { ids } : {}),
        tags,
        ...(f['instance-state-name'] ? { states: f['instance-state-name'] } : {}),
      });
      return `<reservationSet>${found
        .map(
          (i) =>
            `<item><reservationId>r-${i.id.slice(2)}</reservationId><ownerId>${OWNER}</ownerId><instancesSet>${instanceXml(i)}</instancesSet></item>`,
        )
        .join('')}</reservationSet>`;
    }
    case 'StartInstances':
    case 'StopInstances':
    case 'TerminateInstances': {
      const ids = queryList(p, 'InstanceId');
      if (!ids.length)
        throw new Ec2SimError('MissingParameter', 'The request must contain the parameter InstanceId');
      const op = action === 'StartInstances' ? 'start' : action === 'StopInstances' ? 'stop' : 'terminate';
      const changes = ids.map((id) => ({ id, ...sim[op](id) }));
      return `<instancesSet>${changes
        .map(
          (c) =>
            `<item><instanceId>${c.id}</instanceId><currentState><code>${STATE_CODE[c.current]}</code><name>${c.current}</name></currentState><previousState><code>${STATE_CODE[c.previous]}</code><name>${c.previous}</name></previousState></item>`,
        )
        .join('')}</instancesSet>`;
    }
    case 'CreateTags': {
      sim.tag(queryList(p, 'ResourceId'), queryTags(p));
      return '<return>true</return>';
    }
    default:
      throw new Ec2SimError('InvalidAction', `The action ${action} is not valid for this web service.`);
  }
}

function instanceXml(i: SimInstance): string {
  const tags = Object.entries(i.tags)
    .map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`)
    .join('');
  return `<item><instanceId>${i.id}</instanceId><imageId>${i.image}</imageId><instanceState><code>${STATE_CODE[i.state]}</code><name>${i.state}</name></instanceState><instanceType>${i.type}</instanceType><privateIpAddress>${i.private_ip}</privateIpAddress>${i.public_ip ? `<ipAddress>${i.public_ip}</ipAddress>` : ''}${i.subnet ? `<subnetId>${i.subnet}</subnetId>` : ''}<groupSet>${i.groups.map((g) => `<item><groupId>${g}</groupId></item>`).join('')}</groupSet><tagSet>${tags}</tagSet></item>`;
}

/** `Filter.1.Name=x&Filter.1.Value.1=y` → { x: [y] }. */
function filters(p: URLSearchParams): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let n = 1; p.has(`Filter.${n}.Name`); n++)
    out[p.get(`Filter.${n}.Name`)!] = queryList(p, `Filter.${n}.Value`);
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
