/**
 * Standard Webhooks (standardwebhooks.com) for inbound events over HTTP: the sender signs
 * `<webhook-id>.<webhook-timestamp>.<body>` with HMAC-SHA256 under its own secret (`whsec_` +
 * base64 key) and sends `webhook-signature: v1,<base64>` (several, space-separated, while a secret
 * rotates). A delivery is accepted only with a valid signature of a secret of the calling client,
 * a timestamp within ±5 minutes of the clock, and (see commands.ts) a source that client may send.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Problem } from '../domain/problem.ts';

export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** One integration client's entry in the `webhooks` secret: its signing secret(s) and exact sources. */
export interface WebhookClient {
  secret: string | string[];
  sources: string[];
}
export type WebhookClients = Record<string, WebhookClient>;

const keyOf = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

/** The `webhook-signature` value a sender computes. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

const unauthorized = (detail: string) => new Problem('unauthorized', detail);

/**
 * Verifies a delivery against the client's secrets and the clock; answers the webhook id. Every
 * failure is a 401 that says what was wrong, never which secret was tried.
 */
export function verifyWebhook(
  headers: Record<string, string>,
  rawBody: string,
  client: WebhookClient | undefined,
  nowMs: number,
): { id: string; timestamp: number } {
  const id = headers[WEBHOOK_HEADERS.id];
  const ts = headers[WEBHOOK_HEADERS.timestamp];
  const signatures = headers[WEBHOOK_HEADERS.signature];
  if (!id || !ts || !signatures)
    throw unauthorized(
      'webhook-id, webhook-timestamp and webhook-signature are required (Standard Webhooks)',
    );
  if (id.length > 256) throw unauthorized('webhook-id is longer than 256 characters');
  if (!/^\d{1,12}$/.test(ts)) throw unauthorized('webhook-timestamp is not a Unix time in seconds');
  const timestamp = Number(ts);
  if (Math.abs(nowMs / 1000 - timestamp) > WEBHOOK_TOLERANCE_SECONDS)
    throw unauthorized(`webhook-timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s from now`);
  if (!client) throw unauthorized('this client has no webhook secret');
  const secrets = Array.isArray(client.secret) ? client.secret : [client.secret];
  const given = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  const ok = secrets.some((secret) => {
    const expected = Buffer.from(signWebhook(secret, id, timestamp, rawBody).slice(3), 'base64');
    return given.some((g) => g.length === expected.length && timingSafeEqual(g, expected));
  });
  if (!ok) throw unauthorized('no webhook-signature matches');
  return { id, timestamp };
}

/** The client may send events of this source (exactly; no prefixes). */
export function assertClientSource(client: WebhookClient, clientId: string, source: string): void {
  if (!client.sources.includes(source))
    throw new Problem('forbidden', `client ${clientId} may not send events of source "${source}"`, {
      errors: [{ pointer: '/source', detail: `allowed: ${client.sources.join(', ')}`, rule: 'source' }],
    });
}
