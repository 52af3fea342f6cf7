/**
 * Local pods: when the CML simulator starts a lab, every node tagged `lcm:serial=<port>` gets a
 * telnet console on that port (the worker's address is 127.0.0.1 locally), answering from the
 * scripted device models in seeds/devices/*.yaml (by node label; a generic IOS model otherwise).
 * Stopping, wiping or deleting the lab closes its consoles, freeing the ports for the next pod.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CmlLabAction } from './sim/cml-server.ts';
import { DeviceConsoleSimulator, type DeviceModel } from './sim/device-console.ts';

type Models = Record<string, { enable_password?: string; commands: Record<string, string> }>;

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
  readonly #labs = new Map<string, DeviceConsoleSimulator>();
  readonly #pending = new Map<string, Promise<void>>();
  readonly models: Models;
  errors: string[] = [];

  constructor(
    modelsDir: string,
    private readonly enablePassword: string,
  ) {
    this.models = loadDeviceModels(modelsDir);
  }

  model(label: string): DeviceModel {
    const m = this.models[label];
    return {
      hostname: label,
      enablePassword: m?.enable_password ?? this.enablePassword,
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
    const sim = new DeviceConsoleSimulator();
    this.#labs.set(e.lab.id, sim);
    for (const n of e.nodes) {
      const tag = n.tags.find((t) => t.startsWith('lcm:serial='));
      if (tag) await sim.addDevice(this.model(n.label), Number(tag.slice('lcm:serial='.length)));
    }
  }

  private async shutdown(labId: string): Promise<void> {
    const sim = this.#labs.get(labId);
    this.#labs.delete(labId);
    await sim?.stop();
  }

  get running(): number {
    return this.#labs.size;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#pending.values()]);
    await Promise.all([...this.#labs.values()].map((s) => s.stop()));
    this.#labs.clear();
  }
}
