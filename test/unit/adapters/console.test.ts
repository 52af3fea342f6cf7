import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceConsoleSimulator, type DeviceModel } from '../../../infra/local/sim/device-console.ts';
import {
  ConsoleError,
  TelnetConsole,
  type ConsoleSession,
  type ConsoleTarget,
} from '../../../shared/adapters/console.ts';

const VERSION =
  'Cisco IOS Software, Version 15.9(3)M4\n  rtr01 uptime is 1 week, 2 days\n\nProcessor board ID X';

const rtr = (over: Partial<DeviceModel> = {}): DeviceModel => ({
  hostname: 'rtr01',
  enablePassword: 'en-s3cret',
  commands: {
    'show version': VERSION,
    'show ip interface brief': 'Interface  IP-Address  Status\nGi0/0      10.0.0.1    up',
    'show clock': '*10:00:00.000 UTC Mon Dec 7 2026',
  },
  config: [],
  ...over,
});

const telnet = new TelnetConsole();
let sim: DeviceConsoleSimulator;
let sessions: ConsoleSession[];
let servers: Server[];

beforeEach(() => {
  sim = new DeviceConsoleSimulator();
  sessions = [];
  servers = [];
});

afterEach(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  await sim.stop();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function open(port: number, over: Partial<ConsoleTarget> = {}): Promise<ConsoleSession> {
  const s = await telnet.open({
    host: '127.0.0.1',
    port,
    prompt: 'rtr01[>#]',
    enable_password: 'en-s3cret',
    timeoutMs: 3_000,
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

/** A raw TCP server on loopback for devices the simulator cannot play (silent, odd negotiation). */
async function rawServer(onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('TelnetConsole against the device console simulator', () => {
  it('collects show command outputs exactly, without the echoed command and the prompt', async () => {
    const port = await sim.addDevice(rtr());
    const s = await open(port);
    expect(await s.run('show version')).toBe(VERSION);
    expect(await s.run('  show   ip interface  brief ')).toBe(
      'Interface  IP-Address  Status\nGi0/0      10.0.0.1    up',
    );
    expect(await s.run('show nonsense')).toBe("% Invalid input detected at '^' marker.");
    expect(sim.sessionsOpened()).toBe(1);
  });

  it('enters enable mode with the enable password', async () => {
    const port = await sim.addDevice(rtr());
    const s = await open(port);
    expect(await s.run('show privilege')).toBe('Current privilege level is 15');
  });

  it('enters enable mode directly when the device has no enable password', async () => {
    const port = await sim.addDevice(rtr({ enablePassword: undefined }));
    const s = await open(port, { enable_password: undefined });
    expect(await s.run('show privilege')).toBe('Current privilege level is 15');
  });

  it('rejects a wrong enable password as an authentication error without revealing it', async () => {
    const port = await sim.addDevice(rtr());
    const e = await failure(open(port, { enable_password: 'wrong-pw-42' }));
    expect(e.kind).toBe('authentication');
    expect(e.message).toMatch(/enable/);
    expect(e.message).not.toContain('wrong-pw-42');
    expect(e.message).not.toContain('en-s3cret');
  });

  it('rejects a missing enable password as an authentication error', async () => {
    const port = await sim.addDevice(rtr());
    const e = await failure(open(port, { enable_password: undefined }));
    expect(e.kind).toBe('authentication');
  });

  it('logs in with username and password', async () => {
    const port = await sim.addDevice(rtr({ username: 'netops', password: 'l0gin-pw' }));
    const s = await open(port, { username: 'netops', password: 'l0gin-pw' });
    expect(await s.run('show privilege')).toBe('Current privilege level is 15');
    expect(await s.run('show clock')).toBe('*10:00:00.000 UTC Mon Dec 7 2026');
  });

  it('reports a refused or impossible login as an authentication error without the password', async () => {
    const port = await sim.addDevice(rtr({ username: 'netops', password: 'l0gin-pw' }));
    const wrong = await failure(open(port, { username: 'netops', password: 'bad-login-pw' }));
    expect(wrong.kind).toBe('authentication');
    expect(wrong.message).not.toContain('bad-login-pw');
    expect((await failure(open(port, { password: 'l0gin-pw' }))).kind).toBe('authentication'); // no username
  });

  it('logs in with a line password only', async () => {
    const port = await sim.addDevice(rtr({ password: 'line-pw' }));
    const s = await open(port, { password: 'line-pw' });
    expect(await s.run('show privilege')).toBe('Current privilege level is 15');
  });

  it('configures lines that land in the device configuration and returns their output', async () => {
    const port = await sim.addDevice(rtr());
    const s = await open(port);
    const out = await s.configure([
      'interface GigabitEthernet0/1',
      ' description uplink to core',
      ' ip address 10.0.0.1 255.255.255.0',
      'exit',
      'ip route 0.0.0.0 0.0.0.0 10.0.0.254',
      'do show clock',
    ]);
    expect(out).toBe('*10:00:00.000 UTC Mon Dec 7 2026');
    expect(sim.device('rtr01')!.config).toEqual([
      'interface GigabitEthernet0/1',
      'description uplink to core',
      'ip address 10.0.0.1 255.255.255.0',
      'ip route 0.0.0.0 0.0.0.0 10.0.0.254',
    ]);
    // back in privileged exec mode, not stuck in (config)#
    expect(await s.run('show privilege')).toBe('Current privilege level is 15');
    expect(await s.run('show running-config')).toContain('ip route 0.0.0.0 0.0.0.0 10.0.0.254');
  });

  it('rejects an invalid configuration line with a validation error and leaves config mode', async () => {
    const port = await sim.addDevice(rtr());
    const s = await open(port);
    const e = await failure(s.configure(['hostname-ok 1', 'bogus command', 'never sent']));
    expect(e.kind).toBe('validation');
    expect(e.message).toContain('line 2');
    expect(e.message).toContain('Invalid input');
    expect(sim.device('rtr01')!.config).toEqual(['hostname-ok 1']);
    expect(await s.run('show privilege')).toBe('Current privilege level is 15');
  });

  it('reports a closed port as a communication error', async () => {
    const port = await rawServer(() => undefined);
    await Promise.all(servers.splice(0).map((srv) => new Promise<void>((r) => srv.close(() => r()))));
    const e = await failure(open(port));
    expect(e.kind).toBe('communication');
    expect(e.message).toContain(`127.0.0.1:${port}`);
  });

  it('times out within timeoutMs when the device never shows a prompt', async () => {
    const port = await rawServer(() => undefined); // accepts and stays silent
    const started = Date.now();
    const e = await failure(open(port, { timeoutMs: 300 }));
    // Not before its time: a slower machine only makes this later (the test's own timeout is the
    // guard against a hang).
    expect(e.kind).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('times out a slow command and closes the session', async () => {
    sim = new DeviceConsoleSimulator({ delayMs: 150 });
    const port = await sim.addDevice(rtr());
    const s = await open(port);
    const e = await failure(s.run('show version', { timeoutMs: 60 }));
    // The device answers after 150 ms; the 60 ms timeout ended the command first.
    expect(e.kind).toBe('timeout');
    expect((await failure(s.run('show clock'))).kind).toBe('communication');
  });

  it('answers with the output set by setAnswer on the next run', async () => {
    const port = await sim.addDevice(rtr());
    const s = await open(port);
    expect(await s.run('show clock')).toBe('*10:00:00.000 UTC Mon Dec 7 2026');
    sim.setAnswer('rtr01', 'show   clock', '*11:30:00.000 UTC Mon Dec 7 2026');
    expect(await s.run('show clock')).toBe('*11:30:00.000 UTC Mon Dec 7 2026');
    sim.setAnswer('rtr01', 'show ntp status', 'Clock is synchronized');
    expect(await s.run('show ntp status')).toBe('Clock is synchronized');
  });

  it('serialises concurrent runs on one session: in order, each with its own output', async () => {
    sim = new DeviceConsoleSimulator({ delayMs: 5 });
    const commands: Record<string, string> = {};
    for (let i = 0; i < 6; i++) commands[`show thing ${i}`] = `thing ${i} line a\nthing ${i} line b`;
    const port = await sim.addDevice(rtr({ commands }));
    const s = await open(port);
    const finished: number[] = [];
    const outputs = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        s.run(`show thing ${i}`).then((out) => {
          finished.push(i);
          return out;
        }),
      ),
    );
    expect(outputs).toEqual([0, 1, 2, 3, 4, 5].map((i) => `thing ${i} line a\nthing ${i} line b`));
    expect(finished).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rejects commands after close and after the simulator stops', async () => {
    const port = await sim.addDevice(rtr());
    const a = await open(port);
    const b = await open(port);
    expect(sim.sessionsOpened()).toBe(2);
    await a.close();
    expect((await failure(a.run('show clock'))).kind).toBe('communication');
    await sim.stop();
    expect((await failure(b.run('show clock'))).kind).toBe('communication');
  });

  it('answers telnet negotiation, strips IAC sequences (also across chunks) and accepts a # prompt', async () => {
    const [IAC, DONT, DO, WONT, WILL, SB, SE, NOP] = [255, 254, 253, 252, 251, 250, 240, 241];
    const received: number[] = [];
    const lines: string[] = [];
    let hungUp!: () => void;
    const clientHungUp = new Promise<void>((r) => (hungUp = r));
    const port = await rawServer((sock) => {
      sock.on('end', () => hungUp());
      sock.write(
        Buffer.from([
          IAC,
          WILL,
          1,
          IAC,
          WILL,
          3,
          IAC,
          DO,
          24,
          IAC,
          WILL,
          5,
          IAC,
          DO,
          3,
          IAC,
          SB,
          24,
          1,
          IAC,
          SE,
        ]),
      );
      let pending = '';
      sock.on('data', (b: Buffer) => {
        received.push(...b);
        pending += b.toString('latin1');
        for (let i = pending.indexOf('\r\n'); i >= 0; i = pending.indexOf('\r\n')) {
          const line = pending.slice(0, i).replace(/\xff[\xfb-\xfe][\s\S]/g, '');
          pending = pending.slice(i + 2);
          lines.push(line);
          if (line === '') {
            // the prompt arrives in two chunks, split inside an IAC NOP
            sock.write(Buffer.concat([Buffer.from('\r\nsw01'), Buffer.from([IAC])]));
            setTimeout(() => sock.write(Buffer.concat([Buffer.from([NOP]), Buffer.from('#')])), 20);
          } else if (line === 'show clock') {
            const out = Buffer.concat([
              Buffer.from('12:'),
              Buffer.from([IAC, SB, 24, 0, 65, 73, IAC, SE]), // subnegotiation in the middle of the output
              Buffer.from('00'),
              Buffer.from([IAC, NOP]),
              Buffer.from(':00 UTC\r\n'),
            ]);
            sock.write(Buffer.concat([Buffer.from(`${line}\r\n`), out, Buffer.from('sw01#')]));
          } else sock.write(`${line}\r\nsw01#`);
        }
      });
    });
    const s = await open(port, { prompt: 'sw01[>#]' });
    expect(await s.run('show clock')).toBe('12:00:00 UTC');
    const has = (seq: number[]) => received.some((_, i) => seq.every((byte, j) => received[i + j] === byte));
    expect(has([IAC, DO, 1])).toBe(true); // WILL ECHO accepted
    expect(has([IAC, DO, 3])).toBe(true); // WILL SGA accepted
    expect(has([IAC, WONT, 24])).toBe(true); // DO TERMINAL-TYPE refused
    expect(has([IAC, DONT, 5])).toBe(true); // WILL STATUS refused
    expect(has([IAC, WILL, 3])).toBe(true); // DO SGA accepted
    expect(lines).toEqual(['', 'terminal length 0', 'show clock']);
    await s.close();
    expect(lines.at(-1)).toBe('exit');
    await clientHungUp; // (the test's timeout is the guard against a client that never hangs up)
  });
});
