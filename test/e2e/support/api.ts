import { S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { checkAgainstOpenApi } from './openapi.ts';

export const apiUrl = () => inject('apiUrl');
export const hasLocalEndpoints = () => inject('localEndpoints');

export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(apiUrl() + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed = (text ? JSON.parse(text) : undefined) as T;
  await checkAgainstOpenApi(apiUrl(), method, path, {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    body: parsed,
  });
  return { status: res.status, body: parsed, headers: res.headers };
}

export interface BusEvent {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: { id: string; type: string; subject?: string; data: Record<string, unknown> };
}

/** Everything published on the bus so far (local runtime only). */
export async function busEvents(since = 0): Promise<BusEvent[]> {
  const { body } = await api<{ events: BusEvent[] }>('GET', `/local/events/log?since=${since}`);
  return body.events;
}

export { waitFor } from '../../helpers/wait.ts';

/** Points this process's AWS SDK clients at the target's services (its content bucket, …). */
export function useTargetAwsEnv(): Record<string, string> {
  const env = inject('awsEnv');
  Object.assign(process.env, env);
  return env;
}

/**
 * The target's content bucket and a client for it (endpoints from the standard SDK variables, so
 * the same code reaches the local s3rver or a LocalStack deployment).
 */
export function contentBucket(): { s3: S3Client; bucket: string } {
  const env = useTargetAwsEnv();
  return {
    bucket: env.LCM_CONTENT_BUCKET ?? process.env.LCM_CONTENT_BUCKET!,
    s3: new S3Client({
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  };
}
