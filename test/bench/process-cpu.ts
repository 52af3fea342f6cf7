/**
 * Where a benchmark's CPU goes outside the JavaScript profile: this Node process's CPU time and
 * that of every process it started (DynamoDB Local's JVM above all: a separate process, so its
 * work shows in Node's profile only as idle time, waiting), read from /proc, and the load average
 * beside each timing (the machine is shared: a time means little without it).
 *
 * `cpuProfile()` starts V8's sampling profiler on this process through the inspector (no flags
 * needed) and writes a `.cpuprofile` that `test/bench/profile-summary.ts` reads.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** user + system CPU seconds of the process itself (reaped children not included). */
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: the fields after it start after the last ')'.
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return {
      pid,
      comm,
      ppid: Number(f[1]),
      cpuSeconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined; // gone, or not Linux
  }
}

/** Every live descendant of `root` (children, grandchildren, …), from /proc. */
export function descendants(root = process.pid): ProcStat[] {
  let all: ProcStat[];
  try {
    all = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => readStat(Number(d)))
      .filter((s): s is ProcStat => s !== undefined);
  } catch {
    return [];
  }
  const byParent = new Map<number, ProcStat[]>();
  for (const s of all) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  const out: ProcStat[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of byParent.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

export interface CpuSnapshot {
  at: number;
  /** This Node process, user + system seconds. */
  node: number;
  /** CPU seconds per descendant command name (java = DynamoDB Local), summed over processes. */
  children: Record<string, number>;
  load: number[];
}

export function cpuSnapshot(): CpuSnapshot {
  const u = process.cpuUsage();
  const children: Record<string, number> = {};
  for (const d of descendants()) children[d.comm] = (children[d.comm] ?? 0) + d.cpuSeconds;
  return { at: performance.now(), node: (u.user + u.system) / 1e6, children, load: loadavg() };
}

/** CPU seconds spent between two snapshots, per process group, beside the wall seconds. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot) {
  const children: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a.children), ...Object.keys(b.children)])) {
    // A child started in between counts from zero; one that ended is lost (not the case here).
    const d = (b.children[k] ?? 0) - (a.children[k] ?? 0);
    if (d > 0.005) children[k] = d;
  }
  return { wall: (b.at - a.at) / 1000, node: b.node - a.node, children };
}

export const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');

/**
 * Starts V8's CPU profiler in this process; the returned function stops it and writes the
 * profile to `file` (open it in Chrome DevTools, or summarise it with profile-summary.ts).
 */
export async function cpuProfile(file: string, samplingIntervalUs = 1000): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
