/**
 * The kinds of port a device of a pod may expose (`lcm:expose=<kind>` on a CML node), what each
 * is, and which console transports reach a device through it. The validator accepts these tags
 * and checks connectors against them; placement allocates one port per exposed kind and names it
 * `<device>_<kind>`; jobs see it as `runtime_env.devices.<device>.<kind>_port`.
 */
export const PORT_KINDS = {
  serial: {
    description: "The node's serial console through the worker's terminal server",
    transports: ['telnet'],
  },
  ssh: {
    description: "The node's SSH server (its management interface), forwarded from the worker",
    transports: ['ssh'],
  },
  pat: {
    description: "A TCP port of the worker forwarded to the node's console line (CML PATty)",
    transports: ['telnet'],
  },
  vnc: {
    description: "The node's graphical console (VNC), for the candidate's browser only",
    transports: [],
  },
} as const satisfies Record<string, { description: string; transports: readonly string[] }>;
export type PortKind = keyof typeof PORT_KINDS;
export const isPortKind = (s: string): s is PortKind => Object.hasOwn(PORT_KINDS, s);

/** The tag that makes a CML node expose a port of a kind. */
export const EXPOSE_TAG = 'lcm:expose=';

/** `rtr01_serial` → { device: 'rtr01', kind: 'serial' }; undefined for another name. */
export function parsePortName(name: string): { device: string; kind: PortKind } | undefined {
  const i = name.lastIndexOf('_');
  if (i <= 0) return undefined;
  const kind = name.slice(i + 1);
  return isPortKind(kind) ? { device: name.slice(0, i), kind } : undefined;
}
