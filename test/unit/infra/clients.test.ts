import { Readable } from 'node:stream';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { perClients, resetClients } from '../../../shared/runtime/aws.ts';
import { dynamoClient } from '../../../shared/runtime/aws-dynamodb.ts';
import { QUIET_SDK_LOGGER } from '../../../shared/runtime/sdk-logger.ts';

describe('SDK clients, once per process', () => {
  it('perClients builds once per set of clients and again after resetClients (no stale client kept)', () => {
    resetClients();
    let built = 0;
    const holder = perClients(() => ({ n: ++built, client: dynamoClient() }));
    const a = holder();
    expect(holder()).toBe(a);
    expect(built).toBe(1);
    expect(a.client).toBe(dynamoClient());

    resetClients(); // the local runtime re-pointing endpoints
    const b = holder();
    expect(built).toBe(2);
    expect(b.client).not.toBe(a.client);
    expect(b.client).toBe(dynamoClient());
    expect(holder()).toBe(b);
  });
});

describe('the DynamoDB client does no work for logs nobody writes (D270)', () => {
  /** A request handler that answers every request with an empty 200, counting requests. */
  const answering = () => {
    const handler = {
      requests: 0,
      handle: async () => {
        handler.requests++;
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from('{}')]),
          },
        };
      },
    };
    return handler;
  };

  /** Counts the calls of the redacted-copy filters the SDK's logger middleware may run per request. */
  function countFilters(client: DynamoDBClient) {
    const calls = { n: 0 };
    client.middlewareStack.add(
      (next, context) => async (args) => {
        for (const k of ['inputFilterSensitiveLog', 'outputFilterSensitiveLog'] as const) {
          const f = context[k] as ((v: unknown) => unknown) | undefined;
          if (f)
            context[k] = (v: unknown) => {
              calls.n++;
              return f(v);
            };
        }
        return next(args);
      },
      { step: 'initialize', priority: 'high' },
    );
    return calls;
  }

  it('a PutItem through the runtime client runs neither filter; the SDK default client runs both', async () => {
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'a');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'b');
    resetClients();
    const ours = dynamoClient();
    const handler = answering();
    Object.assign(ours.config, { requestHandler: handler });
    const oursCalls = countFilters(ours);
    const put = { TableName: 't', Item: { pk: { S: 'a' }, sk: { S: 'b' } } };
    await ours.send(new PutItemCommand(put));
    expect(handler.requests).toBe(1);
    expect(oursCalls.n).toBe(0);

    // The control: the SDK's default logger makes the same request build both redacted copies.
    const plain = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    Object.assign(plain.config, { requestHandler: answering() });
    const plainCalls = countFilters(plain);
    await plain.send(new PutItemCommand(put));
    expect(plainCalls.n).toBe(2);
    vi.unstubAllEnvs();
    resetClients();
  });
});

describe('every SDK client is built without the logger work (D237)', () => {
  it('the product’s clients and the local runtime’s own carry the quiet logger (no info)', async () => {
    vi.stubEnv('AWS_REGION', 'us-east-1');
    resetClients();
    const { eventBridgeClient } = await import('../../../shared/runtime/aws-eventbridge.ts');
    const { sfnClient } = await import('../../../shared/runtime/aws-sfn.ts');
    const { lambdaClient } = await import('../../../shared/runtime/aws-lambda.ts');
    const { ecsClient } = await import('../../../shared/runtime/aws-ecs.ts');
    const { s3Client } = await import('../../../shared/runtime/aws-s3.ts');
    const { ec2Client } = await import('../../../shared/runtime/aws-ec2.ts');
    const { lambdaClientOnFirstUse, ecsClientOnFirstUse, secretsClientOnFirstUse } =
      await import('../../../shared/runtime/aws-on-first-use.ts');
    const clients = {
      dynamodb: dynamoClient(),
      eventbridge: eventBridgeClient(),
      sfn: sfnClient(),
      lambda: lambdaClient(),
      ecs: ecsClient(),
      s3: s3Client(),
      ec2: ec2Client(),
      'lambda (first use)': await lambdaClientOnFirstUse(),
      'ecs (first use)': await ecsClientOnFirstUse(),
      'secrets (first use)': await secretsClientOnFirstUse(),
    };
    for (const [name, c] of Object.entries(clients)) {
      const logger = (c as { config: { logger?: object } }).config.logger;
      expect(logger, name).toBe(QUIET_SDK_LOGGER);
      expect(logger, name).not.toHaveProperty('info');
    }
    vi.unstubAllEnvs();
    resetClients();
  });
});
