/**
 * Issue 16, finding 5: inputs that reached a 5xx. Each answers a 4xx problem and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedDelivery } from '../../../infra/local/sim/webhooks.ts';
import { startLocalApi, type LocalApiHarness } from '../../helpers/local-api.ts';

let api: LocalApiHarness;
beforeAll(async () => {
  api = await startLocalApi();
});
afterAll(() => api?.stop());

const slot = (h: number) => ({
  start: new Date(Date.parse('2030-01-02T08:00:00Z') + h * 3600_000).toISOString(),
  end: new Date(Date.parse('2030-01-02T10:00:00Z') + h * 3600_000).toISOString(),
});

describe('bad input never reaches a 5xx', () => {
  it.each([
    ['a forged cursor (valid base64url JSON, not a key this API issued)', 'eyJhIjoxfQ'],
    [
      'a cursor naming the right attributes with wrong types',
      Buffer.from('{"pk":1,"sk":2}').toString('base64url'),
    ],
    ['a cursor that is not JSON', 'not-a-cursor'],
  ])('%s → 400 problem, nothing changed', async (_what, cursor) => {
    const before = await api.snapshot();
    for (const q of ['', '&status=pending', '&candidate_id=c-1']) {
      const r = await api.request<{ type: string; status: number }>(
        'GET',
        `/v1/sessions?cursor=${cursor}${q}`,
      );
      expect(r.status, r.text).toBe(400);
      expect(r.headers['content-type']).toBe('application/problem+json');
      expect(r.body.type).toBe('urn:lcm:problem:bad-request');
    }
    expect(await api.snapshot()).toBe(before);
  });

  it('a listing whose from is after its to (found by the fuzz test, seed 160016) → 422 problem, nothing changed', async () => {
    const before = await api.snapshot();
    for (const q of ['', '&status=cancelled', '&candidate_id=c-1']) {
      const r = await api.request<{ type: string; status: number }>(
        'GET',
        `/v1/sessions?from=2030-01-08T07%3A18%3A00.000Z&to=2030-01-01T07%3A52%3A00.000Z${q}`,
      );
      expect(r.status, r.text).toBe(422);
      expect(r.headers['content-type']).toBe('application/problem+json');
      expect(r.body.type).toBe('urn:lcm:problem:validation-error');
    }
    expect(await api.snapshot()).toBe(before);
  });

  it('a cursor this API issued pages through the listing; used on another listing it is a 400', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.request<{ session: { id: string } }>('POST', '/v1/sessions', {
        body: {
          fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
          timeslot: slot(i),
          candidate: { candidate_id: `c-${i}` },
        },
      });
      expect(r.status).toBe(201);
      ids.push(r.body.session.id);
      await api.project(r.body.session.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await api.request<{ items: { session: { id: string } }[]; next_cursor?: string }>(
        'GET',
        `/v1/sessions?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.status, r.text).toBe(200);
      seen.push(...r.body.items.map((t) => t.session.id));
      cursor = r.body.next_cursor;
      if (cursor) {
        const elsewhere = await api.request('GET', `/v1/sessions?limit=1&cursor=${cursor}&candidate_id=c-0`);
        expect(elsewhere.status, elsewhere.text).toBe(400);
      }
    } while (cursor);
    expect(seen.sort()).toEqual(ids.sort());
  });

  it('a source_uri with a malformed percent-escape → 400 problem, nothing invoked', async () => {
    const before = await api.snapshot();
    const r = await api.request<{ type: string; pointer?: string }>('POST', '/v1/content/sync', {
      body: { source_uri: `s3://${process.env.LCM_CONTENT_BUCKET}/pkg-%zz.zip` },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.body.type).toBe('urn:lcm:problem:bad-request');
    expect(r.body.pointer).toBe('/source_uri');
    expect(await api.snapshot()).toBe(before);
  });

  it('a path parameter with a malformed percent-escape → 400, not a crash of the local API', async () => {
    const r = await api.request('GET', '/v1/sessions/%zz');
    expect(r.status).toBe(400);
  });

  it('the same inbound event delivered twice at once → one applied, one duplicate, no 5xx', async () => {
    const created = await api.request<{ session: { id: string } }>('POST', '/v1/sessions', {
      body: {
        fqn: 'Lablet CCNP ENCOR v1.1 LAB ENCOR-L01',
        timeslot: slot(10),
        candidate: { candidate_id: 'c-dup' },
      },
    });
    expect(created.status).toBe(201);
    const event = {
      specversion: '1.0',
      id: `evt-${Date.now()}`,
      source: 'lds.lab-delivery',
      type: 'lds.session.ended.v1',
      subject: `sessions/${created.body.session.id}/parts/1`,
    };
    for (let round = 0; round < 5; round++) {
      const delivery = signedDelivery(
        { ...event, id: `${event.id}-${round}` },
        { nowMs: api.clock.now(), webhookId: `msg-dup-${round}` },
      );
      const answers = await Promise.all(
        [0, 1, 2].map(() => api.request<{ outcome: string }>('POST', '/v1/events', delivery)),
      );
      expect(
        answers.map((a) => a.status),
        answers.map((a) => a.text).join('\n'),
      ).toEqual([202, 202, 202]);
      const outcomes = answers.map((a) => a.body.outcome).sort();
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(2);
    }
  });
});
