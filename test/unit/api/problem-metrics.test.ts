/** Every problem the API answers is counted by type (embedded metric format), 4xx and 5xx alike. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.LCM_STAGE = 'test';

const { httpHandler, route } = await import('../../../shared/api/http.ts');
const { Problem } = await import('../../../shared/domain/problem.ts');
const { API_PROBLEM_METRIC, METRICS_NAMESPACE } = await import('../../../shared/runtime/metrics.ts');

const handler = httpHandler([
  route(
    {
      method: 'GET',
      path: '/v1/things/{id}',
      scope: 'public',
      operationId: 'getThing',
      summary: 't',
      tags: ['t'],
      responses: { 200: { description: 'ok' } },
    },
    async (req) => {
      if (req.path.endsWith('missing')) throw new Problem('not-found', 'no thing');
      if (req.path.endsWith('boom')) throw new Error('internals');
      return { status: 200, body: {} };
    },
  ),
]);

const call = (path: string) =>
  handler(
    {
      version: '2.0',
      routeKey: 'GET /v1/things/{id}',
      rawPath: path,
      headers: {},
      requestContext: { requestId: 'r' },
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2,
    { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 } as unknown as Context,
  ) as Promise<{ statusCode: number }>;

/** The EMF documents written while `run` ran. */
async function emitted(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(() => vi.restoreAllMocks());

describe('problem metrics', () => {
  it.each([
    ['/v1/things/missing', 404, 'not-found', '4xx'],
    ['/v1/things/boom', 500, 'internal', '5xx'],
  ])('%s → %i counts ApiProblem{problem=%s}', async (path, status, problem, statusClass) => {
    let answer: { statusCode: number } | undefined;
    const docs = await emitted(async () => (answer = await call(path)));
    expect(answer!.statusCode).toBe(status);
    const doc = docs.find((d) => d.problem === problem);
    expect(doc, JSON.stringify(docs)).toMatchObject({
      [API_PROBLEM_METRIC]: 1,
      problem,
      stage: 'test',
      status_class: statusClass,
    });
    const meta = (doc!._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] })
      .CloudWatchMetrics[0]!;
    expect(meta.Namespace).toBe(METRICS_NAMESPACE);
    expect(meta.Dimensions[0]).toEqual(expect.arrayContaining(['stage', 'problem', 'status_class']));
  });

  it('an answer that is not a problem counts nothing', async () => {
    expect(await emitted(() => call('/v1/things/fine'))).toEqual([]);
  });
});
