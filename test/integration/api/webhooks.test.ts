/**
 * Issue 16, finding 3: inbound events over HTTP are Standard Webhooks: signed with the sending
 * client's secret (HMAC-SHA256 over `id.timestamp.body`), within ±5 minutes of the clock, from a
 * source that client may send, and applied once per webhook id for as long as the archive keeps
 * events, with the body compared.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localToken } from '../../../infra/local/api-server.ts';
import { system } from '../../../infra/system.ts';
import { startLocalApi, type LocalApiHarness } from '../../helpers/local-api.ts';

const LDS_SECRET = `whsec_${Buffer.from('lds-client-secret-0123456789abcdef').toString('base64')}`;
const GRADER_SECRET = `whsec_${Buffer.from('grader-client-secret-0123456789ab').toString('base64')}`;
const NOW = Date.parse('2030-01-01T08:00:00Z');

let api: LocalApiHarness;
let sessionId: string;
beforeAll(async () => {
  api = await startLocalApi({
    now: new Date(NOW).toISOString(),
    extraEnv: {
      LCM_WEBHOOK_CLIENTS: JSON.stringify({
        'lds-client': { secret: LDS_SECRET, sources: ['lds.lab-delivery'] },
        'grader-client': { secret: GRADER_SECRET, sources: ['grader.auto'] },
      }),
    },
  });
  const r = await api.request<{ session: { id: string } }>('POST', '/v1/sessions', {
    body: {
      fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
      timeslot: { start: '2030-01-02T08:00:00Z', end: '2030-01-02T10:00:00Z' },
      candidate: { candidate_id: 'c-1' },
    },
  });
  sessionId = r.body.session.id;
});
afterAll(() => api?.stop());

/** What a Standard Webhooks sender computes. */
function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

let n = 0;
function deliver(
  client: string,
  secret: string,
  over: { source?: string; id?: string; at?: number; signature?: string; body?: string; omit?: string } = {},
) {
  const id = over.id ?? `msg_${++n}`;
  const at = over.at ?? Math.floor(NOW / 1000);
  const body =
    over.body ??
    JSON.stringify({
      specversion: '1.0',
      id: `evt-${id}`,
      source: over.source ?? 'lds.lab-delivery',
      type: 'lds.session.running.v1',
      subject: `sessions/${sessionId}/parts/1`,
    });
  const headers: Record<string, string> = {
    'content-type': 'application/cloudevents+json',
    authorization: `Bearer ${localToken({ sub: client, client_id: client, scope: 'lcm/integration' })}`,
    'webhook-id': id,
    'webhook-timestamp': String(at),
    'webhook-signature': over.signature ?? sign(secret, id, at, body),
  };
  if (over.omit) delete headers[over.omit];
  return api.request<{ outcome?: string; type?: string }>('POST', '/v1/events', { body, headers });
}

describe('signed inbound webhooks', () => {
  it('a valid delivery from a client for its own source is accepted', async () => {
    const r = await deliver('lds-client', LDS_SECRET);
    expect(r.status, r.text).toBe(202);
    expect(['applied', 'ignored']).toContain(r.body.outcome);
  });

  it.each([
    ['a bad signature', { signature: 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }],
    [
      'a signature made with another secret',
      { signature: sign(GRADER_SECRET, 'msg_x', Math.floor(NOW / 1000), '{}') },
    ],
    ['a stale timestamp (6 minutes old)', { at: Math.floor(NOW / 1000) - 360 }],
    ['a timestamp 6 minutes ahead', { at: Math.floor(NOW / 1000) + 360 }],
    ['no signature', { omit: 'webhook-signature' }],
    ['no webhook id', { omit: 'webhook-id' }],
  ])('%s → 401, nothing changed', async (_what, over) => {
    const before = await api.snapshot();
    const r = await deliver('lds-client', LDS_SECRET, over);
    expect(r.status, r.text).toBe(401);
    expect(r.body.type).toBe('urn:lcm:problem:unauthorized');
    expect(await api.snapshot()).toBe(before);
  });

  it('a client without a webhook secret → 401', async () => {
    expect((await deliver('stranger', LDS_SECRET)).status).toBe(401);
  });

  it('a validly signed event from a source the client may not send → 403, nothing changed', async () => {
    const before = await api.snapshot();
    const r = await deliver('grader-client', GRADER_SECRET, { source: 'lds.lab-delivery' });
    expect(r.status, r.text).toBe(403);
    // Not by prefix: a lookalike source is refused too.
    expect((await deliver('lds-client', LDS_SECRET, { source: 'lds.lab-delivery.evil' })).status).toBe(403);
    expect(await api.snapshot()).toBe(before);
  });

  it('a replayed webhook id is a duplicate for as long as the archive keeps events; another body under it is refused', async () => {
    const first = await deliver('lds-client', LDS_SECRET, { id: 'msg_replay' });
    expect(first.status).toBe(202);
    const again = await deliver('lds-client', LDS_SECRET, { id: 'msg_replay' });
    expect(again.status).toBe(202);
    expect(again.body.outcome).toBe('duplicate');
    const other = await deliver('lds-client', LDS_SECRET, {
      id: 'msg_replay',
      body: JSON.stringify({
        specversion: '1.0',
        id: 'evt-other',
        source: 'lds.lab-delivery',
        type: 'lds.session.ended.v1',
        subject: `sessions/${sessionId}/parts/1`,
      }),
    });
    expect(other.status, other.text).toBe(422);
    // Powertools keys its records by a hash of the key: every webhook record lives as long as the archive.
    const records = (await api.scan()).filter((i) => i.pk === 'IDEMPOTENCY#inbound-webhooks');
    expect(records.length).toBeGreaterThan(0);
    for (const r of records)
      expect((Number(r.expires_at) - Date.now() / 1000) / 86400).toBeGreaterThan(
        system.bus.archiveRetentionDays - 1,
      );
  });
});
