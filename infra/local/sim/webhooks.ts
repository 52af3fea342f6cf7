/**
 * How the simulated lab delivery system and graders deliver CloudEvents to the local API: as
 * signed Standard Webhooks, with the secrets the local runtime registers for them
 * (LCM_WEBHOOK_CLIENTS, the inline form of the `webhooks` secret).
 */
import { randomUUID } from 'node:crypto';
import { signWebhook, type WebhookClients } from '../../../shared/inbound/webhooks.ts';

/** The local runtime's webhook clients: the developer (curl, tests) and the simulators. */
export const LOCAL_WEBHOOK_CLIENTS: WebhookClients = {
  'local-developer': {
    secret: `whsec_${Buffer.from('local-developer-webhook-secret!').toString('base64')}`,
    sources: ['lds.lab-delivery', 'lds.local', 'grader.local'],
  },
  'lds-simulator': {
    secret: `whsec_${Buffer.from('local-lds-simulator-webhook-key').toString('base64')}`,
    sources: ['lds.local'],
  },
  'grader-simulator': {
    secret: `whsec_${Buffer.from('local-grader-simulator-hook-key').toString('base64')}`,
    sources: ['grader.local'],
  },
};

/** The headers and body of one signed delivery of `event` by `client` at `nowMs`. */
export function signedDelivery(
  event: Record<string, unknown>,
  opts: { client?: string; nowMs?: number; webhookId?: string; clients?: WebhookClients } = {},
): { headers: Record<string, string>; body: string } {
  const client = opts.client ?? 'local-developer';
  const entry = (opts.clients ?? LOCAL_WEBHOOK_CLIENTS)[client];
  if (!entry) throw new Error(`no local webhook client ${client}`);
  const secret = Array.isArray(entry.secret) ? entry.secret[0]! : entry.secret;
  const id = opts.webhookId ?? `msg_${randomUUID()}`;
  const timestamp = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  const body = JSON.stringify(event);
  return {
    body,
    headers: {
      'content-type': 'application/cloudevents+json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, id, timestamp, body),
    },
  };
}
