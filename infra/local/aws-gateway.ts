/**
 * One loopback endpoint for the AWS APIs that have no emulator process here: EventBridge
 * (AWSEvents.*), Step Functions (AWSStepFunctions.*), Lambda Invoke and ECS ListTasks/StopTask
 * (the job tasks). The product's real SDK clients reach it through AWS_ENDPOINT_URL_EVENTBRIDGE /
 * _SFN / _LAMBDA / _ECS, exactly as they would
 * reach LocalStack or AWS.
 */
import { listenOnLoopback } from './ports.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalEventBus } from './event-bus.ts';
import type { LocalFunctions } from './functions.ts';
import { check, ecsRequests, tokenOf, type Principals } from './iam-endpoints.ts';
import type { AccessRequest } from './iam.ts';
import { handleEcs } from './tasks.ts';
import { LocalAsyncInvoker } from './async-invoke.ts';
import { systemClock } from '../../shared/domain/clock.ts';

export interface SfnLike {
  handle(action: string, body: unknown): Promise<unknown>;
  /** The state machine a task token was issued by (for IAM on SendTask*). */
  machineArnOfToken?(token: string): string | undefined;
}

export interface AwsGateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startAwsGateway(deps: {
  bus: LocalEventBus;
  sfn: SfnLike;
  fns: LocalFunctions;
  /**
   * Asynchronous invocations (retries and dead letters per the template's EventInvokeConfig);
   * absent, one with Lambda's defaults on the system clock.
   */
  asyncInvoker?: LocalAsyncInvoker;
  /** The callers' roles; absent, every call is allowed (unit tests of the emulation itself). */
  principals?: Principals;
  region: string;
  accountId: string;
  port?: number;
}): Promise<AwsGateway> {
  const { region, accountId } = deps;
  const asyncInvoker =
    deps.asyncInvoker ??
    new LocalAsyncInvoker({
      invoke: (n, p) => deps.fns.invoke(n, p),
      arn: (n) => deps.fns.arn(deps.fns.resolveName(n)),
      config: () => undefined,
      clock: systemClock,
    });
  const busArn = (name: string) =>
    name.startsWith('arn:') ? name : `arn:aws:events:${region}:${accountId}:event-bus/${name}`;
  const machineArn = (name: string) => `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;

  /** The IAM checks of one EventBridge or Step Functions call. */
  function requests(service: string, action: string, body: Record<string, unknown>): AccessRequest[] {
    if (service === 'AWSEvents') {
      const a = `events:${action}`;
      if (action === 'PutEvents')
        return ((body.Entries ?? []) as { EventBusName?: string }[]).map((e) => ({
          action: a,
          resource: busArn(e.EventBusName ?? 'default'),
        }));
      if (action === 'DescribeEventBus')
        return [{ action: a, resource: busArn(String(body.Name ?? 'default')) }];
      return [{ action: a, resource: '*' }];
    }
    const a = `states:${action}`;
    switch (action) {
      case 'CreateStateMachine':
        return [
          { action: a, resource: machineArn(String(body.name)) },
          {
            action: 'iam:PassRole',
            resource: String(body.roleArn),
            context: { 'iam:PassedToService': 'states.amazonaws.com' },
          },
        ];
      case 'UpdateStateMachine':
        return [
          { action: a, resource: String(body.stateMachineArn) },
          ...(body.roleArn
            ? [
                {
                  action: 'iam:PassRole',
                  resource: String(body.roleArn),
                  context: { 'iam:PassedToService': 'states.amazonaws.com' },
                },
              ]
            : []),
        ];
      case 'SendTaskSuccess':
      case 'SendTaskFailure':
      case 'SendTaskHeartbeat':
        return [{ action: a, resource: deps.sfn.machineArnOfToken?.(String(body.taskToken)) ?? '*' }];
      case 'ListStateMachines':
        return [{ action: a, resource: '*' }];
      case 'TagResource':
        return [{ action: a, resource: String(body.resourceArn) }];
      default: {
        const arn = body.executionArn ?? body.stateMachineArn;
        return [{ action: a, resource: typeof arn === 'string' ? arn : '*' }];
      }
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((e) => sendError(res, 500, 'InternalFailure', (e as Error).message));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const token = tokenOf(req.headers, new URL(req.url ?? '/', 'http://local'));
    const lambdaMatch = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    if (lambdaMatch) {
      const name = decodeURIComponent(lambdaMatch[1]!);
      const denied =
        deps.principals &&
        check(deps.principals, token, () => [
          {
            action: 'lambda:InvokeFunction',
            resource: name.startsWith('arn:')
              ? name
              : `arn:aws:lambda:${region}:${accountId}:function:${name}`,
          },
        ]);
      if (denied) return sendError(res, 403, denied.name, denied.message, 'rest');
      return invokeLambda(name, raw, req, res);
    }
    let body: Record<string, unknown>;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      return sendError(res, 400, 'SerializationException', 'body is not JSON');
    }
    const [service = '', action = ''] = target.split('.');
    if (deps.principals && (service === 'AWSEvents' || service === 'AWSStepFunctions')) {
      const denied = check(deps.principals, token, () => requests(service, action, body));
      if (denied)
        return sendError(res, 400, denied.name, denied.message, service === 'AWSEvents' ? '1.1' : '1.0');
    }
    if (service === 'AWSEvents') return events(action, body, res);
    if (service === 'AWSStepFunctions') {
      try {
        return sendJson(res, 200, (await deps.sfn.handle(action, body)) ?? {}, '1.0');
      } catch (e) {
        const err = e as Error & { statusCode?: number };
        return sendError(res, err.statusCode ?? 400, err.name || 'ValidationException', err.message, '1.0');
      }
    }
    if (service === 'AmazonEC2ContainerServiceV20141113') {
      const denied =
        deps.principals && check(deps.principals, token, () => ecsRequests(action, body, region, accountId));
      if (denied) return sendError(res, 400, denied.name, denied.message);
      try {
        return sendJson(res, 200, handleEcs(action ?? '', body));
      } catch (e) {
        return sendError(res, 400, (e as Error).name, (e as Error).message);
      }
    }
    return sendError(res, 400, 'UnknownOperationException', `no local service for "${target}"`);
  }

  function events(action: string, body: Record<string, unknown>, res: ServerResponse) {
    const arn = `arn:aws:events:${deps.region}:${deps.accountId}:event-bus/${deps.bus.busName}`;
    switch (action) {
      case 'PutEvents':
        try {
          return sendJson(res, 200, deps.bus.putEvents(body.Entries as never));
        } catch (e) {
          return sendError(res, 400, (e as Error).name, (e as Error).message);
        }
      case 'DescribeEventBus': {
        const name = String(body.Name ?? 'default');
        if (name !== deps.bus.busName && name !== 'default' && name !== arn)
          return sendError(res, 400, 'ResourceNotFoundException', `Event bus ${name} does not exist.`);
        return sendJson(res, 200, { Name: deps.bus.busName, Arn: arn });
      }
      case 'ListRules':
        return sendJson(res, 200, {
          Rules: deps.bus.rules.map((r) => ({
            Name: r.name,
            EventBusName: deps.bus.busName,
            EventPattern: JSON.stringify(r.trigger.pattern),
            State: 'ENABLED',
          })),
        });
      default:
        return sendError(
          res,
          400,
          'UnknownOperationException',
          `AWSEvents.${action} is not emulated locally`,
        );
    }
  }

  async function invokeLambda(name: string, raw: Buffer, req: IncomingMessage, res: ServerResponse) {
    if (!deps.fns.has(name))
      return sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`, 'rest');
    let payload: unknown;
    try {
      payload = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      return sendError(
        res,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json',
        'rest',
      );
    }
    if (req.headers['x-amz-invocation-type'] === 'Event') {
      // Asynchronous invocation: queued, retried and dead-lettered per the function's
      // EventInvokeConfig (async-invoke.ts).
      asyncInvoker.invoke(deps.fns.resolveName(name), payload);
      res.writeHead(202, { 'content-type': 'application/json' }).end();
      return;
    }
    try {
      const out = await deps.fns.invoke(name, payload);
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' })
        .end(JSON.stringify(out ?? null));
    } catch (e) {
      const err = e as Error;
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
        .end(JSON.stringify({ errorType: err.name, errorMessage: err.message }));
    }
  }

  const port = await listenOnLoopback(server, deps.port);
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((r) => {
        if (!deps.asyncInvoker) asyncInvoker.close();
        server.close(() => r());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, json: '1.0' | '1.1' = '1.1') {
  res.writeHead(status, { 'content-type': `application/x-amz-json-${json}` }).end(JSON.stringify(body));
}

function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  proto: '1.0' | '1.1' | 'rest' = '1.1',
) {
  const headers: Record<string, string> = {
    'content-type': proto === 'rest' ? 'application/json' : `application/x-amz-json-${proto}`,
    'x-amzn-errortype': type,
  };
  res.writeHead(status, headers).end(JSON.stringify({ __type: type, message, Message: message }));
}
