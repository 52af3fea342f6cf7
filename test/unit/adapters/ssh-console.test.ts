/**
 * Issue 14: consoles over SSH as well as telnet. The product's console port opens a connector's
 * transport; over SSH it authenticates with the device's username and password, pins the host key
 * when the connector names one (and records it otherwise), and then speaks the same CLI dialogue.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceConsoleSimulator, type DeviceModel } from '../../../infra/local/sim/device-console.ts';
import {
  ConsoleError,
  DeviceConsoles,
  type ConsoleSession,
  type ConsoleTarget,
} from '../../../shared/adapters/console.ts';

const core = (over: Partial<DeviceModel> = {}): DeviceModel => ({
  hostname: 'core01',
  username: 'lab',
  password: 'ssh-s3cret',
  enablePassword: 'en-s3cret',
  commands: { 'show bgp summary': 'Neighbor        V    AS MsgRcvd\n10.0.0.2        4 65002      42' },
  config: [],
  ...over,
});

const consoles = new DeviceConsoles();
let sim: DeviceConsoleSimulator;
let sessions: ConsoleSession[];

beforeEach(() => {
  sim = new DeviceConsoleSimulator();
  sessions = [];
});
afterEach(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  await sim.stop();
});

async function open(port: number, over: Partial<ConsoleTarget> = {}): Promise<ConsoleSession> {
  const s = await consoles.open({
    host: '127.0.0.1',
    port,
    transport: 'ssh',
    prompt: 'core01[>#]',
    username: 'lab',
    password: 'ssh-s3cret',
    enable_password: 'en-s3cret',
    timeoutMs: 10_000,
    ...over,
  });
  sessions.push(s);
  return s;
}

async function failure(p: Promise<unknown>): Promise<ConsoleError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConsoleError);
    return e as ConsoleError;
  }
  throw new Error('expected a ConsoleError, got success');
}

describe('consoles over SSH', { timeout: 30_000 }, () => {
  it('runs commands over SSH: password login, enable, the output without echo or prompt; records the host key', async () => {
    const port = await sim.addDevice(core(), 0, 'ssh');
    const s = await open(port);
    expect(await s.run('show bgp summary')).toBe(
      'Neighbor        V    AS MsgRcvd\n10.0.0.2        4 65002      42',
    );
    expect(await s.run('show privilege')).toBe('Current privilege level is 15');
    expect(s.host_key).toBe(sim.sshHostKeyFingerprint());
    await s.configure(['router bgp 65001', 'neighbor 10.0.0.2 remote-as 65002']);
    expect(sim.device('core01')!.config).toEqual(['router bgp 65001', 'neighbor 10.0.0.2 remote-as 65002']);
  });

  it('a pinned host key that matches is accepted; another is refused as an authentication error', async () => {
    const port = await sim.addDevice(core(), 0, 'ssh');
    const ok = await open(port, { host_key: sim.sshHostKeyFingerprint() });
    expect(await ok.run('show bgp summary')).toContain('65002');
    const e = await failure(open(port, { host_key: `SHA256:${'A'.repeat(43)}` }));
    expect(e.kind).toBe('authentication');
    expect(e.message).toMatch(/host key SHA256:\S+ is not the pinned SHA256:A{43}/);
  });

  it('a wrong password is an authentication error that does not quote it', async () => {
    const port = await sim.addDevice(core(), 0, 'ssh');
    const e = await failure(open(port, { password: 'wrong-pass' }));
    expect(e.kind).toBe('authentication');
    expect(e.message).not.toContain('wrong-pass');
    expect(e.message).not.toContain('ssh-s3cret');
  });

  it('the same port picks the transport each connector names: telnet stays telnet', async () => {
    const port = await sim.addDevice(core({ hostname: 'rtr01', username: undefined, password: undefined }));
    const s = await open(port, {
      transport: 'telnet',
      prompt: 'rtr01[>#]',
      username: undefined,
      password: undefined,
    });
    expect(await s.run('show privilege')).toBe('Current privilege level is 15');
    expect(s.host_key).toBeUndefined();
  });
});
