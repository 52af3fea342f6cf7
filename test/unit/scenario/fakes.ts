import { ScaledClock, iso } from '../../../shared/domain/clock.ts';
import { deadlineFor, sleeperFor } from '../../../shared/domain/sleep.ts';
import type { ConsolePort, ConsoleSession, ConsoleTarget } from '../../../shared/adapters/console.ts';
import type { ReportStore, ScenarioServices } from '../../../shared/scenario/functions.ts';
import type { JobDefinition, JobStep } from '../../../shared/dsl/catalogue.ts';

/** The enable password the default secrets port resolves `cml/devices` to. */
export const DEVICE_ENABLE = 'S3cr3t-Enable!';

/** Devices keyed by console port: command → output. */
export class FakeConsoles implements ConsolePort {
  readonly opened: ConsoleTarget[] = [];
  readonly sent: string[] = [];
  constructor(readonly devices: Record<number, Record<string, string>>) {}
  async open(t: ConsoleTarget): Promise<ConsoleSession> {
    this.opened.push(t);
    const dev = this.devices[t.port];
    if (!dev)
      throw Object.assign(new Error(`connection refused ${t.host}:${t.port}`), { kind: 'communication' });
    return {
      run: async (c) => {
        this.sent.push(c);
        return dev[c] ?? "% Invalid input detected at '^' marker.";
      },
      configure: async (lines) => {
        this.sent.push(...lines);
        return '';
      },
      close: async () => undefined,
    };
  }
}

export class MemoryReports implements ReportStore {
  readonly docs = new Map<string, unknown>();
  async put(jobId: string, stepId: string, report: object): Promise<string> {
    const ref = `mem://${jobId}/${stepId}`;
    this.docs.set(ref, structuredClone(report));
    return ref;
  }
}

/**
 * Virtual time ×100: a 60 s pause takes 600 ms. `sleeps` records every wait the job asked for and
 * how it ended (a step timeout aborts the step's own wait), so a test can tell a pause that ran
 * to its end from one a timeout cut short whatever the machine's speed.
 */
export function services(
  consoles: ConsolePort,
  reports = new MemoryReports(),
): ScenarioServices & { reports: MemoryReports; sleeps: { ms: number; ended: 'elapsed' | 'aborted' }[] } {
  const clock = new ScaledClock(100, Date.parse('2026-12-01T10:00:00Z'));
  const sleep = sleeperFor(clock);
  const sleeps: { ms: number; ended: 'elapsed' | 'aborted' }[] = [];
  return {
    console: consoles,
    secrets: new FakeSecrets({ 'cml/devices': { enable_password: DEVICE_ENABLE } }),
    cml: () => {
      throw new Error('no CML in this test');
    },
    reports,
    sleeps,
    // Step timeouts as in production: the clock's time, never less than 5 s of wall time (a
    // device, or a busy machine, does not answer faster because the clock is accelerated).
    deadline: deadlineFor(clock, 5_000),
    sleep: (ms, signal) =>
      sleep(ms, signal).then(
        () => void sleeps.push({ ms, ended: 'elapsed' }),
        (e: unknown) => {
          sleeps.push({ ms, ended: 'aborted' });
          throw e;
        },
      ),
    now: () => iso(clock.now()),
  };
}

export const job = (steps: JobStep[], name = 't'): JobDefinition => ({
  kind: 'JobDefinition',
  metadata: { name, version: 'v1' },
  spec: { steps },
});

export const connectors = (names: string[]) =>
  names.map((n) => ({
    name: n,
    class: 'cisco_common',
    transport: 'telnet',
    host: '${ .runtime_env.worker.address }',
    port: `\${ .runtime_env.devices.${n}.serial_port }`,
    prompt: `${n}[>#]`,
    secret: 'cml/devices',
    timeout: 5,
  }));

/** The secrets port over a fixed map of references (`cml/devices` → credentials). */
export class FakeSecrets {
  readonly resolved: string[] = [];
  constructor(readonly values: Record<string, Record<string, string>>) {}
  async resolve(ref: string): Promise<Record<string, string>> {
    this.resolved.push(ref);
    const v = this.values[ref];
    if (!v) throw Object.assign(new Error(`unknown secret reference ${ref}`), { kind: 'validation' });
    return v;
  }
}
