/**
 * AWS public list prices, us-east-1, as used for the bill per session (docs/performance.md).
 * Recorded 2026-12-02 from the pricing pages named beside each figure; they change: re-check
 * them before quoting a figure. Lambda and Fargate are the arm64 prices (the topology deploys
 * ARM_64 functions and an ARM64 task). Free tiers are ignored.
 */
export const PRICES = {
  region: 'us-east-1',
  recorded: '2026-12-02',
  /** https://aws.amazon.com/step-functions/pricing/ — Standard workflows, per state transition. */
  sfnTransition: 0.025 / 1000,
  /** https://aws.amazon.com/lambda/pricing/ — requests, and duration on arm64 per GB-second. */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — on-demand write and read request units. */
  dynamodbWriteUnit: 0.625 / 1e6,
  dynamodbReadUnit: 0.125 / 1e6,
  /** https://aws.amazon.com/eventbridge/pricing/ — custom events put, per 64 KB chunk. */
  eventChunk: 1.0 / 1e6,
  /** https://aws.amazon.com/fargate/pricing/ — Linux/ARM, per vCPU-hour and GB-hour (1 minute minimum). */
  fargateVcpuHour: 0.03238,
  fargateGbHour: 0.00356,
} as const;

export interface Priced {
  stepFunctions: number;
  lambdaRequests: number;
  lambdaDuration: number;
  dynamodbWrites: number;
  eventBridge: number;
  fargate: number;
  total: number;
}

export function price(c: {
  sfnTransitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  writeUnits: number;
  eventChunks: number;
  taskVcpuSeconds: number;
  taskGbSeconds: number;
}): Priced {
  const p = {
    stepFunctions: c.sfnTransitions * PRICES.sfnTransition,
    lambdaRequests: c.lambdaInvocations * PRICES.lambdaRequest,
    lambdaDuration: c.lambdaGbSeconds * PRICES.lambdaGbSecond,
    dynamodbWrites: c.writeUnits * PRICES.dynamodbWriteUnit,
    eventBridge: c.eventChunks * PRICES.eventChunk,
    fargate:
      (c.taskVcpuSeconds / 3600) * PRICES.fargateVcpuHour + (c.taskGbSeconds / 3600) * PRICES.fargateGbHour,
  };
  return { ...p, total: Object.values(p).reduce((a, b) => a + b, 0) };
}
