/**
 * CloudWatch metrics in embedded metric format (Powertools): one `ApiProblem` count per problem
 * answered, by problem type and status class, so a rise in any one type (a client sending bad
 * cursors, a dependency answering 503) shows on its own. POWERTOOLS_METRICS_DISABLED turns it off
 * (the local runtime does).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { envOptional } from './env.ts';

export const METRICS_NAMESPACE = 'LCM';
export const API_PROBLEM_METRIC = 'ApiProblem';

let metrics: Metrics | undefined;

/** Counts one problem answer: dimensions stage, problem type, and status class (4xx or 5xx). */
export function countApiProblem(problem: string, status: number): void {
  metrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'lcm' });
  const one = metrics.singleMetric();
  one.addDimensions({
    stage: envOptional('stage') ?? 'unknown',
    problem,
    status_class: `${Math.floor(status / 100)}xx`,
  });
  one.addMetric(API_PROBLEM_METRIC, MetricUnit.Count, 1);
}
