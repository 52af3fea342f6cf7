/**
 * The console port and its adapters: how the job DSL functions `exec` and `collect` reach a
 * Cisco-like device's CLI, over telnet (a terminal server or the device) or SSH (ssh2, password
 * authentication, the host key pinned by the connector's `host_key` or else recorded on the
 * session). A session logs in (telnet: optional Username/Password prompts), enters enable mode,
 * switches paging off (`terminal length 0`) and then runs commands one at a time: each
 * command's output comes back without the echoed command and without the trailing prompt.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import ssh2 from 'ssh2';

import type { ConsoleTransport } from './console-transports.ts';

export { CONSOLE_TRANSPORTS, type ConsoleTransport } from './console-transports.ts';

export interface ConsoleTarget {
  host: string;
  port: number;
  /** regex source for the device prompt, e.g. "rtr01[>#]"; `(config…)` suffixes before `#` are allowed */
  prompt: string;
  username?: string;
  password?: string;
  enable_password?: string;
  timeoutMs: number;
  transport?: ConsoleTransport;
  /** SSH: the device's host key fingerprint (`SHA256:<base64>`); a different key is refused */
  host_key?: string;
}

export interface ConsoleSession {
  /** run one exec-mode command (in enable mode) and return its output without the echoed command and the trailing prompt */
  run(command: string, opts?: { timeoutMs?: number }): Promise<string>;
  /** enter `configure terminal`, send each line, `end`; returns the concatenated output; a line answered with "% Invalid input" rejects with ConsoleError kind 'validation' */
  configure(lines: string[], opts?: { timeoutMs?: number }): Promise<string>;
  close(): Promise<void>;
  /** SSH: the fingerprint of the host key the device presented (pinned or recorded) */
  readonly host_key?: string;
}

export interface ConsolePort {
  open(target: ConsoleTarget): Promise<ConsoleSession>;
}

export type ConsoleErrorKind = 'timeout' | 'communication' | 'authentication' | 'validation';

export class ConsoleError extends Error {
  constructor(
    message: string,
    readonly kind: ConsoleErrorKind,
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}

// Telnet (RFC 854/855) bytes and the two options a client may accept.
const IAC = 0xff;
const DONT = 0xfe;
const DO = 0xfd;
const WONT = 0xfc;
const WILL = 0xfb;
const SB = 0xfa;
const SE = 0xf0;
const OPT_ECHO = 1;
const OPT_SGA = 3;

/** How long the first answer after the wake-up CR/LF must stay quiet before it is trusted. */
const WAKE_QUIET_MS = 50;
/** How long close() waits for the device to hang up after `exit`. */
const CLOSE_GRACE_MS = 1_000;

const USERNAME_RE = /(?:user\s?name|login)\s*:\s*$/i;
const PASSWORD_RE = /password\s*:\s*$/i;
const CONFIG_SUFFIX_RE = /^(.*)\(config[^)]*\)(#\s*)$/;
const CONFIG_PROMPT_RE = /\(config[^)]*\)#\s*$/;
const REJECTED_RE = /^\s*%\s*(?:Invalid input|Incomplete command|Ambiguous command|Unrecognized command)/im;
const SECRET_WORDS_RE = /\b(password|secret|key-string|community)(\s+\d{1,2})?\s+\S+/gi;

const remaining = (deadline: number) => Math.max(0, deadline - Date.now());
const normalize = (s: string) => s.trim().replace(/\s+/g, ' ');
/** Configuration lines may carry secrets (`enable secret …`); never put those in messages. */
const redact = (s: string) =>
  s.replace(SECRET_WORDS_RE, (_m, word: string, n?: string) => `${word}${n ?? ''} ***`);

function lastLine(text: string): string {
  return text.slice(Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1);
}

/** The prompt line when the buffer ends with the device prompt (any `(config…)` suffix allowed before `#`). */
function matchPrompt(re: RegExp, text: string): string | undefined {
  const line = lastLine(text);
  if (re.test(line)) return line.trim();
  const m = CONFIG_SUFFIX_RE.exec(line);
  if (m && re.test(`${m[1]}${m[2]}`)) return line.trim();
  return undefined;
}

type LoginStep = { step: 'prompt'; line: string } | { step: 'username' | 'password' };

function loginStep(re: RegExp, text: string): LoginStep | undefined {
  const line = matchPrompt(re, text);
  if (line !== undefined) return { step: 'prompt', line };
  const last = lastLine(text);
  if (USERNAME_RE.test(last)) return { step: 'username' };
  if (PASSWORD_RE.test(last)) return { step: 'password' };
  return undefined;
}

/** The text between the echoed command and the prompt, CR/LF normalised, blank edges trimmed. */
function extractOutput(text: string, command: string): string {
  const lines = text
    .replace(/\r\n|\n\r/g, '\n')
    .replace(/\r/g, '\n')
    .split('\n');
  lines.pop(); // the prompt
  const wanted = normalize(command);
  const echo = lines.findIndex((l) => l.trim() !== '');
  if (wanted === '') {
    if (lines[0]?.trim() === '') lines.shift();
  } else if (echo >= 0 && normalize(lines[echo]!).endsWith(wanted)) {
    lines.splice(0, echo + 1);
  }
  while (lines.length && lines[0]!.trim() === '') lines.shift();
  while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
  return lines.join('\n');
}

function describeSocketError(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  const text: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the device',
    EPIPE: 'connection closed by the device',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: 'unknown host',
    EAI_AGAIN: 'host name lookup failed',
  };
  return code ? `${text[code] ?? e.message} (${code})` : e.message;
}

interface Waiter {
  check(): void;
  fail(e: ConsoleError): void;
}

/** What a link reads and writes: a telnet socket or an SSH shell channel. */
type Stream = Duplex & { destroyed: boolean };

/**
 * One console connection: a text buffer and one waiter at a time; over telnet also option
 * negotiation and IAC stripping (an SSH channel carries plain text).
 */
class ConsoleLink {
  private text = '';
  private readonly decoder = new StringDecoder('utf8');
  private state: 'data' | 'iac' | 'verb' | 'sb' | 'sb-iac' = 'data';
  private verb = 0;
  private readonly remoteOn = new Set<number>();
  private readonly localOn = new Set<number>();
  private waiter: Waiter | undefined;
  private failure: ConsoleError | undefined;
  private closing = false;

  constructor(
    private readonly socket: Stream,
    readonly label: string,
    private readonly secrets: string[],
    private readonly telnet = true,
    /** the line ending the device expects */
    private readonly eol = '\r\n',
  ) {
    socket.on('data', (chunk: Buffer) => (this.telnet ? this.receive(chunk) : this.append(chunk)));
    socket.on('error', (e) => this.fail(this.error(describeSocketError(e), 'communication')));
    socket.on('close', () =>
      this.fail(
        this.error(this.closing ? 'session closed' : 'connection closed by the device', 'communication'),
      ),
    );
  }

  get alive(): boolean {
    return !this.failure && !this.socket.destroyed;
  }

  /** A ConsoleError naming the console, with every configured secret scrubbed out. */
  error(message: string, kind: ConsoleErrorKind): ConsoleError {
    let text = `console ${this.label}: ${message}`;
    for (const s of this.secrets) if (s) text = text.split(s).join('***');
    return new ConsoleError(text, kind);
  }

  writeLine(line: string): void {
    if (this.alive) this.socket.write(`${line}${this.eol}`);
  }

  clear(): void {
    this.text = '';
  }

  /**
   * Resolves once `match` accepts the buffer (and, with quietMs, nothing more arrived for that
   * long); the buffer is consumed. Rejects with 'timeout' after timeoutMs, 'communication' when
   * the connection fails.
   */
  waitFor<T>(
    match: (text: string) => T | undefined,
    timeoutMs: number,
    what: string,
    quietMs = 0,
  ): Promise<{ value: T; text: string }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let quiet: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        clearTimeout(quiet);
        this.waiter = undefined;
      };
      const settle = () => {
        const value = match(this.text);
        if (value === undefined) return;
        done();
        const text = this.text;
        this.text = '';
        resolve({ value, text });
      };
      const timer = setTimeout(() => {
        const seen = lastLine(this.text).trim().slice(-60);
        done();
        reject(
          this.error(
            `no ${what} within ${timeoutMs} ms${seen ? ` (last received: ${JSON.stringify(seen)})` : ''}`,
            'timeout',
          ),
        );
      }, timeoutMs);
      this.waiter = {
        check: () => {
          if (quietMs <= 0) return settle();
          clearTimeout(quiet);
          if (match(this.text) !== undefined) quiet = setTimeout(settle, quietMs);
        },
        fail: (e) => {
          done();
          reject(e);
        },
      };
      this.waiter.check();
    });
  }

  /** Half-closes (after the caller's goodbye) and waits for the hang-up, destroying after graceMs. */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => this.socket.destroy(), graceMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.socket.end();
    });
  }

  destroy(reason?: ConsoleError): void {
    this.closing = true;
    this.fail(reason ?? this.error('session closed', 'communication'));
    this.socket.destroy();
  }

  private fail(e: ConsoleError): void {
    if (this.failure) return;
    this.failure = e;
    this.waiter?.fail(e);
  }

  private append(chunk: Buffer): void {
    this.text += this.decoder.write(chunk).replace(/\0/g, '');
    this.waiter?.check();
  }

  private receive(chunk: Buffer): void {
    const data: number[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case 'data':
          if (b === IAC) this.state = 'iac';
          else data.push(b);
          break;
        case 'iac':
          if (b === IAC) {
            data.push(IAC); // escaped 0xFF
            this.state = 'data';
          } else if (b >= WILL && b <= DONT) {
            this.verb = b;
            this.state = 'verb';
          } else if (b === SB) this.state = 'sb';
          else this.state = 'data'; // NOP, GA, DM, AYT…: nothing to keep
          break;
        case 'verb':
          this.negotiate(this.verb, b);
          this.state = 'data';
          break;
        case 'sb':
          if (b === IAC) this.state = 'sb-iac';
          break;
        case 'sb-iac':
          this.state = b === SE ? 'data' : 'sb';
          break;
      }
    }
    if (!data.length) return;
    this.text += this.decoder.write(Buffer.from(data)).replace(/\0/g, '');
    this.waiter?.check();
  }

  /** Accept the server's ECHO and SGA, offer SGA when asked; refuse everything else. */
  private negotiate(verb: number, opt: number): void {
    const send = (v: number) => {
      if (!this.socket.destroyed) this.socket.write(Buffer.from([IAC, v, opt]));
    };
    switch (verb) {
      case WILL:
        if (opt === OPT_ECHO || opt === OPT_SGA) {
          if (!this.remoteOn.has(opt)) {
            this.remoteOn.add(opt);
            send(DO);
          }
        } else send(DONT);
        break;
      case WONT:
        if (this.remoteOn.delete(opt)) send(DONT);
        break;
      case DO:
        if (opt === OPT_SGA) {
          if (!this.localOn.has(opt)) {
            this.localOn.add(opt);
            send(WILL);
          }
        } else send(WONT);
        break;
      case DONT:
        if (this.localOn.delete(opt)) send(WONT);
        break;
    }
  }
}

function connectLink(target: ConsoleTarget, label: string, deadline: number): Promise<ConsoleLink> {
  const secrets = [target.password, target.enable_password].filter((s): s is string => !!s);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    const onError = (e: Error) => {
      cleanup();
      socket.destroy();
      reject(new ConsoleError(`console ${label}: ${describeSocketError(e)}`, 'communication'));
    };
    const onConnect = () => {
      cleanup();
      socket.setNoDelay(true);
      resolve(new ConsoleLink(socket, label, secrets));
    };
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(new ConsoleError(`console ${label}: not connected within ${target.timeoutMs} ms`, 'timeout'));
    }, remaining(deadline));
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

/** The device CLI over a link: login, enable, paging off, then one command at a time. */
class CliSession implements ConsoleSession {
  private tail: Promise<unknown> = Promise.resolve();
  private closed: Promise<void> | undefined;

  constructor(
    private readonly link: ConsoleLink,
    private readonly target: ConsoleTarget,
    private readonly prompt: RegExp,
    readonly host_key?: string,
  ) {}

  run(command: string, opts?: { timeoutMs?: number }): Promise<string> {
    return this.enqueue(async () => (await this.exec(command, this.deadline(opts))).output);
  }

  configure(lines: string[], opts?: { timeoutMs?: number }): Promise<string> {
    return this.enqueue(async () => {
      const deadline = this.deadline(opts);
      const enter = await this.exec('configure terminal', deadline);
      if (!CONFIG_PROMPT_RE.test(enter.prompt))
        throw this.link.error(
          `configure terminal refused${enter.output ? `: ${enter.output.split('\n')[0]}` : ''}`,
          'validation',
        );
      const outputs: string[] = [];
      for (const [i, line] of lines.entries()) {
        const { output } = await this.exec(line, deadline);
        const rejected = REJECTED_RE.exec(output);
        if (rejected) {
          const reason = output.split('\n').find((l) => l.trim().startsWith('%')) ?? rejected[0];
          await this.exec('end', deadline).catch(() => undefined); // back to exec mode, best effort
          throw this.link.error(
            `configuration line ${i + 1} (${JSON.stringify(redact(line.trim()))}) rejected: ${reason.trim()}`,
            'validation',
          );
        }
        if (output) outputs.push(output);
      }
      const end = await this.exec('end', deadline);
      if (end.output) outputs.push(end.output);
      return outputs.join('\n');
    });
  }

  close(): Promise<void> {
    this.closed ??= this.tail.then(async () => {
      if (!this.link.alive) return this.link.destroy();
      this.link.writeLine('exit');
      await this.link.shutdown(CLOSE_GRACE_MS);
    });
    return this.closed;
  }

  /** Login, enable, paging off: everything between the TCP connect and the first command. */
  async start(deadline: number): Promise<void> {
    const { link, target } = this;
    const step = (text: string) => loginStep(this.prompt, text);
    link.writeLine(''); // wake the console
    let sentUser = false;
    let sentPassword = false;
    let prompt: string;
    for (let first = true; ; first = false) {
      const { value: s } = await link.waitFor(
        step,
        remaining(deadline),
        'login or device prompt',
        first ? WAKE_QUIET_MS : 0,
      );
      if (s.step === 'prompt') {
        prompt = s.line;
        break;
      }
      if (s.step === 'username') {
        if (sentUser || sentPassword)
          throw link.error('login rejected (check username and password)', 'authentication');
        if (!target.username)
          throw link.error('the device asks for a username but none is configured', 'authentication');
        link.writeLine(target.username);
        sentUser = true;
      } else {
        if (sentPassword) throw link.error('login rejected (check username and password)', 'authentication');
        if (target.password === undefined)
          throw link.error('the device asks for a login password but none is configured', 'authentication');
        link.writeLine(target.password);
        sentPassword = true;
      }
    }

    if (prompt.endsWith('>')) {
      link.clear();
      link.writeLine('enable');
      let s = (await link.waitFor(step, remaining(deadline), 'answer to enable')).value;
      if (s.step === 'password') {
        if (target.enable_password === undefined)
          throw link.error(
            'enable asks for a password but no enable_password is configured',
            'authentication',
          );
        link.writeLine(target.enable_password);
        s = (await link.waitFor(step, remaining(deadline), 'answer to the enable password')).value;
        if (s.step !== 'prompt' || !s.line.endsWith('#'))
          throw link.error('enable password rejected', 'authentication');
      } else if (s.step !== 'prompt' || !s.line.endsWith('#')) {
        throw link.error('could not enter enable mode', 'authentication');
      }
    } else if (CONFIG_PROMPT_RE.test(prompt)) {
      await this.exec('end', deadline); // someone left the console in configuration mode
    }
    await this.exec('terminal length 0', deadline);
  }

  private deadline(opts?: { timeoutMs?: number }): number {
    return Date.now() + (opts?.timeoutMs ?? this.target.timeoutMs);
  }

  /** Commands are serialised per session: each waits for the previous one to finish. */
  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.link.error('session is closed', 'communication'));
    const result = this.tail.then(op);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Send one line and wait for the prompt; a timeout or a broken link ends the session (its state is unknown). */
  private async exec(command: string, deadline: number): Promise<{ output: string; prompt: string }> {
    if (/[\r\n]/.test(command))
      throw this.link.error(
        `a command must be a single line: ${JSON.stringify(redact(command))}`,
        'validation',
      );
    this.link.clear();
    this.link.writeLine(command);
    try {
      const { value: prompt, text } = await this.link.waitFor(
        (text) => matchPrompt(this.prompt, text),
        remaining(deadline),
        `prompt after ${JSON.stringify(redact(normalize(command)))}`,
      );
      return { output: extractOutput(text, command), prompt };
    } catch (e) {
      if (e instanceof ConsoleError)
        this.link.destroy(
          this.link.error(`session closed after an earlier ${e.kind} error`, 'communication'),
        );
      throw e;
    }
  }
}

function promptPattern(target: ConsoleTarget, label: string): RegExp {
  try {
    return new RegExp(`(?:${target.prompt})\\s*$`);
  } catch {
    throw new ConsoleError(
      `console ${label}: invalid prompt pattern ${JSON.stringify(target.prompt)}`,
      'validation',
    );
  }
}

async function startSession(session: CliSession, link: ConsoleLink, deadline: number): Promise<CliSession> {
  try {
    await session.start(deadline);
  } catch (e) {
    link.destroy();
    throw e;
  }
  return session;
}

/** The telnet adapter: one TCP connection per session, via a terminal server or the device itself. */
export class TelnetConsole implements ConsolePort {
  async open(target: ConsoleTarget): Promise<ConsoleSession> {
    const label = `${target.host}:${target.port}`;
    if (target.transport && target.transport !== 'telnet')
      throw new ConsoleError(
        `console ${label}: the telnet adapter cannot open transport ${String(target.transport)}`,
        'validation',
      );
    const prompt = promptPattern(target, label);
    const deadline = Date.now() + target.timeoutMs;
    const link = await connectLink(target, label, deadline);
    return startSession(new CliSession(link, target, prompt), link, deadline);
  }
}

/** `SHA256:<base64, unpadded>` of an SSH public key blob, as OpenSSH prints host key fingerprints. */
export const sshFingerprint = (key: Buffer): string =>
  `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The SSH adapter (ssh2): one SSH connection and one shell channel per session, password
 * authentication (also answering keyboard-interactive with the password), then the same CLI
 * dialogue as over telnet. With `host_key` the device must present that key, otherwise the
 * connection is refused before any credential is sent; without it the key is accepted and its
 * fingerprint recorded on the session (`host_key`).
 */
export class SshConsole implements ConsolePort {
  async open(target: ConsoleTarget): Promise<ConsoleSession> {
    const label = `${target.host}:${target.port}`;
    if (target.transport !== 'ssh')
      throw new ConsoleError(
        `console ${label}: the ssh adapter cannot open transport ${String(target.transport)}`,
        'validation',
      );
    if (!target.username || target.password === undefined)
      throw new ConsoleError(`console ${label}: ssh needs a username and a password`, 'authentication');
    const prompt = promptPattern(target, label);
    const deadline = Date.now() + target.timeoutMs;
    const secrets = [target.password, target.enable_password].filter((s): s is string => !!s);
    const client = new ssh2.Client();
    let seen: string | undefined;
    let keyRefused = false;
    const channel = await new Promise<Stream>((resolve, reject) => {
      const fail = (e: ConsoleError) => {
        clearTimeout(timer);
        client.end();
        client.destroy();
        reject(e);
      };
      const timer = setTimeout(
        () =>
          fail(new ConsoleError(`console ${label}: not connected within ${target.timeoutMs} ms`, 'timeout')),
        remaining(deadline),
      );
      client.on('error', (e: Error & { level?: string }) => {
        if (keyRefused)
          return fail(
            new ConsoleError(
              `console ${label}: host key ${seen ?? '?'} is not the pinned ${target.host_key}`,
              'authentication',
            ),
          );
        if (e.level === 'client-authentication')
          return fail(
            new ConsoleError(
              `console ${label}: login rejected (check username and password)`,
              'authentication',
            ),
          );
        let text = describeSocketError(e);
        for (const sec of secrets) text = text.split(sec).join('***');
        fail(new ConsoleError(`console ${label}: ${text}`, 'communication'));
      });
      client.on('keyboard-interactive', (_n, _i, _l, prompts, finish) =>
        finish(prompts.map(() => target.password!)),
      );
      client.on('ready', () =>
        client.shell({ term: 'vt100', cols: 511, rows: 24 }, (err, stream) => {
          if (err)
            return fail(new ConsoleError(`console ${label}: no shell: ${err.message}`, 'communication'));
          clearTimeout(timer);
          resolve(stream as unknown as Stream);
        }),
      );
      client.connect({
        host: target.host,
        port: target.port,
        username: target.username,
        password: target.password,
        tryKeyboard: true,
        readyTimeout: Math.max(1, remaining(deadline)),
        keepaliveInterval: 0,
        hostVerifier: (key: Buffer) => {
          seen = sshFingerprint(key);
          keyRefused = !!target.host_key && !sameText(seen, target.host_key);
          return !keyRefused;
        },
      });
    });
    channel.on('close', () => client.end());
    const link = new ConsoleLink(channel, label, secrets, false, '\r');
    return startSession(new CliSession(link, target, prompt, seen), link, deadline);
  }
}

/** The console port the product uses: telnet or SSH, as each connector says. */
export class DeviceConsoles implements ConsolePort {
  private readonly telnet = new TelnetConsole();
  private readonly ssh = new SshConsole();

  open(target: ConsoleTarget): Promise<ConsoleSession> {
    const t = target.transport ?? 'telnet';
    if (t === 'ssh') return this.ssh.open(target);
    if (t === 'telnet') return this.telnet.open(target);
    return Promise.reject(
      new ConsoleError(
        `console ${target.host}:${target.port}: unsupported transport ${String(t)}`,
        'validation',
      ),
    );
  }
}
