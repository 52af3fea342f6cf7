/**
 * The local cloud's CML fleet: the EC2 simulator behind its Query endpoint (the product's real
 * `@aws-sdk/client-ec2` code reaches it through AWS_ENDPOINT_URL_EC2), and for every instance
 * whose CML has booted on the virtual clock, its own simulated CML controller and device consoles
 * listening at the instance's private address. Private addresses are loopback addresses
 * (`127.<n>.x.y`, one second octet per runtime), so each worker's API and console ports are its
 * own, as on separate EC2 instances; an instance stopped, terminated or killed takes its CML and
 * its consoles down with it.
 *
 * The fleet reconcile pass runs on the runtime's clock tick through `tick()`: a stand-in for the
 * scheduled fleet function of the AWS topology (the same `runFleetPass`, D126).
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../shared/domain/clock.ts';
import { fleetNetworkFromEnv, runFleetPass } from '../../shared/fleet/service.ts';
import type { FleetPassReport, FleetSettings } from '../../shared/fleet/reconcile.ts';
import { startEc2Endpoint, type Ec2Auth, type Ec2Endpoint } from './ec2-endpoint.ts';
import { LocalPods } from './pods.ts';
import { CmlSimulator } from './sim/cml-server.ts';
import { Ec2Simulator, type Ec2SimOptions, type SimInstance } from './sim/ec2-sim.ts';

export interface LocalFleetOptions {
  clock: Clock;
  devicesDir: string;
  cml: { username: string; password: string };
  devices: { enable_password: string; username?: string; password?: string };
  /** CML simulator timings (0 = instantaneous). */
  delayScale: number;
  ec2?: Partial<Ec2SimOptions>;
  log?: (line: string) => void;
  /** Overrides of the stored fleet configuration (the runtime's `fleet` option). */
  settings?: Partial<FleetSettings>;
  /** DynamoDB for the pass (set by the runtime once the tables exist; not the metered one). */
  dynamo?: () => DynamoDBDocumentClient;
  /**
   * Runs the pass as the stage's fleet function (its environment and credentials, so its IAM
   * grants; the network it launches into from its template variables). Absent: the process's own
   * credentials and the stand-in network `LOCAL_NETWORK`.
   */
  asFunction?: <T>(fn: () => T) => T;
  /** IAM at the EC2 endpoint (the callers' roles); absent or undefined: every call allowed. */
  ec2Auth?: () => Ec2Auth | undefined;
}

interface Host {
  cml: CmlSimulator;
  pods: LocalPods;
}

/** The local stand-in of the stage's network (subnet and security group the workers launch into). */
export const LOCAL_NETWORK = { subnet_id: 'subnet-0local', security_group_ids: ['sg-0localworkers'] };

/**
 * The console ports of a local worker. In AWS a CML host's consoles are 2000-9999 on its own
 * address. Here the instances share one machine: a socket another program holds on 0.0.0.0 takes
 * that port on every loopback address. This machine has one at 2024, which made the device behind
 * every worker's first pod unreachable (chaos: one session per worker failed with "connection
 * closed by the device"). So the local range is 20000-29999, above the usual services and below
 * the kernel's ephemeral ports (32768 and up). D126.
 */
export const LOCAL_CONSOLE_PORTS = { start: 20000, end: 29999 } as const;

export class LocalFleet {
  readonly sim: Ec2Simulator;
  endpoint?: Ec2Endpoint;
  /** The port every simulated CML listens on, at its instance's address. */
  cmlPort = 0;
  readonly hosts = new Map<string, Host>();
  readonly errors: string[] = [];
  /** The last passes' reports (newest last, a few kept). */
  readonly reports: FleetPassReport[] = [];
  #pending: Promise<void> = Promise.resolve();
  #running = false;

  constructor(private readonly o: LocalFleetOptions) {
    this.sim = new Ec2Simulator(o.clock, {
      address_prefix: `127.${randomInt(16, 250)}`,
      ...o.ec2,
    });
    this.sim.onCml = (i, up) => {
      this.#pending = this.#pending
        .then(() => (up ? this.boot(i) : this.halt(i.id)))
        .catch((e: unknown) => {
          this.errors.push(`${up ? 'boot' : 'halt'} ${i.id}: ${(e as Error).message}`);
        });
    };
  }

  async start(): Promise<void> {
    this.endpoint = await startEc2Endpoint(this.sim, 0, () => this.o.ec2Auth?.());
    this.cmlPort = await freePort(this.sim.options.address_prefix ?? '127.0');
  }

  /** `http://{address}:<port>`: where each worker's simulated CML answers. */
  get cmlUrlTemplate(): string {
    return `http://{address}:${this.cmlPort}`;
  }

  private async boot(i: SimInstance): Promise<void> {
    if (this.hosts.has(i.id)) return;
    const pods = new LocalPods(this.o.devicesDir, this.o.devices, undefined, i.private_ip);
    const cml = new CmlSimulator({
      ...this.o.cml,
      host: i.private_ip,
      port: this.cmlPort,
      delayScale: this.o.delayScale,
      now: () => this.o.clock.now(),
      onLabAction: pods.onLabAction,
    });
    this.hosts.set(i.id, { cml, pods });
    await cml.start();
  }

  private async halt(id: string): Promise<void> {
    const h = this.hosts.get(id);
    if (!h) return;
    this.hosts.delete(id);
    await Promise.all([h.cml.stop(), h.pods.stop()]);
  }

  /** Moves the instances to where the clock says (CMLs come up and go down) and waits for it. */
  async advance(): Promise<void> {
    this.sim.advance();
    await this.#pending;
  }

  /** One fleet reconcile pass (the clock tick's): never two at once. */
  async tick(): Promise<FleetPassReport | undefined> {
    if (this.#running) return undefined;
    this.#running = true;
    try {
      await this.advance();
      const pass = (network: FleetSettings['network']) =>
        runFleetPass({
          network,
          settings: {
            cml_url_template: this.cmlUrlTemplate,
            console_ports: LOCAL_CONSOLE_PORTS,
            ...this.o.settings,
          },
          ...(this.o.dynamo ? { dynamo: this.o.dynamo() } : {}),
          ...(this.o.log
            ? { log: (msg, data) => this.o.log!(`[fleet] ${msg} ${JSON.stringify(data)}`) }
            : {}),
        });
      const report = await (this.o.asFunction
        ? this.o.asFunction(() => pass(fleetNetworkFromEnv()))
        : pass(LOCAL_NETWORK));
      await this.advance();
      this.reports.push(report);
      if (this.reports.length > 20) this.reports.shift();
      for (const e of report.errors) this.errors.push(`${e.worker ?? 'fleet'}: ${e.error}`);
      return report;
    } finally {
      this.#running = false;
    }
  }

  /** Device console start-up and shutdown errors over every worker. */
  get podErrors(): string[] {
    return [...this.hosts.values()].flatMap((h) => h.pods.errors);
  }

  /** Labs running on every worker. */
  get labsRunning(): number {
    return [...this.hosts.values()].reduce((n, h) => n + h.pods.running, 0);
  }

  async stop(): Promise<void> {
    await this.#pending;
    await Promise.all([...this.hosts.keys()].map((id) => this.halt(id)));
    await this.endpoint?.close();
  }
}

/** A port free on this runtime's loopback addresses (checked on the first one). */
function freePort(prefix: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, `${prefix}.1.1`, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
