/**
 * The credentials the product holds for the systems it drives (CML workers and their devices,
 * the lab delivery system), read from Secrets Manager and kept for five minutes per process. They
 * are read here, by the adapters that use them, and never travel in payloads or job input.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Problem } from '../domain/problem.ts';
import { isSecretReference, type Credentials } from '../domain/secrets.ts';
import { secretsClientOnFirstUse } from '../runtime/aws-on-first-use.ts';
import { envOptional, type EnvKey } from '../runtime/env.ts';

export interface CmlCredentials {
  cml?: { username: string; password: string };
  devices?: { username?: string; password?: string; enable_password?: string };
}

export interface LdsCredentials {
  url?: string;
  token?: string;
}

const SECRETS = {
  cml: { arn: 'cmlSecretArn', inline: 'cmlCredentials' },
  lds: { arn: 'ldsSecretArn', inline: 'ldsCredentials' },
  webhooks: { arn: 'webhookSecretArn', inline: 'webhookClients' },
} as const satisfies Record<string, { arn: EnvKey; inline: EnvKey }>;

const TTL_MS = 300_000;
const cache = new Map<string, { at: number; value: unknown }>();

/**
 * A secret's JSON value: the inline variable where the local runtime sets one, otherwise the
 * secret the topology binds; `{}` where neither is set. A value that is not JSON is refused
 * without quoting it.
 */
export async function readSecret<T>(
  name: keyof typeof SECRETS,
  now: number,
  client?: SecretsManagerClient,
): Promise<T> {
  const inline = envOptional(SECRETS[name].inline);
  if (inline) return parse<T>(inline, name);
  const arn = envOptional(SECRETS[name].arn);
  if (!arn) return {} as T;
  const hit = cache.get(arn);
  if (hit && now - hit.at < TTL_MS) return hit.value as T;
  // Secrets Manager loads on the first secret read (D212): cached five minutes, and the local
  // runtime sets the inline variables, so most invocations never call it.
  const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await (client ?? (await secretsClientOnFirstUse())).send(
    new GetSecretValueCommand({ SecretId: arn }),
  );
  const value = parse<T>(out.SecretString ?? '{}', name);
  cache.set(arn, { at: now, value });
  return value;
}

function parse<T>(text: string, name: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Problem('unauthorized', `the ${name} secret is not a JSON document`);
  }
}

export const cmlCredentials = (now: number) => readSecret<CmlCredentials>('cml', now);
export const ldsCredentials = (now: number) => readSecret<LdsCredentials>('lds', now);

/**
 * A secret reference content names (`secret: cml/devices`) resolved to credentials. Only this
 * adapter reads them; an unknown reference or an unreadable secret is refused with a message that
 * names the reference, never a value.
 */
export async function resolveSecretReference(ref: string, now: number): Promise<Credentials> {
  if (!isSecretReference(ref)) throw new Problem('validation-error', `unknown secret reference ${ref}`);
  const creds = await cmlCredentials(now);
  const picked = ref === 'cml/api' ? creds.cml : creds.devices;
  const out: Credentials = {};
  for (const k of ['username', 'password', 'enable_password'] as const)
    if (typeof picked?.[k as keyof typeof picked] === 'string') out[k] = picked[k as keyof typeof picked];
  return out;
}
