/**
 * The LDS REST adapter against the local simulator (the contract both sides follow, D160): one
 * session per LCM session by external reference, parts with devices and launch URLs, part-level
 * extend/pause/resume/release, the session's release; releasing twice is done, a refused token is
 * `unauthorized`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdsRestAdapter } from '../../../shared/adapters/lds.ts';
import { startLdsSimulator, type LdsSimulator } from '../../../infra/local/sim/lds-server.ts';

let sim: LdsSimulator;
beforeAll(async () => {
  sim = await startLdsSimulator();
});
afterAll(() => sim.close());

const window = { starts_at: '2026-12-01T09:00:00.000Z', ends_at: '2026-12-01T17:00:00.000Z' };

describe('LdsRestAdapter', () => {
  it('creates one session per external reference and registers each part with its own devices', async () => {
    const lds = new LdsRestAdapter(sim.url, sim.token);
    const a = await lds.createSession({ external_ref: 'ses_a', candidate_id: 'c1', ...window });
    const again = await lds.createSession({ external_ref: 'ses_a', candidate_id: 'c1', ...window });
    expect(again.lds_session_id).toBe(a.lds_session_id);
    const web = await lds.putPart(a.lds_session_id, 1, {
      name: 'DES',
      kind: 'web',
      starts_at: window.starts_at,
      ends_at: '2026-12-01T10:00:00.000Z',
      devices: [],
    });
    const lab = await lds.putPart(a.lds_session_id, 2, {
      name: 'DOO',
      kind: 'lab',
      starts_at: '2026-12-01T10:00:00.000Z',
      ends_at: '2026-12-01T12:00:00.000Z',
      devices: [{ name: 'r1', host: '10.0.0.1', port: 3001, protocol: 'telnet' }],
    });
    expect(web.launch_url).not.toBe(lab.launch_url);
    const s = sim.byRef('ses_a')!;
    expect(s.parts['1']).toMatchObject({ kind: 'web', devices: [] });
    expect(s.parts['2']!.devices).toHaveLength(1);
  });

  it('extends, pauses, resumes and releases a part, then releases the session (twice is done)', async () => {
    const lds = new LdsRestAdapter(sim.url, sim.token);
    const { lds_session_id: id } = await lds.createSession({
      external_ref: 'ses_b',
      candidate_id: 'c2',
      ...window,
    });
    await lds.putPart(id, 1, { name: 'DOO', kind: 'lab', ...window, devices: [] });
    await lds.extendPart(id, 1, '2026-12-01T17:30:00.000Z');
    expect(sim.sessions.get(id)).toMatchObject({
      ends_at: '2026-12-01T17:30:00.000Z',
      parts: { '1': { ends_at: '2026-12-01T17:30:00.000Z' } },
    });
    await lds.pausePart(id, 1);
    expect(sim.sessions.get(id)!.parts['1']!.state).toBe('paused');
    await lds.resumePart(id, 1);
    expect(sim.sessions.get(id)!.parts['1']!.state).toBe('running');
    await lds.releasePart(id, 1);
    expect(sim.sessions.get(id)).toMatchObject({ state: 'ready', parts: { '1': { state: 'released' } } });
    await lds.release(id);
    await lds.release(id);
    expect(sim.sessions.get(id)!.state).toBe('released');
    await lds.release('lds_gone');
  });

  it('a refused token is unauthorized', async () => {
    const lds = new LdsRestAdapter(sim.url, 'wrong');
    await expect(
      lds.createSession({ external_ref: 'ses_c', candidate_id: 'c', ...window }),
    ).rejects.toMatchObject({
      kind: 'unauthorized',
    });
  });
});
