#!/usr/bin/env node
/**
 * Each module's mutation score from StrykerJS's JSON report (reports/mutation/mutation.json), and
 * a failure when one of the named modules is under `thresholds.break` (issue 18: ≥ 85 % on EACH
 * rule module, not only on their sum, which is all Stryker itself checks).
 *
 *   node .ci/mutation-scores.mjs shared/domain/placement.ts shared/domain/worker.ts …
 *
 * Score as Stryker counts it: (Killed + Timeout) ÷ (Killed + Timeout + Survived + NoCoverage);
 * Ignored (string literals, see stryker.config.mjs), CompileError and RuntimeError do not count.
 */
import { readFileSync } from 'node:fs';
import config from '../stryker.config.mjs';

const report = JSON.parse(readFileSync(config.jsonReporter.fileName, 'utf8'));
const threshold = config.thresholds.break;
const wanted = process.argv.slice(2);
let failed = false;
const rows = [];
for (const name of wanted.length ? wanted : Object.keys(report.files).sort()) {
  const file = report.files[name];
  if (!file) {
    rows.push([name, '-', '-', '-', 'not in the report']);
    failed = true;
    continue;
  }
  const count = (...s) => file.mutants.filter((m) => s.includes(m.status)).length;
  const detected = count('Killed', 'Timeout');
  const undetected = count('Survived', 'NoCoverage');
  const valid = detected + undetected;
  const score = valid ? (100 * detected) / valid : 100;
  const ok = score >= threshold;
  if (!ok) failed = true;
  rows.push([
    name,
    String(valid),
    String(undetected),
    `${score.toFixed(2)} %`,
    ok ? 'ok' : `under ${threshold} %`,
  ]);
}
const head = ['module', 'mutants', 'survivors', 'score', ''];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
process.exit(failed ? 1 : 0);
