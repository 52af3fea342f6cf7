/**
 * The sample lablet's own grade job, run by the executor against scripted devices: full marks
 * with the correct answers; exactly the affected items failed, with their on_fail messages, after
 * two device answers change.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validatePackage } from '../../../shared/content/validate.ts';
import { jobContentFromDocument, type PodDefinitionDocument } from '../../../shared/scenario/content.ts';
import { runJob } from '../../../shared/scenario/executor.ts';
import { gradeRubric } from '../../../shared/scenario/grading.ts';
import type { ScoreReport } from '../../../shared/scenario/grading.ts';
import { filesOf } from '../content/packages.ts';
import { FakeConsoles, services } from './fakes.ts';

const models = parse(
  readFileSync(new URL('../../../seeds/devices/lablet-ospf-basics.yaml', import.meta.url), 'utf8'),
) as {
  devices: Record<string, { enable_password: string; commands: Record<string, string> }>;
};
const names = Object.keys(models.devices);
const portOf = (n: string) => 3000 + names.indexOf(n);

async function lablet() {
  const v = await validatePackage(filesOf('lablet-ospf-basics'));
  if (!v.ok) throw new Error(JSON.stringify(v.diagnostics));
  return jobContentFromDocument(
    { id: 'pd_lablet', ...v.fields } as unknown as PodDefinitionDocument,
    'grade@v1',
  );
}

const runtimeEnv = {
  worker: { address: '127.0.0.1' },
  devices: Object.fromEntries(
    names.map((n) => [n, { serial_port: portOf(n), enable_password: models.devices[n]!.enable_password }]),
  ),
};

async function grade(devices: Record<number, Record<string, string>>) {
  const c = await lablet();
  const svc = services(new FakeConsoles(devices));
  const r = await runJob(
    c.definition,
    { session: { cut_score: 80 }, content: c.content, runtime_env: runtimeEnv },
    {
      services: svc,
      connectors: c.connectors,
      job: { id: 'job_grade1', pod_definition_id: 'pd_lablet', process_type: 'Grading' },
    },
  );
  expect(r.status, JSON.stringify(r.error)).toBe('completed');
  const ref = r.reports.find((x) => x.kind === 'score')!.ref;
  return { result: r, report: svc.reports.docs.get(ref) as ScoreReport };
}

const correct = () => Object.fromEntries(names.map((n) => [portOf(n), { ...models.devices[n]!.commands }]));

describe('grading the sample lablet', () => {
  it('the correct configuration scores full marks', async () => {
    const { result, report } = await grade(correct());
    expect(report.per_item.filter((i) => !i.passed)).toEqual([]);
    expect(report).toMatchObject({
      points_awarded: 100,
      points_max: 100,
      percentage: 100,
      passed: true,
      cut_score: 80,
    });
    expect(report.per_item).toHaveLength(10);
    expect(report.per_item.every((i) => i.passed && i.issues.length === 0)).toBe(true);
    // The job's capture carries the summary; the document itself is stored and referenced.
    expect(result.vars.score_percentage).toBe(100);
    expect(result.reports[0]!.ref).toMatch(/^mem:\/\/job_grade1\/score$/);
  });

  it('two changed device answers fail exactly the two affected items, with their on_fail messages', async () => {
    const devices = correct();
    devices[portOf('rtr03')]!['show ip protocols | include Router ID'] = '  Router ID 10.0.0.3';
    devices[portOf('sw01')]!['show vlan brief'] = 'VLAN Name Status Ports\n1    default  active  Gi0/0';
    const { report } = await grade(devices);
    const failed = report.per_item.filter((i) => !i.passed);
    expect(failed.map((i) => i.id)).toEqual(['r3-router-id', 'sw-vlan10']);
    expect(failed.map((i) => i.issues)).toEqual([
      ["rtr03's router ID is not 3.3.3.3"],
      ['VLAN 10 (OSPF) is missing or inactive on sw01'],
    ]);
    expect(report).toMatchObject({ points_awarded: 85, percentage: 85, passed: true });
  });

  it('an item passes only when all its checks pass; a value never collected is an issue', () => {
    const rubric = {
      kind: 'EvaluationRuleset' as const,
      spec: {
        max_points: 10,
        items: [
          {
            id: 'both',
            points: 10,
            checks: [
              { source: 'a', regex: 'x' },
              { source: 'missing', regex: '.' },
            ],
          },
        ],
      },
    };
    const r = gradeRubric(rubric, { a: 'x' }, { cutScore: 50, now: '2026-12-01T00:00:00Z' });
    expect(r.per_item[0]).toMatchObject({
      passed: false,
      points_awarded: 0,
      issues: ['missing was not collected'],
    });
    expect(r.passed).toBe(false);
  });
});
