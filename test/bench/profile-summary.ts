/**
 * Reads a V8 `.cpuprofile` (the orchestration bench writes one with `LCM_BENCH_CPUPROF=<file>`;
 * `node --cpu-prof` too) and prints where this process's time went, by group:
 *
 *   npx tsx test/bench/profile-summary.ts <file.cpuprofile> [--top 25] [--group <words>]
 *
 * Each sample's time goes to the group of its innermost frame that belongs to a named group
 * (the Step Functions interpreter, ajv, jq-wasm, the AWS SDK, Powertools, the local runtime, the
 * product's code, …), so Node's internals (sockets, streams, timers, crypto) and small packages
 * count to whoever called them: the SDK's HTTP requests to the SDK, the local API server's to
 * the local runtime. JSON.parse / JSON.stringify (V8 builtins, when not inlined), the garbage
 * collector, idle time (this process waiting: on DynamoDB Local, a separate process, above all)
 * and "(program)" (V8 and native code outside any JavaScript frame) are their own rows.
 * A second table lists the leaf package (self time where the sample was taken), and a third the
 * top functions by self time.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = new URL('../../', import.meta.url).href; // file:///…/repo/

/** Named groups by the frame's location (first match wins); undefined: not a group of its own. */
const GROUPS: [string, (path: string) => boolean][] = [
  [
    'Step Functions interpreter (aws-local-stepfunctions, jsonpath-plus)',
    (p) => /node_modules\/(aws-local-stepfunctions|jsonpath-plus|asl-path-validator)\//.test(p),
  ],
  [
    'schema validation (ajv, generated validators)',
    (p) =>
      /node_modules\/(ajv|ajv-formats|fast-uri|fast-deep-equal)\//.test(p) ||
      /\/validators(\.generated)?\.ts/.test(p),
  ],
  ['jq (jq-wasm)', (p) => p.includes('node_modules/jq-wasm/')],
  [
    'AWS SDK (serialisation, signing, HTTP client)',
    (p) => /node_modules\/(@aws-sdk|@smithy|@aws-crypto|fast-xml-parser|strnum|bowser|uuid)\//.test(p),
  ],
  ['Powertools (idempotency, logger, metrics)', (p) => p.includes('node_modules/@aws-lambda-powertools/')],
  ['local S3 (s3rver, koa)', (p) => /node_modules\/(s3rver|koa|@koa|koa-[a-z-]+)\//.test(p)],
  [
    'module loading (tsx, esbuild, ESM loader)',
    (p) => /node_modules\/(tsx|esbuild)\//.test(p) || p.startsWith('node:internal/modules/'),
  ],
  ['local runtime: simulators (CML, consoles, LDS)', (p) => p.includes('infra/local/sim/')],
  [
    'local runtime (API gateway, bus, stream pollers, Step Functions glue, functions)',
    (p) => p.includes('infra/local/') || p.includes('infra/'),
  ],
  ['product code (lambdas/, shared/)', (p) => p.includes('shared/') || p.includes('lambdas/')],
  ['bench driver (test/)', (p) => p.includes('test/')],
];

function ownPath(url: string): string {
  return url.startsWith(ROOT) ? url.slice(ROOT.length) : url;
}

function groupOf(frame: CallFrame): string | undefined {
  if (!frame.url) return undefined;
  const p = ownPath(frame.url);
  for (const [name, test] of GROUPS) if (test(p)) return name;
  return undefined;
}

/** The package (or top folder, or node: module) a frame is in: the leaf table's key. */
function packageOf(frame: CallFrame): string {
  if (!frame.url) return `(native) ${frame.functionName || '(anonymous)'}`;
  const p = ownPath(frame.url);
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (p.startsWith('node:')) return p.split('/').slice(0, 2).join('/');
  return p.split('/').slice(0, 2).join('/');
}

/**
 * Node's own work with no frame of a group on its stack: event-loop callbacks (a socket's data
 * arriving, a timer, the microtask queue) that run before the code they serve. Named by the
 * innermost frame's kind.
 */
function unclaimedKind(frames: CallFrame[]): string {
  // The innermost frame of a kind names it (frames[0] is the leaf).
  for (const { url: u } of frames) {
    if (/^node:(_http_|net|dns|internal\/(streams|stream_base|http|deps\/undici|net|dns))/.test(u))
      return 'Node HTTP and sockets, event-loop side (SDK ↔ DynamoDB Local, fetch ↔ local API)';
    if (/^node:(timers|internal\/timers)/.test(u)) return 'Node timers (event-loop side)';
    if (/^node:(internal\/(async_hooks|process\/task_queues)|async_hooks)/.test(u))
      return 'Node promises, async hooks, microtasks (event-loop side)';
  }
  return 'Node internals, other (event-loop side)';
}

const UNCLAIMED = '\0unclaimed';

export function summarise(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const unclaimedMemo = new Map<number, string>();
  const unclaimed = (id: number): string => {
    const hit = unclaimedMemo.get(id);
    if (hit) return hit;
    const frames: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      frames.push(byId.get(at)!.callFrame);
    const kind = unclaimedKind(frames);
    unclaimedMemo.set(id, kind);
    return kind;
  };
  const attributed = (id: number): string => {
    const hit = memo.get(id);
    if (hit) return hit;
    const n = byId.get(id)!;
    const f = n.callFrame;
    let g: string | undefined;
    if (f.functionName === '(idle)') g = 'idle (waiting: DynamoDB Local, sockets, timers)';
    else if (f.functionName === '(garbage collector)') g = 'garbage collector';
    else if (f.functionName === '(program)') g = '(program): V8 and native code outside JS';
    else if (!f.url && (f.functionName === 'parse' || f.functionName === 'stringify'))
      g = 'JSON.parse / JSON.stringify (builtins)';
    else if (!f.url && f.functionName === 'structuredClone') g = 'structuredClone (builtin)';
    else g = groupOf(f);
    if (!g) {
      const p = parent.get(id);
      g = p === undefined || byId.get(p)!.callFrame.functionName === '(root)' ? UNCLAIMED : attributed(p);
    }
    memo.set(id, g);
    return g;
  };
  const groups = new Map<string, number>();
  const withinGroup = new Map<string, Map<string, number>>();
  const leaves = new Map<string, number>();
  const fns = new Map<string, number>();
  const { samples, timeDeltas } = profile;
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    // A sample's duration: the time until the next sample (the last one: the mean).
    const us = timeDeltas[i + 1] ?? (profile.endTime - profile.startTime) / samples.length;
    const n = byId.get(samples[i]!)!;
    total += us;
    let g = attributed(n.id);
    if (g === UNCLAIMED) g = unclaimed(n.id);
    groups.set(g, (groups.get(g) ?? 0) + us);
    const leaf = packageOf(n.callFrame);
    leaves.set(leaf, (leaves.get(leaf) ?? 0) + us);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${ownPath(n.callFrame.url)}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    const inG = withinGroup.get(g) ?? new Map<string, number>();
    inG.set(fn, (inG.get(fn) ?? 0) + us);
    withinGroup.set(g, inG);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalUs: total,
    groups: sorted(groups),
    leaves: sorted(leaves),
    functions: sorted(fns),
    /** Self time per function within one group (`--group <words>` prints it). */
    within: (group: string) => sorted(withinGroup.get(group) ?? new Map()),
  };
}

function table(title: string, rows: [string, number][], total: number, busy: number, limit = Infinity) {
  console.log(`\n${title}`);
  console.log(`  ${'share'.padStart(6)}  ${'of busy'.padStart(7)}  ${'s'.padStart(7)}  what`);
  for (const [k, us] of rows.slice(0, limit)) {
    const idle = k.startsWith('idle');
    console.log(
      `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${idle ? '      –' : `${((us / busy) * 100).toFixed(1).padStart(6)}%`}  ${(us / 1e6).toFixed(1).padStart(7)}  ${k}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('profile-summary.ts')) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx test/bench/profile-summary.ts <file.cpuprofile> [--top N]');
    process.exit(2);
  }
  const top = Number(process.argv[process.argv.indexOf('--top') + 1] ?? 25) || 25;
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const idle = s.groups.find(([k]) => k.startsWith('idle'))?.[1] ?? 0;
  const busy = s.totalUs - idle;
  console.log(
    `${file}: ${(s.totalUs / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s on the main thread (not idle), ${((busy / s.totalUs) * 100).toFixed(1)} %`,
  );
  table('By group (a sample counts to its innermost frame in a named group):', s.groups, s.totalUs, busy);
  table(`By leaf package (self time), top ${top}:`, s.leaves, s.totalUs, busy, top);
  table(`By function (self time), top ${top}:`, s.functions, s.totalUs, busy, top);
  const gi = process.argv.indexOf('--group');
  if (gi > 0) {
    const words = process.argv[gi + 1]!.toLowerCase();
    for (const [g] of s.groups.filter(([k]) => k.toLowerCase().includes(words)))
      table(`Within "${g}", by function (self time), top ${top}:`, s.within(g), s.totalUs, busy, top);
  }
}
