/**
 * Local pods: when the CML simulator starts a lab, every node tagged `lcm:serial=<port>` (or
 * `lcm:pat=<port>`) gets a telnet console on that port and every node tagged `lcm:ssh=<port>` an
 * SSH server (the worker's address is 127.0.0.1 locally), answering from the scripted device
 * models in seeds/devices/*.yaml (by node label; a generic IOS model otherwise). Over SSH a device
 * takes the local device credentials' username and password. Stopping, wiping or deleting the
 * lab closes its consoles, freeing the ports for the next pod.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CmlLabAction } from './sim/cml-server.ts';
import { DeviceConsoleSimulator, type ConsoleTransport, type DeviceModel } from './sim/device-console.ts';

/** Device models by node label: what each console answers (seeds/devices/*.yaml's `devices`). */
export type DeviceModels = Record<
  string,
  { enable_password?: string; username?: string; password?: string; commands: Record<string, string> }
>;
type Models = DeviceModels;

/** Port tags the product writes (tags_sync) and the console each one gets locally. */
const CONSOLE_TAGS: [string, ConsoleTransport][] = [
  ['lcm:serial=', 'telnet'],
  ['lcm:pat=', 'telnet'],
  ['lcm:ssh=', 'ssh'],
];

export function loadDeviceModels(dir: string): Models {
  const out: Models = {};
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    return out;
  }
  for (const f of files) {
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as { devices?: Models };
    Object.assign(out, doc.devices ?? {});
  }
  return out;
}

export class LocalPods {
  /** per lab, one simulator per console tag (a device may expose a serial and an SSH console) */
  readonly #labs = new Map<string, DeviceConsoleSimulator[]>();
  readonly #pending = new Map<string, Promise<void>>();
  readonly models: Models;
  errors: string[] = [];

  /** Models from a directory of YAML files, or given (the dry run's `--devices` file). */
  constructor(
    modelsDir: string | undefined,
    private readonly credentials: { enable_password: string; username?: string; password?: string },
    models?: Models,
    /** The worker's address its consoles listen on (default 127.0.0.1). */
    private readonly host?: string,
  ) {
    this.models = { ...(modelsDir ? loadDeviceModels(modelsDir) : {}), ...(models ?? {}) };
  }

  /** A device's model; over SSH it also takes a username and password (the transport's login). */
  model(label: string, transport: ConsoleTransport = 'telnet'): DeviceModel {
    const m = this.models[label];
    const login =
      transport === 'ssh'
        ? {
            username: m?.username ?? this.credentials.username,
            password: m?.password ?? this.credentials.password,
          }
        : {};
    return {
      hostname: label,
      ...login,
      enablePassword: m?.enable_password ?? this.credentials.enable_password,
      commands: {
        'show version | include uptime': `${label} uptime is 3 minutes`,
        'show clock': '*10:00:00.000 UTC Tue Dec 1 2026',
        ...(m?.commands ?? {}),
      },
    };
  }

  /** The CML simulator's hook. Console start-up is asynchronous; `ready(lab)` awaits it. */
  onLabAction = (e: CmlLabAction): Promise<void> => {
    const prev = this.#pending.get(e.lab.id) ?? Promise.resolve();
    const next = prev
      .then(() => (e.action === 'start' ? this.boot(e) : this.shutdown(e.lab.id)))
      .catch((err: unknown) => {
        this.errors.push(`${e.action} ${e.lab.id}: ${(err as Error).message}`);
      });
    this.#pending.set(e.lab.id, next);
    return next;
  };

  private async boot(e: CmlLabAction): Promise<void> {
    if (this.#labs.has(e.lab.id)) return;
    const sims = CONSOLE_TAGS.map(() => new DeviceConsoleSimulator(this.host ? { host: this.host } : {}));
    this.#labs.set(e.lab.id, sims);
    for (const n of e.nodes)
      for (const [i, [prefix, transport]] of CONSOLE_TAGS.entries()) {
        const tag = n.tags.find((t) => t.startsWith(prefix));
        if (tag)
          await sims[i]!.addDevice(
            this.model(n.label, transport),
            Number(tag.slice(prefix.length)),
            transport,
          );
      }
  }

  private async shutdown(labId: string): Promise<void> {
    const sims = this.#labs.get(labId) ?? [];
    this.#labs.delete(labId);
    await Promise.all(sims.map((s) => s.stop()));
  }

  get running(): number {
    return this.#labs.size;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#pending.values()]);
    await Promise.all([...this.#labs.values()].flat().map((s) => s.stop()));
    this.#labs.clear();
  }
}
