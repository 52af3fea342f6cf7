/**
 * `npm run bench [name…]`: runs every test/bench/*.bench.ts (or the named ones) and prints its
 * figures. Benchmarks report ratios and counts (writes per session, calls per operation,
 * warm/cold ratios) next to times, because counts hold on a noisy machine and times do not.
 */
import '../../infra/local/polyfills.ts';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchResult {
  name: string;
  figures: Record<string, number | string>;
  notes?: string[];
}

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
// Pinned SDK releases run on Node 20; the SDK's notice about releases after January 2027 is not a figure.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let failed = 0;
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { run: () => Promise<BenchResult> };
  const t0 = performance.now();
  try {
    const r = await mod.run();
    console.log(`\n## ${r.name}  (${basename(f)}, ${Math.round(performance.now() - t0)} ms)`);
    for (const [k, v] of Object.entries(r.figures))
      console.log(`  ${k.padEnd(48)} ${typeof v === 'number' ? fmt(v) : v}`);
    for (const n of r.notes ?? []) console.log(`  note: ${n}`);
  } catch (e) {
    failed++;
    console.error(`\n## ${f} FAILED: ${(e as Error).stack}`);
  }
}
process.exit(failed ? 1 : 0);

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return v < 10 ? v.toFixed(3) : v.toFixed(1);
}
