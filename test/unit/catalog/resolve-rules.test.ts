/**
 * Which form fills a part (shared/catalog/resolve.ts), rule by rule (issue 18): the selector, then
 * each requirement in turn, then the pod requirement, then eligibility, each rejection with its
 * own reason; the least exposed form first, ties by FQN, then the newest version; an excluded
 * form (already used in the session) rejected only when nothing else rejects it; the counts.
 */
import { describe, expect, it } from 'vitest';
import {
  byLeastExposure,
  candidates,
  eligibility,
  formFilter,
  pickForm,
} from '../../../shared/catalog/resolve.ts';
import { parseFqn } from '../../../shared/catalog/fqn.ts';
import type { Form, PodRef } from '../../../shared/catalog/types.ts';

const form = (fqn: string, more: Partial<Form> = {}): Form => ({
  ...parseFqn(fqn),
  version: '1',
  status: 'published',
  content_id: `c-${fqn}`,
  ...more,
});
const pod = (status: PodRef['status'] = 'ready', pod_type: PodRef['pod_type'] = 'cml_on_aws'): PodRef => ({
  pod_type,
  status,
});
const A = 'Exam CCNP AUTO v2.0 LAB LAB-1';
const B = 'Exam CCNP AUTO v2.0 LAB LAB-2';
const C = 'Practice CCIE EI v1.1 DES DES-1';

describe('formFilter: each rule with its reason', () => {
  it('a form the selector does not match is rejected as selector, before any requirement', () => {
    const f = formFilter('Practice **', { track_types: ['Nothing'] });
    expect(f(form(A))).toBe('selector');
    expect(f(form(C))).toBe('track_type Practice not in Nothing');
  });

  it('given tokens, the selector is matched against them, not against the form’s FQN', () => {
    const f = formFilter('Practice **');
    expect(f(form(A), C.split(' '))).toBeUndefined();
    expect(f(form(C), A.split(' '))).toBe('selector');
  });

  it('each requirement admits a form whose field is listed and names the field and the list when not', () => {
    const f = form(A);
    const cases = [
      ['track_types', ['Exam'], ['Practice', 'Demo'], 'track_type Exam not in Practice,Demo'],
      ['track_levels', ['CCNP'], ['CCIE'], 'track_level CCNP not in CCIE'],
      ['track_acronyms', ['AUTO', 'EI'], ['EI', 'SEC'], 'track_acronym AUTO not in EI,SEC'],
      ['exam_versions', ['2.0'], ['1.1', '2'], 'exam_version 2.0 not in 1.1,2'],
      ['module_acronyms', ['LAB'], ['DES'], 'module LAB not in DES'],
    ] as const;
    for (const [key, yes, no, reason] of cases) {
      expect(formFilter('**', { [key]: [...yes] })(f), key).toBeUndefined();
      expect(formFilter('**', { [key]: [...no] })(f), key).toBe(reason);
    }
  });

  it('the requirements are checked in order: type, level, acronym, exam version, module', () => {
    const req = {
      track_types: ['X'],
      track_levels: ['X'],
      track_acronyms: ['X'],
      exam_versions: ['X'],
      module_acronyms: ['X'],
    };
    const f = form(A);
    expect(formFilter('**', req)(f)).toMatch(/^track_type /);
    expect(formFilter('**', { ...req, track_types: ['Exam'] })(f)).toMatch(/^track_level /);
    expect(formFilter('**', { ...req, track_types: ['Exam'], track_levels: ['CCNP'] })(f)).toMatch(
      /^track_acronym /,
    );
    expect(
      formFilter('**', { ...req, track_types: ['Exam'], track_levels: ['CCNP'], track_acronyms: ['AUTO'] })(
        f,
      ),
    ).toMatch(/^exam_version /);
    expect(
      formFilter('**', {
        ...req,
        track_types: ['Exam'],
        track_levels: ['CCNP'],
        track_acronyms: ['AUTO'],
        exam_versions: ['2.0'],
      })(f),
    ).toMatch(/^module /);
  });

  it('an empty list admits nothing; no list admits everything', () => {
    expect(formFilter('**', { track_types: [] })(form(A))).toBe('track_type Exam not in ');
    expect(formFilter('**', {})(form(A))).toBeUndefined();
    expect(formFilter('**')(form(A))).toBeUndefined();
  });

  it('requires_pod: true refuses a web-only form, false refuses a form with a pod, unset takes either', () => {
    const web = form(A);
    const none = form(A, { pod_ref: pod('ready', 'none') });
    const lab = form(A, { pod_ref: pod('ready') });
    expect(formFilter('**', { requires_pod: true })(web)).toBe('requires a pod; the form is web-only');
    expect(formFilter('**', { requires_pod: true })(none)).toBe('requires a pod; the form is web-only');
    expect(formFilter('**', { requires_pod: true })(lab)).toBeUndefined();
    expect(formFilter('**', { requires_pod: false })(lab)).toBe('requires no pod; the form carries one');
    expect(formFilter('**', { requires_pod: false })(web)).toBeUndefined();
    expect(formFilter('**', { requires_pod: false })(none)).toBeUndefined();
    for (const f of [web, none, lab]) expect(formFilter('**', {})(f)).toBeUndefined();
  });

  it('the requirements come before eligibility, and eligibility last', () => {
    const draft = form(A, { status: 'draft' });
    expect(formFilter('**', { module_acronyms: ['DES'] })(draft)).toBe('module LAB not in DES');
    expect(formFilter('**', { requires_pod: true })(draft)).toBe('requires a pod; the form is web-only');
    expect(formFilter('**', { module_acronyms: ['LAB'] })(draft)).toBe('status draft');
  });
});

describe('eligibility', () => {
  it('only a published form is eligible', () => {
    expect(eligibility(form(A))).toBeUndefined();
    expect(eligibility(form(A, { status: 'draft' }))).toBe('status draft');
    expect(eligibility(form(A, { status: 'deprecated' }))).toBe('status deprecated');
  });

  it('a pod ref must be ready; a ref with no pod (type none) need not be', () => {
    expect(eligibility(form(A, { pod_ref: pod('ready') }))).toBeUndefined();
    expect(eligibility(form(A, { pod_ref: pod('pending') }))).toBe('pod ref is pending, not ready');
    expect(eligibility(form(A, { pod_ref: pod('failed') }))).toBe('pod ref is failed, not ready');
    expect(eligibility(form(A, { pod_ref: pod('pending', 'none') }))).toBeUndefined();
  });

  it('the status is checked before the pod ref', () => {
    expect(eligibility(form(A, { status: 'draft', pod_ref: pod('pending') }))).toBe('status draft');
  });
});

describe('order: least exposure, then FQN, then the newest version', () => {
  it('the less exposed form first; no count is none', () => {
    expect(byLeastExposure(form(B, { exposure_count: 1 }), form(A, { exposure_count: 2 }))).toBeLessThan(0);
    expect(byLeastExposure(form(A, { exposure_count: 2 }), form(B, { exposure_count: 1 }))).toBeGreaterThan(
      0,
    );
    expect(byLeastExposure(form(B), form(A, { exposure_count: 1 }))).toBeLessThan(0);
    expect(byLeastExposure(form(A, { exposure_count: 1 }), form(B))).toBeGreaterThan(0);
  });

  it('equal exposure (none counting as 0): the FQN decides', () => {
    expect(byLeastExposure(form(A), form(B, { exposure_count: 0 }))).toBeLessThan(0);
    expect(byLeastExposure(form(B, { exposure_count: 3 }), form(A, { exposure_count: 3 }))).toBeGreaterThan(
      0,
    );
  });

  it('the same FQN and exposure: the newer version first, numerically', () => {
    expect(byLeastExposure(form(A, { version: '10' }), form(A, { version: '9' }))).toBeLessThan(0);
    expect(byLeastExposure(form(A, { version: '9' }), form(A, { version: '10' }))).toBeGreaterThan(0);
    expect(byLeastExposure(form(A, { version: '2' }), form(A, { version: '2' }))).toBe(0);
  });

  it('candidates are admitted in that order whatever order the forms come in', () => {
    const forms = [
      form(A, { version: '9', exposure_count: 1 }),
      form(B, { exposure_count: 5 }),
      form(A, { version: '10', exposure_count: 1 }),
      form(C),
    ];
    for (const list of [forms, [...forms].reverse()])
      expect(candidates(list, '**').admitted.map((f) => `${f.fqn}@${f.version}`)).toEqual([
        `${C}@1`,
        `${A}@10`,
        `${A}@9`,
        `${B}@1`,
      ]);
  });
});

describe('candidates and pickForm', () => {
  const forms = [
    form(A, { exposure_count: 3 }),
    form(B, { exposure_count: 1, status: 'draft' }),
    form('Exam CCNP AUTO v2.0 LAB LAB-3', { exposure_count: 2 }),
    form(C),
  ];

  it('counts every form, those the selector matched (rejected or not), and those admitted', () => {
    const c = candidates(forms, 'Exam CCNP **');
    expect(c.counts).toEqual({ total: 4, matched_selector: 3, admitted: 2 });
    expect(c.admitted.map((f) => f.form)).toEqual(['LAB-3', 'LAB-1']);
    expect(c.rejected).toEqual([{ form: `${B}@1`, reason: 'status draft' }]);
  });

  it('a selector miss is left out of the rejections unless asked for, then named with the selector', () => {
    expect(candidates(forms, 'Exam CCNP **').rejected.map((r) => r.form)).not.toContain(`${C}@1`);
    expect(candidates(forms, 'Exam CCNP **', {}, { keepSelectorMisses: true }).rejected).toEqual([
      { form: `${B}@1`, reason: 'status draft' },
      { form: `${C}@1`, reason: 'does not match selector "Exam CCNP **"' },
    ]);
    expect(candidates(forms, 'Exam CCNP **', {}, { keepSelectorMisses: false }).rejected).toHaveLength(1);
  });

  it('an excluded FQN (already used in the session) is rejected as such, still counted as matched', () => {
    const c = candidates(forms, 'Exam CCNP **', {}, { exclude: new Set([A]) });
    expect(c.admitted.map((f) => f.form)).toEqual(['LAB-3']);
    expect(c.rejected).toContainEqual({
      form: `${A}@1`,
      reason: 'already used by another part of this session',
    });
    expect(c.counts).toEqual({ total: 4, matched_selector: 3, admitted: 1 });
  });

  it('an excluded form that another rule rejects keeps that rule’s reason', () => {
    const c = candidates(forms, 'Exam CCNP **', {}, { exclude: new Set([B]) });
    expect(c.rejected).toEqual([{ form: `${B}@1`, reason: 'status draft' }]);
    expect(c.admitted).toHaveLength(2);
  });

  it('pickForm takes the first admitted form', () => {
    expect(pickForm(forms, 'Exam CCNP **')).toEqual({ form: forms[2] });
    expect(pickForm(forms, 'Exam CCNP **', {}, new Set(['Exam CCNP AUTO v2.0 LAB LAB-3']))).toEqual({
      form: forms[0],
    });
  });

  it('with none admitted, pickForm gives the reasons and the counts', () => {
    expect(pickForm(forms, 'Exam CCNP **', { requires_pod: true })).toEqual({
      reasons: [
        { form: `${A}@1`, reason: 'requires a pod; the form is web-only' },
        { form: `${B}@1`, reason: 'requires a pod; the form is web-only' },
        { form: 'Exam CCNP AUTO v2.0 LAB LAB-3@1', reason: 'requires a pod; the form is web-only' },
      ],
      counts: { total: 4, matched_selector: 3, admitted: 0 },
    });
    expect(pickForm([], '**')).toEqual({
      reasons: [],
      counts: { total: 0, matched_selector: 0, admitted: 0 },
    });
  });
});
