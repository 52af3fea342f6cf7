/**
 * The local cloud's EC2, as state on the virtual clock: instances launched from images, their
 * states moving as EC2's do (pending → running, stopping → stopped, shutting-down → terminated),
 * a CML on each that answers once it has booked its boot time, tags, and EC2's real error codes
 * for what AWS refuses (capacity per instance type, the account's instance limit, unknown ids,
 * an image or a client token reused with other parameters). Never kinder than AWS: a launch
 * answers `pending`, not `running`; a terminated instance stays visible for an hour.
 */
import type { Clock } from '../../../shared/domain/clock.ts';

export class Ec2SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface SimImage {
  id: string;
  name: string;
  created: string;
  owner?: string;
}

export interface SimInstance {
  id: string;
  image: string;
  type: string;
  subnet?: string;
  groups: string[];
  private_ip: string;
  public_ip?: string;
  tags: Record<string, string>;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  /** When the current state's transition is done (pending → running etc.). */
  until: number;
  /** When the instance last became running: CML's boot counts from here. */
  running_since?: number;
  ended_at?: number;
  client_token?: string;
}

export interface Ec2SimOptions {
  /** Virtual ms an instance stays pending / stopping / shutting-down. */
  transition_ms: number;
  /** Virtual ms from running to CML answering (the CML boot). */
  cml_boot_ms: number;
  /** The account's instance limit (InstanceLimitExceeded past it). */
  instance_limit: number;
  /** Capacity per instance type (InsufficientInstanceCapacity past it); unlimited if absent. */
  capacity?: Record<string, number>;
  images: SimImage[];
  /**
   * The first two octets of the instances' private addresses (default `10.20`). The local runtime
   * gives its instances loopback addresses (`127.<n>`) so that each one's CML and consoles listen
   * at its own private address, reachable from this machine as a worker's is from its VPC.
   */
  address_prefix?: string;
}

export const DEFAULT_EC2_SIM: Ec2SimOptions = {
  transition_ms: 60_000,
  cml_boot_ms: 10 * 60_000,
  instance_limit: 32,
  images: [
    { id: 'ami-0c3a1c0000000281', name: 'cml-2.8.1-x86_64', created: '2026-06-01T00:00:00.000Z' },
    { id: 'ami-0c3a1c0000000280', name: 'cml-2.8.0-x86_64', created: '2026-01-01T00:00:00.000Z' },
    { id: 'ami-0c3a1c00000002p1', name: 'cml-personal-2.8.1', created: '2026-06-01T00:00:00.000Z' },
  ],
};

const HOUR = 3_600_000;

export class Ec2Simulator {
  readonly instances = new Map<string, SimInstance>();
  #seq = 0;
  readonly options: Ec2SimOptions;
  /** Called when an instance's CML comes up / goes down (the local runtime starts a CML for it). */
  onCml?: (instance: SimInstance, up: boolean) => void;
  readonly #cmlUp = new Set<string>();

  constructor(
    private readonly clock: Clock,
    options: Partial<Ec2SimOptions> = {},
  ) {
    this.options = { ...DEFAULT_EC2_SIM, ...options };
  }

  /** Moves every instance's state to where the clock says it is. */
  advance(): void {
    const now = this.clock.now();
    for (const i of this.instances.values()) {
      if (i.until <= now) {
        if (i.state === 'pending') {
          i.state = 'running';
          i.running_since = i.until;
        } else if (i.state === 'stopping') i.state = 'stopped';
        else if (i.state === 'shutting-down') {
          i.state = 'terminated';
          i.ended_at = i.until;
        }
      }
      const up = i.state === 'running' && now - (i.running_since ?? now) >= this.options.cml_boot_ms;
      if (up !== this.#cmlUp.has(i.id)) {
        if (up) this.#cmlUp.add(i.id);
        else this.#cmlUp.delete(i.id);
        this.onCml?.(i, up);
      }
      if (i.state === 'terminated' && now - (i.ended_at ?? now) > HOUR) this.instances.delete(i.id);
    }
  }

  cmlReady(id: string): boolean {
    this.advance();
    return this.#cmlUp.has(id);
  }

  describeImages(filters: Record<string, string[]>, owners: string[]): SimImage[] {
    void owners;
    const names = filters.name ?? ['*'];
    return this.options.images.filter((img) => names.some((p) => glob(p).test(img.name)));
  }

  run(req: {
    image: string;
    type: string;
    subnet?: string;
    groups: string[];
    tags: Record<string, string>;
    client_token?: string;
    public_ip?: boolean;
  }): SimInstance {
    this.advance();
    if (req.client_token) {
      const same = [...this.instances.values()].find((i) => i.client_token === req.client_token);
      if (same) {
        if (same.image !== req.image || same.type !== req.type)
          throw new Ec2SimError(
            'IdempotentParameterMismatch',
            `The client token ${req.client_token} was used with other parameters.`,
          );
        return same;
      }
    }
    if (!this.options.images.some((i) => i.id === req.image))
      throw new Ec2SimError('InvalidAMIID.NotFound', `The image id '[${req.image}]' does not exist`);
    const live = [...this.instances.values()].filter((i) => i.state !== 'terminated');
    if (live.length >= this.options.instance_limit)
      throw new Ec2SimError(
        'InstanceLimitExceeded',
        `You have requested more instances (${live.length + 1}) than your current instance limit of ${this.options.instance_limit} allows.`,
      );
    const cap = this.options.capacity?.[req.type];
    if (cap !== undefined && live.filter((i) => i.type === req.type).length >= cap)
      throw new Ec2SimError(
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${req.type} capacity in the Availability Zone you requested.`,
        500,
      );
    const n = ++this.#seq;
    const inst: SimInstance = {
      id: `i-${n.toString(16).padStart(17, '0')}`,
      image: req.image,
      type: req.type,
      ...(req.subnet ? { subnet: req.subnet } : {}),
      groups: req.groups,
      private_ip: `${this.options.address_prefix ?? '10.20'}.${Math.floor(n / 250) + 1}.${(n % 250) + 2}`,
      ...(req.public_ip ? { public_ip: `203.0.113.${(n % 250) + 2}` } : {}),
      tags: { ...req.tags },
      state: 'pending',
      until: this.clock.now() + this.options.transition_ms,
      ...(req.client_token ? { client_token: req.client_token } : {}),
    };
    this.instances.set(inst.id, inst);
    return inst;
  }

  describe(filter: { ids?: string[]; tags?: Record<string, string[]>; states?: string[] }): SimInstance[] {
    this.advance();
    return [...this.instances.values()].filter(
      (i) =>
        (!filter.ids || filter.ids.includes(i.id)) &&
        (!filter.states || filter.states.includes(i.state)) &&
        Object.entries(filter.tags ?? {}).every(([k, vs]) => vs.includes(i.tags[k] ?? '\u0000')),
    );
  }

  #get(id: string): SimInstance {
    this.advance();
    const i = this.instances.get(id);
    if (!i) throw new Ec2SimError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return i;
  }

  start(id: string): { previous: string; current: string } {
    const i = this.#get(id);
    const previous = i.state;
    if (i.state === 'terminated' || i.state === 'shutting-down' || i.state === 'stopping')
      throw new Ec2SimError(
        'IncorrectInstanceState',
        `The instance '${id}' is not in a state from which it can be started.`,
      );
    if (i.state === 'stopped') {
      i.state = 'pending';
      i.until = this.clock.now() + this.options.transition_ms;
    }
    return { previous, current: i.state };
  }

  stop(id: string): { previous: string; current: string } {
    const i = this.#get(id);
    const previous = i.state;
    if (i.state === 'terminated' || i.state === 'shutting-down')
      throw new Ec2SimError(
        'IncorrectInstanceState',
        `The instance '${id}' is not in a state from which it can be stopped.`,
      );
    if (i.state === 'running' || i.state === 'pending') {
      i.state = 'stopping';
      i.until = this.clock.now() + this.options.transition_ms;
      i.running_since = undefined;
    }
    this.advance();
    return { previous, current: i.state };
  }

  terminate(id: string): { previous: string; current: string } {
    const i = this.#get(id);
    const previous = i.state;
    if (i.state !== 'terminated' && i.state !== 'shutting-down') {
      i.state = 'shutting-down';
      i.until = this.clock.now() + this.options.transition_ms;
      i.running_since = undefined;
    }
    this.advance();
    return { previous, current: i.state };
  }

  tag(ids: string[], tags: Record<string, string>): void {
    for (const id of ids) Object.assign(this.#get(id).tags, tags);
  }

  /** Chaos: the instance is gone at once (a host failure, a spot reclaim, an operator). */
  kill(id: string): void {
    const i = this.#get(id);
    i.state = 'terminated';
    i.ended_at = this.clock.now();
    i.running_since = undefined;
    this.advance();
  }
}

/** EC2 filter wildcards: `*` any run, `?` one character. */
function glob(pattern: string): RegExp {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}
