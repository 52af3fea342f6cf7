/**
 * A simulated Cisco-like device console on loopback, one listener per device, over telnet or
 * SSH. Over telnet it negotiates a few options and shows `hostname>` after the first CR/LF
 * (optionally behind a Username/Password login); over SSH (ssh2's server, a host key of its own)
 * it takes the model's username and password as SSH password authentication and opens the same
 * CLI in the shell channel. Either way it knows `enable` (with a password), `terminal …`,
 * `configure terminal` with sub-modes, `show running-config`, `show privilege` and whatever
 * commands the model lists. Tests change answers with `setAnswer` and read the accepted
 * configuration from `device()`.
 */
import { bumpProgress } from '../progress.ts';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import ssh2 from 'ssh2';

export interface DeviceModel {
  hostname: string;
  enablePassword?: string;
  username?: string;
  password?: string;
  /** exact command → output; matched after trimming and collapsing spaces */
  commands: Record<string, string>;
  /** configuration lines accepted in config mode are appended here */
  config?: string[];
}

const IAC = 0xff;
const DO = 0xfd;
const WILL = 0xfb;
const SB = 0xfa;
const SE = 0xf0;
const OPT_ECHO = 1;
const OPT_SGA = 3;
const OPT_NAWS = 31;

const INVALID = "% Invalid input detected at '^' marker.";
const SUBMODES: [RegExp, string][] = [
  [/^interface\s/, 'config-if'],
  [/^router\s/, 'config-router'],
  [/^line\s/, 'config-line'],
  [/^vlan\s/, 'config-vlan'],
];

type State = 'idle' | 'username' | 'password' | 'exec' | 'enable-password' | 'priv' | 'config';

/** A console connection: a telnet socket or an SSH shell channel. */
type Channel = Duplex & { destroyed: boolean; writable: boolean };

interface Conn {
  hostname: string;
  socket: Channel;
  /** SSH: the user is authenticated by the transport, the CLI starts in exec mode */
  preauthenticated: boolean;
  state: State;
  /** configuration sub-mode shown in the prompt: config, config-if, … */
  mode: string;
  user: string;
  failures: number;
  line: string;
  afterCR: boolean;
  telnet: 'data' | 'iac' | 'verb' | 'sb' | 'sb-iac';
  decoder: StringDecoder;
  queue: Promise<void>;
}

const normalize = (s: string) => s.trim().replace(/\s+/g, ' ');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function lookup(commands: Record<string, string>, cmd: string): string | undefined {
  if (Object.hasOwn(commands, cmd)) return commands[cmd];
  for (const [k, v] of Object.entries(commands)) if (normalize(k) === cmd) return v;
  return undefined;
}

export type ConsoleTransport = 'telnet' | 'ssh';

const sameSecret = (a: string, b: string | undefined) =>
  b !== undefined && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export class DeviceConsoleSimulator {
  private readonly models = new Map<string, DeviceModel>();
  private readonly servers = new Map<string, Server | ssh2.Server>();
  private readonly sockets = new Set<Channel | Socket>();
  private hostKey: { private: string; fingerprint: string } | undefined;
  private opened = 0;
  private readonly delayMs: number;
  /** Per device, how many of the next connections are dropped as soon as they are accepted. */
  private readonly drops = new Map<string, number>();

  private readonly host: string;

  /** `host`: the address consoles listen on (default 127.0.0.1; locally each worker has its own). */
  constructor(opts: { delayMs?: number; host?: string } = {}) {
    this.delayMs = opts.delayMs ?? 0;
    this.host = opts.host ?? '127.0.0.1';
  }

  /** start a console for a device on a loopback port (0 = any), over telnet or SSH; returns the port */
  async addDevice(model: DeviceModel, port = 0, transport: ConsoleTransport = 'telnet'): Promise<number> {
    if (this.models.has(model.hostname)) throw new Error(`device ${model.hostname} is already simulated`);
    this.models.set(model.hostname, model);
    const server =
      transport === 'ssh'
        ? new ssh2.Server({ hostKeys: [this.sshHostKey().private] }, (client) =>
            this.acceptSsh(model.hostname, client),
          )
        : createServer((socket) => this.accept(model.hostname, socket, false));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.models.delete(model.hostname);
      throw e;
    }
    server.on('error', () => undefined);
    this.servers.set(model.hostname, server);
    return (server.address() as AddressInfo).port;
  }

  /** The SHA-256 fingerprint of the SSH host key (`SHA256:<base64>`, as OpenSSH prints it), for pinning. */
  sshHostKeyFingerprint(): string {
    return this.sshHostKey().fingerprint;
  }

  private sshHostKey(): { private: string; fingerprint: string } {
    if (!this.hostKey) {
      const pair = ssh2.utils.generateKeyPairSync('ed25519');
      const pub = ssh2.utils.parseKey(pair.public);
      if (pub instanceof Error) throw pub;
      const digest = createHash('sha256').update(pub.getPublicSSH()).digest('base64').replace(/=+$/, '');
      this.hostKey = { private: pair.private, fingerprint: `SHA256:${digest}` };
    }
    return this.hostKey;
  }

  /** SSH: password authentication against the model, then the CLI in the shell channel. */
  private acceptSsh(hostname: string, client: ssh2.Connection): void {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      const m = this.models.get(hostname);
      if (
        m &&
        ctx.method === 'password' &&
        ctx.username === (m.username ?? ctx.username) &&
        sameSecret(ctx.password, m.password ?? '')
      )
        return ctx.accept();
      ctx.reject(['password']);
    });
    client.on('ready', () =>
      client.on('session', (accept) => {
        const session = accept();
        session.on('pty', (ok) => ok?.());
        session.on('shell', (ok) => {
          const channel = ok() as unknown as Channel;
          this.accept(hostname, channel, true);
        });
      }),
    );
    client.on('close', () => this.sockets.delete(client as unknown as Channel));
  }

  /** change how a device answers a command (tests use this to make checks pass or fail) */
  setAnswer(hostname: string, command: string, output: string): void {
    const model = this.models.get(hostname);
    if (!model) throw new Error(`no simulated device ${hostname}`);
    const key = normalize(command);
    for (const k of Object.keys(model.commands)) if (normalize(k) === key) delete model.commands[k];
    model.commands[key] = output;
  }

  /** the next `count` connections to the device are reset as soon as they open (a console that drops) */
  dropNext(hostname: string, count = 1): void {
    if (!this.models.has(hostname)) throw new Error(`no simulated device ${hostname}`);
    this.drops.set(hostname, count);
  }

  device(hostname: string): DeviceModel | undefined {
    return this.models.get(hostname);
  }

  /** close every listener and socket */
  async stop(): Promise<void> {
    const servers = [...this.servers.values()];
    this.servers.clear();
    this.models.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.hostKey = undefined;
  }

  sessionsOpened(): number {
    return this.opened;
  }

  private accept(hostname: string, socket: Channel, preauthenticated: boolean): void {
    socket.on('error', () => undefined);
    if (!this.models.has(hostname)) {
      socket.destroy();
      return;
    }
    const drop = this.drops.get(hostname) ?? 0;
    if (drop > 0) {
      this.drops.set(hostname, drop - 1);
      socket.destroy();
      return;
    }
    this.opened++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    if ('setNoDelay' in socket) (socket as Socket).setNoDelay(true);
    const conn: Conn = {
      hostname,
      socket,
      preauthenticated,
      state: 'idle',
      mode: 'config',
      user: '',
      failures: 0,
      line: '',
      afterCR: false,
      telnet: 'data',
      decoder: new StringDecoder('utf8'),
      queue: Promise.resolve(),
    };
    socket.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    // Like IOS: offer to echo and to suppress go-ahead, ask for the window size.
    if (!preauthenticated)
      socket.write(Buffer.from([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_NAWS]));
  }

  /** Strip telnet commands (the client's answers), split lines on CR, LF, CR LF or CR NUL. */
  private receive(conn: Conn, chunk: Buffer): void {
    bumpProgress();
    const bytes: number[] = [];
    for (const b of chunk) {
      switch (conn.telnet) {
        case 'data':
          if (b === IAC) conn.telnet = 'iac';
          else bytes.push(b);
          break;
        case 'iac':
          if (b === IAC) {
            bytes.push(b);
            conn.telnet = 'data';
          } else if (b >= WILL && b <= 0xfe) conn.telnet = 'verb';
          else if (b === SB) conn.telnet = 'sb';
          else conn.telnet = 'data';
          break;
        case 'verb':
          conn.telnet = 'data';
          break;
        case 'sb':
          if (b === IAC) conn.telnet = 'sb-iac';
          break;
        case 'sb-iac':
          conn.telnet = b === SE ? 'data' : 'sb';
          break;
      }
    }
    for (const ch of conn.decoder.write(Buffer.from(bytes))) {
      if (ch === '\r') {
        this.lineDone(conn);
        conn.afterCR = true;
      } else if (ch === '\n') {
        if (!conn.afterCR) this.lineDone(conn);
        conn.afterCR = false;
      } else if (ch === '\0') {
        conn.afterCR = false;
      } else {
        conn.afterCR = false;
        if (ch === '\b' || ch === '\x7f') conn.line = conn.line.slice(0, -1);
        else conn.line += ch;
      }
    }
  }

  /** Lines are answered one after the other, each after the configured delay. */
  private lineDone(conn: Conn): void {
    const line = conn.line;
    conn.line = '';
    conn.queue = conn.queue.then(() => this.handle(conn, line)).catch(() => undefined);
  }

  private async handle(conn: Conn, line: string): Promise<void> {
    const model = this.models.get(conn.hostname);
    if (!model || conn.socket.destroyed) return;
    const hidden = conn.state === 'password' || conn.state === 'enable-password';
    this.send(conn, hidden ? '\r\n' : `${line}\r\n`); // the device echoes what it received
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (conn.socket.destroyed) return;
    const cmd = normalize(line);
    switch (conn.state) {
      case 'idle':
        return this.greet(conn, model);
      case 'username':
        if (!cmd) return this.send(conn, 'Username: ');
        conn.user = line.trim();
        conn.state = 'password';
        return this.send(conn, 'Password: ');
      case 'password':
        return this.login(conn, model, line);
      case 'enable-password':
        if (line === model.enablePassword) {
          conn.state = 'priv';
          return this.reply(conn, model);
        }
        conn.state = 'exec';
        return this.reply(conn, model, '% Access denied\r\n');
      case 'exec':
      case 'priv':
        return this.exec(conn, model, cmd);
      case 'config':
        return this.configure(conn, model, line, cmd);
    }
  }

  private greet(conn: Conn, m: DeviceModel): void {
    if (!conn.preauthenticated && (m.username !== undefined || m.password !== undefined)) {
      conn.state = m.username !== undefined ? 'username' : 'password';
      return this.send(
        conn,
        `\r\nUser Access Verification\r\n\r\n${conn.state === 'username' ? 'Username' : 'Password'}: `,
      );
    }
    conn.state = 'exec';
    this.send(conn, `\r\n${this.prompt(conn, m)}`);
  }

  private login(conn: Conn, m: DeviceModel, line: string): void {
    const ok = line === (m.password ?? '') && (m.username === undefined || conn.user === m.username);
    if (ok) {
      conn.state = 'exec';
      return this.send(conn, `\r\n${this.prompt(conn, m)}`);
    }
    conn.failures++;
    if (conn.failures >= 3) {
      this.send(conn, '% Login invalid\r\n');
      conn.socket.end();
      return;
    }
    conn.state = m.username !== undefined ? 'username' : 'password';
    this.send(conn, `% Login invalid\r\n\r\n${conn.state === 'username' ? 'Username' : 'Password'}: `);
  }

  private exec(conn: Conn, m: DeviceModel, cmd: string): void {
    if (cmd === '') return this.reply(conn, m);
    if (cmd === 'exit' || cmd === 'logout' || cmd === 'quit') {
      // Over SSH the shell ends with an exit status, and the channel closes.
      if (conn.preauthenticated) (conn.socket as Channel & { exit?(code: number): void }).exit?.(0);
      conn.socket.end();
      return;
    }
    if (cmd === 'enable' || cmd === 'en') {
      if (conn.state === 'exec' && m.enablePassword !== undefined) {
        conn.state = 'enable-password';
        return this.send(conn, 'Password: ');
      }
      conn.state = 'priv';
      return this.reply(conn, m);
    }
    if (cmd === 'disable') {
      conn.state = 'exec';
      return this.reply(conn, m);
    }
    if (/^term(inal)? /.test(cmd)) return this.reply(conn, m); // length 0, width 0, monitor…
    if (conn.state === 'priv' && /^conf(igure)?( t(erminal)?)?$/.test(cmd)) {
      conn.state = 'config';
      conn.mode = 'config';
      return this.reply(conn, m, 'Enter configuration commands, one per line.  End with CNTL/Z.');
    }
    this.reply(conn, m, this.show(conn, m, cmd) ?? INVALID);
  }

  private configure(conn: Conn, m: DeviceModel, line: string, cmd: string): void {
    if (cmd === '') return this.reply(conn, m);
    if (cmd === 'end' || cmd === '\x1a') {
      conn.state = 'priv';
      return this.reply(conn, m);
    }
    if (cmd === 'exit') {
      if (conn.mode === 'config') conn.state = 'priv';
      else conn.mode = 'config';
      return this.reply(conn, m);
    }
    const doCmd = /^do (.+)$/.exec(cmd);
    if (doCmd) return this.reply(conn, m, this.show(conn, m, doCmd[1]!) ?? INVALID);
    if (/^bogus/.test(cmd)) return this.reply(conn, m, INVALID);
    (m.config ??= []).push(line.trim());
    const sub = SUBMODES.find(([re]) => re.test(cmd));
    if (sub) conn.mode = sub[1];
    this.reply(conn, m);
  }

  /** The model's commands first, then the built-ins. */
  private show(conn: Conn, m: DeviceModel, cmd: string): string | undefined {
    const known = lookup(m.commands, cmd);
    if (known !== undefined) return known;
    const priv = conn.state !== 'exec';
    if (cmd === 'show privilege') return `Current privilege level is ${priv ? 15 : 1}`;
    if (priv && (cmd === 'show running-config' || cmd === 'show run')) return (m.config ?? []).join('\n');
    return undefined;
  }

  private prompt(conn: Conn, m: DeviceModel): string {
    if (conn.state === 'config') return `${m.hostname}(${conn.mode})#`;
    return `${m.hostname}${conn.state === 'priv' ? '#' : '>'}`;
  }

  /** Output (if any) on its own lines, then the prompt. */
  private reply(conn: Conn, m: DeviceModel, output?: string): void {
    const body = output ? `${output.replace(/\r?\n/g, '\r\n')}${output.endsWith('\n') ? '' : '\r\n'}` : '';
    this.send(conn, `${body}${this.prompt(conn, m)}`);
  }

  private send(conn: Conn, text: string): void {
    if (!conn.socket.destroyed && conn.socket.writable) conn.socket.write(text);
  }
}
