import { describe, expect, it } from 'vitest';
import { buildSeeds } from '../../../shared/catalog/seeds.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { seedFiles, seeds } from './fixtures.ts';

describe('the seed catalog', () => {
  it('validates and holds the five delivery kinds, 40+ forms, templates and the fleet warm minimum', () => {
    const s = seeds();
    expect(s.definitions.map((d) => d.session_type)).toEqual([
      'lablet',
      'practicelab',
      'CCIE-EI-Lab-Exam',
      'CCIE-EI-Exam-With-Design',
      'CCDE-Design-Exam',
    ]);
    expect(s.forms.length).toBeGreaterThanOrEqual(40);
    expect(new Set(s.forms.map((f) => f.track_acronym)).size).toBeGreaterThanOrEqual(6);
    expect(s.forms.some((f) => f.status === 'draft')).toBe(true);
    expect(s.forms.some((f) => f.status === 'deprecated')).toBe(true);
    expect(s.forms.some((f) => !f.pod_ref)).toBe(true);
    expect(s.workerTemplates.length).toBeGreaterThanOrEqual(3);
    expect(s.fleet.warm).toEqual([{ template: 'cml-m5-2xlarge', region: 'eu-west-1', count: 1 }]);
    const f = s.forms.find((x) => x.fqn === 'Exam CCIE EI v1.1 DOO DOO-1')!;
    expect(f).toMatchObject({
      track_type: 'Exam',
      track_level: 'CCIE',
      track_acronym: 'EI',
      exam_version: '1.1',
      module_acronym: 'DOO',
      form: 'DOO-1',
    });
  });

  it.each([
    [
      'an unknown field',
      'definitions',
      (t: string) => t.replace('cut_score: 70', 'cut_score: 70\n    colour: red'),
      'session-definitions.yaml',
      '/definitions/0/colour',
    ],
    [
      'a wrong enum',
      'definitions',
      (t: string) => t.replace('part_execution: single', 'part_execution: sometimes'),
      'session-definitions.yaml',
      '/definitions/0/part_execution',
    ],
    [
      'a malformed FQN',
      'forms',
      (t: string) => t.replace('Lablet CCNP ENCOR v1.1 LAB OSPF-101', 'Lablet CCNP ENCOR 1.1 LAB OSPF-101'),
      'forms.yaml',
      '/forms/0/fqn',
    ],
    ['a YAML alias', 'forms', (t: string) => t.replace('forms:\n', 'x: &a [1]\nforms:\n'), 'forms.yaml', ''],
    [
      'an unknown worker template',
      'workers',
      (t: string) => t.replace('template: cml-m5-2xlarge', 'template: nope'),
      'workers.yaml',
      '/fleet/warm/0/template',
    ],
  ] as const)('%s is a diagnostic naming the file and the pointer', (_what, key, mutate, file, pointer) => {
    const files = seedFiles();
    files[key] = mutate(files[key]);
    try {
      buildSeeds(files);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(Problem);
      const err = (e as Problem).errors![0]!;
      expect(err.file).toBe(file);
      expect(err.pointer).toBe(pointer);
    }
  });
});
