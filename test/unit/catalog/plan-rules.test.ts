/**
 * The planner's rules on a small catalog of its own, each boundary from both sides (issue 18:
 * these are the tests that fail when a rule is made one minute more lenient). Everything goes
 * through planSession, the module's public function.
 */
import { describe, expect, it } from 'vitest';
import { planSession, type CreateSessionRequest } from '../../../shared/catalog/plan.ts';
import { parseFqn } from '../../../shared/catalog/fqn.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { provisionAt, cleanupDeadline } from '../../../shared/domain/timeslot.ts';
import type { Form, PartDefinition, SessionDefinition } from '../../../shared/catalog/types.ts';

const NOW = Date.parse('2026-12-01T06:00:00Z');
const SID = 'ses_01jdx0k7m6v3g8w2q4t5n9c1ba' as never;
const MIN = 60_000;
const at = (hhmm: string) => `2026-12-01T${hhmm}:00.000Z`;
const plus = (hhmm: string, minutes: number) => new Date(Date.parse(at(hhmm)) + minutes * MIN).toISOString();

const form = (fqn: string, over: Partial<Form> = {}): Form => ({
  ...parseFqn(fqn),
  version: '1',
  status: 'published',
  content_id: `c-${fqn}`,
  pod_ref: { pod_type: 'cml_on_aws', status: 'ready', definition_id: `pd-${fqn.split(' ')[5]}` },
  ...over,
});
const FORMS: Form[] = [
  form('Exam TEST T1 v1.0 A A-1'),
  form('Exam TEST T1 v1.0 A A-2', { exposure_count: 3 }),
  form('Exam TEST T1 v1.0 B B-1', { pod_ref: undefined }),
  form('Exam TEST T1 v1.0 B B-2', { pod_ref: undefined, exposure_count: 5 }),
];

const part = (over: Partial<PartDefinition> & Pick<PartDefinition, 'order'>): PartDefinition => ({
  name: `p${over.order}`,
  selector_pattern: 'Exam TEST * * A *',
  gates_next: false,
  duration_minutes: 60,
  ...over,
});
const definition = (over: Partial<SessionDefinition>): SessionDefinition => ({
  session_type: 'seq',
  version: '1',
  title: 't',
  profile: 'expertlab',
  addressed_by: 'session_type',
  part_execution: 'sequential',
  session_lifecycle: [],
  // Listed out of order on purpose: the planner sorts parts by `order`.
  parts: [
    part({ order: 2, name: 'second', selector_pattern: 'Exam TEST * * B *', duration_minutes: 60 }),
    part({ order: 1, name: 'first', duration_minutes: 120, lead_time_minutes: 45, gates_next: true }),
  ],
  timeslot_policy: { default_duration_minutes: 180, lead_time_minutes: 20, teardown_buffer_minutes: 15 },
  cut_score: 70,
  ...over,
});
const DEFS: SessionDefinition[] = [
  definition({}),
  definition({
    session_type: 'par',
    part_execution: 'parallel',
    parts: [part({ order: 1, duration_minutes: 120 }), part({ order: 2, duration_minutes: 60 })],
  }),
  definition({
    session_type: 'solo',
    addressed_by: 'fqn',
    part_execution: 'single',
    abort_on_part_failure: true,
    parts: [part({ order: 1, selector_pattern: 'Exam TEST * * A *', review: 'manual' })],
  }),
  definition({
    session_type: 'webonly',
    addressed_by: 'fqn',
    part_execution: 'single',
    parts: [part({ order: 1, selector_pattern: 'Exam TEST * * B *' })],
  }),
];

const plan = (
  request: Partial<CreateSessionRequest>,
  opts: { forms?: Form[]; defs?: SessionDefinition[] } = {},
) =>
  planSession({
    definitions: opts.defs ?? DEFS,
    forms: opts.forms ?? FORMS,
    request: {
      session_type: 'seq',
      timeslot: { start: at('09:00'), end: at('12:00') },
      candidate: { candidate_id: 'c-1' },
      ...request,
    } as CreateSessionRequest,
    now: NOW,
    sessionId: SID,
    createdBy: 'tester',
    phasesFor: (f) => ({ instantiate: f.fqn }),
  });
const refused = (f: () => unknown): Problem => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Problem);
    return e as Problem;
  }
  throw new Error('expected a refusal');
};
const ts = (start: string, end: string, extra: object = {}) => ({ timeslot: { start, end, ...extra } });

describe('the cumulative rule: Σ part durations ≤ session duration', () => {
  it('parts that need exactly the session fit, back to back', () => {
    const p = plan(ts(at('09:00'), at('12:00')));
    expect(p.tree.parts.map((x) => [x.timeslot.start, x.timeslot.end])).toEqual([
      [at('09:00'), at('11:00')],
      [at('11:00'), at('12:00')],
    ]);
    expect(p.tree.parts.map((x) => x.duration_minutes)).toEqual([120, 60]);
  });

  it('one minute short is refused by the cumulative rule itself, at /timeslot', () => {
    const e = refused(() => plan(ts(at('09:00'), plus('12:00', -1))));
    expect(e.kind).toBe('windows-do-not-fit');
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/timeslot', rule: 'Σ parts ≤ session' })]);
  });

  it('parallel parts are not summed: each must fit on its own', () => {
    const p = plan({ session_type: 'par', ...ts(at('09:00'), at('11:00')) });
    expect(p.tree.parts.map((x) => [x.timeslot.start, x.timeslot.end])).toEqual([
      [at('09:00'), at('11:00')],
      [at('09:00'), at('10:00')],
    ]);
    const e = refused(() => plan({ session_type: 'par', ...ts(at('09:00'), plus('11:00', -1)) }));
    expect(e.kind).toBe('windows-do-not-fit');
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/timeslot', rule: 'part ⊆ session' })]);
  });

  it('parallel parts with their own windows are not checked against their duration', () => {
    const p = plan({
      session_type: 'par',
      ...ts(at('09:00'), at('10:00')),
      parts: [{ order: 1, window: { start: at('09:00'), end: at('09:30') } }],
    });
    expect(p.tree.parts[0]!.timeslot.end).toBe(at('09:30'));
    expect(p.tree.parts[1]!.timeslot.end).toBe(at('10:00'));
  });
});

describe('ordering', () => {
  it('parts, pods, pins and the summary follow the parts’ order, not the definition’s listing', () => {
    const p = plan({});
    expect(p.tree.parts.map((x) => [x.order, x.name])).toEqual([
      [1, 'first'],
      [2, 'second'],
    ]);
    expect(p.pinned.map((x) => x.order)).toEqual([1, 2]);
    const summary = (p.tree.session as unknown as { parts_summary: { order: number; name: string }[] })
      .parts_summary;
    expect(summary.map((x) => [x.order, x.name])).toEqual([
      [1, 'first'],
      [2, 'second'],
    ]);
    expect(p.tree.parts.map((x) => x.gates_next)).toEqual([true, false]);
  });

  it('sequential windows may touch but not overlap', () => {
    const touching = plan({
      ...ts(at('09:00'), at('13:00')),
      parts: [
        { order: 1, window: { start: at('09:00'), end: at('11:00') } },
        { order: 2, window: { start: at('11:00'), end: at('12:00') } },
      ],
    });
    expect(touching.tree.parts[1]!.timeslot.start).toBe(at('11:00'));
    const e = refused(() =>
      plan({
        ...ts(at('09:00'), at('13:00')),
        parts: [
          { order: 2, window: { start: plus('11:00', -1), end: at('12:00') } },
          { order: 1, window: { start: at('09:00'), end: at('11:00') } },
        ],
      }),
    );
    expect(e.kind).toBe('windows-do-not-fit');
    expect(e.errors).toEqual([
      expect.objectContaining({ pointer: '/parts/0/window', rule: 'sequential.order' }),
    ]);
    expect(e.detail).toBe("part 2's window starts before part 1 ends");
  });

  it('a laid-out part starts where the previous explicit window ended, and must end inside the session', () => {
    const fits = plan({
      ...ts(at('09:00'), at('12:00')),
      parts: [{ order: 1, window: { start: at('09:30'), end: at('11:00') } }],
    });
    expect(fits.tree.parts[1]!.timeslot).toMatchObject({ start: at('11:00'), end: at('12:00') });
    const e = refused(() =>
      plan({
        ...ts(at('09:00'), at('12:00')),
        parts: [{ order: 1, window: { start: at('09:30'), end: plus('11:00', 1) } }],
      }),
    );
    expect(e.kind).toBe('windows-do-not-fit');
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/parts/1', rule: 'part ⊆ session' })]);
  });
});

describe('the session timeslot', () => {
  const day = 24 * 60;
  it('lasts at most 24 h: exactly 24 h is accepted, one minute more is refused', () => {
    const ok = plan({
      session_type: 'solo',
      fqn: 'Exam TEST T1 v1.0 A A-1',
      ...ts(at('09:00'), plus('09:00', day)),
    });
    expect(ok.tree.session.timeslot.end).toBe(plus('09:00', day));
    const e = refused(() =>
      plan({
        session_type: 'solo',
        fqn: 'Exam TEST T1 v1.0 A A-1',
        ...ts(at('09:00'), plus('09:00', day + 1)),
      }),
    );
    expect(e.kind).toBe('invalid-timeslot');
    expect(e.errors).toEqual([
      { pointer: '/timeslot/end', detail: 'a session lasts at most 24 h', rule: 'timeslot.max' },
    ]);
  });

  it('must end after it starts: an empty timeslot is refused', () => {
    const e = refused(() => plan(ts(at('09:00'), at('09:00'))));
    expect(e.errors).toEqual([expect.objectContaining({ rule: 'timeslot.order' })]);
  });

  it('must end in the future: ending now is refused, a millisecond later is accepted', () => {
    const nowIso = new Date(NOW).toISOString();
    const e = refused(() =>
      plan({ session_type: 'solo', fqn: 'Exam TEST T1 v1.0 A A-1', ...ts(plus('06:00', -60), nowIso) }),
    );
    expect(e.errors).toEqual([expect.objectContaining({ rule: 'timeslot.future' })]);
    const ok = plan({
      session_type: 'solo',
      fqn: 'Exam TEST T1 v1.0 A A-1',
      ...ts(plus('06:00', -60), new Date(NOW + 1).toISOString()),
    });
    expect(ok.tree.parts).toHaveLength(1);
  });

  it('lists every reason at once: backwards and in the past', () => {
    const e = refused(() => plan(ts(at('05:00'), at('04:00'))));
    expect(e.kind).toBe('invalid-timeslot');
    expect(e.errors!.map((x) => x.rule)).toEqual(['timeslot.order', 'timeslot.future']);
  });

  it('takes lead and teardown from the request, else the definition; a part’s own lead time wins', () => {
    const p = plan({});
    expect(p.tree.session.timeslot).toMatchObject({ lead_time_minutes: 20, teardown_buffer_minutes: 15 });
    expect(provisionAt(p.tree.parts[0]!.timeslot)).toBe(Date.parse(at('09:00')) - 45 * MIN);
    expect(provisionAt(p.tree.parts[1]!.timeslot)).toBe(Date.parse(at('11:00')) - 20 * MIN);
    expect(cleanupDeadline(p.tree.parts[1]!.timeslot)).toBe(Date.parse(at('12:00')) + 15 * MIN);
    const q = plan(ts(at('09:00'), at('12:00'), { lead_time_minutes: 0, teardown_buffer_minutes: 0 }));
    expect(q.tree.session.timeslot).toMatchObject({ lead_time_minutes: 0, teardown_buffer_minutes: 0 });
    expect(q.tree.parts[1]!.timeslot).toMatchObject({ lead_time_minutes: 0, teardown_buffer_minutes: 0 });
    expect(q.tree.parts[0]!.timeslot.lead_time_minutes).toBe(45);
  });
});

describe('a single-part session', () => {
  // One duration rule for every profile (D74): the part gets its own duration from the start,
  // not the whole slot; a scheduler who wants another window names it.
  it('gives its part its own duration from the session start, not the whole slot', () => {
    const p = plan({ session_type: 'solo', fqn: 'Exam TEST T1 v1.0 A A-1', ...ts(at('09:00'), at('12:00')) });
    expect(p.tree.parts[0]!.timeslot).toMatchObject({ start: at('09:00'), end: at('10:00') });
    expect(p.tree.parts[0]!.duration_minutes).toBe(60);
  });
});

describe('explicit part windows', () => {
  const one = (start: string, end: string) => ({ parts: [{ order: 1, window: { start, end } }] });
  it('may start at the session start and end at the session end', () => {
    const p = plan({
      session_type: 'solo',
      fqn: 'Exam TEST T1 v1.0 A A-1',
      ...one(at('09:00'), at('12:00')),
    });
    expect(p.tree.parts[0]!.timeslot).toMatchObject({ start: at('09:00'), end: at('12:00') });
    const inner = plan({
      session_type: 'solo',
      fqn: 'Exam TEST T1 v1.0 A A-1',
      ...one(at('10:00'), at('11:00')),
    });
    expect(inner.tree.parts[0]!.timeslot).toMatchObject({ start: at('10:00'), end: at('11:00') });
    expect(inner.tree.parts[0]!.duration_minutes).toBe(60);
  });

  it.each([
    ['starts a minute before the session', plus('09:00', -1), at('10:00')],
    ['ends a minute after the session', at('10:00'), plus('12:00', 1)],
  ])('is refused when it %s', (_what, start, end) => {
    const e = refused(() =>
      plan({ session_type: 'solo', fqn: 'Exam TEST T1 v1.0 A A-1', ...one(start, end) }),
    );
    expect(e.kind).toBe('window-outside-session');
    expect(e.errors).toEqual([
      expect.objectContaining({ pointer: '/parts/0/window', rule: 'part ⊆ session' }),
    ]);
  });

  it('must end after it starts', () => {
    const e = refused(() =>
      plan({ session_type: 'solo', fqn: 'Exam TEST T1 v1.0 A A-1', ...one(at('10:00'), at('10:00')) }),
    );
    expect(e.kind).toBe('invalid-timeslot');
    expect(e.errors).toEqual([
      expect.objectContaining({ pointer: '/parts/0/window/end', rule: 'window.order' }),
    ]);
  });

  it('names a part the definition lacks by its index in the request', () => {
    const e = refused(() => plan({ parts: [{ order: 1 }, { order: 7 }] }));
    expect(e.kind).toBe('validation-error');
    expect(e.errors).toEqual([{ pointer: '/parts/1/order', detail: 'parts are 2, 1', rule: 'part.order' }]);
  });
});

describe('pinning forms', () => {
  it('the pool gives the least exposed eligible form; pods only for parts whose form has one', () => {
    const p = plan({});
    expect(p.pinned).toEqual([
      { order: 1, fqn: 'Exam TEST T1 v1.0 A A-1', version: '1' },
      { order: 2, fqn: 'Exam TEST T1 v1.0 B B-1', version: '1' },
    ]);
    expect(p.tree.pods).toHaveLength(1);
    expect(p.tree.pods[0]).toMatchObject({
      part_order: 1,
      pod_type: 'cml_on_aws',
      pod_definition_id: 'pd-A-1',
      index: 0,
    });
    expect(p.tree.parts[0]).toMatchObject({
      pod_type: 'cml_on_aws',
      pod_definition_id: 'pd-A-1',
      review: 'auto',
    });
    expect(p.tree.parts[1]!.pod_type).toBe('none');
    expect(p.tree.parts[1]).not.toHaveProperty('pod_definition_id');
    expect(p.tree.parts[0]!.phases).toEqual({ instantiate: 'Exam TEST T1 v1.0 A A-1' });
  });

  it('an explicit form is taken before the pool, so the pool never hands it to an earlier part', () => {
    const defs = [
      definition({
        parts: [part({ order: 1, duration_minutes: 60 }), part({ order: 2, duration_minutes: 60 })],
      }),
    ];
    const p = plan({ parts: [{ order: 2, form: 'Exam TEST T1 v1.0 A A-1' }] }, { defs });
    expect(p.pinned.map((x) => x.fqn)).toEqual(['Exam TEST T1 v1.0 A A-2', 'Exam TEST T1 v1.0 A A-1']);
  });

  it('a bare FQN pins the newest version that fits; FQN@version pins that version', () => {
    const forms = [
      ...FORMS,
      form('Exam TEST T1 v1.0 A A-1', { version: '10' }),
      form('Exam TEST T1 v1.0 A A-1', { version: '9' }),
      form('Exam TEST T1 v1.0 A A-1', { version: '11', status: 'draft' }),
    ];
    const bare = plan({ parts: [{ order: 1, form: 'Exam TEST T1 v1.0 A A-1' }] }, { forms });
    expect(bare.pinned[0]).toEqual({ order: 1, fqn: 'Exam TEST T1 v1.0 A A-1', version: '10' });
    const pinned = plan({ parts: [{ order: 1, form: 'Exam TEST T1 v1.0 A A-1@9' }] }, { forms });
    expect(pinned.pinned[0]!.version).toBe('9');
    const e = refused(() => plan({ parts: [{ order: 1, form: 'Exam TEST T1 v1.0 A A-1@12' }] }, { forms }));
    expect(e.kind).toBe('unknown-form');
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/parts/0/form', rule: 'fqn.known' })]);
  });

  it('one form may not fill two parts', () => {
    const defs = [
      definition({
        parts: [part({ order: 1, duration_minutes: 60 }), part({ order: 2, duration_minutes: 60 })],
      }),
    ];
    const e = refused(() =>
      plan(
        {
          parts: [
            { order: 1, form: 'Exam TEST T1 v1.0 A A-2' },
            { order: 2, form: 'Exam TEST T1 v1.0 A A-2' },
          ],
        },
        { defs },
      ),
    );
    expect(e.kind).toBe('empty-pool');
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/parts/1/form', rule: 'form.unique' })]);
  });

  it('a form outside the part’s selector or not eligible is refused with every reason', () => {
    const forms = [...FORMS, form('Exam TEST T1 v1.0 A A-9', { status: 'deprecated' })];
    const e = refused(() =>
      plan(
        {
          parts: [
            { order: 1, form: 'Exam TEST T1 v1.0 A A-9' },
            { order: 2, form: 'Exam TEST T1 v1.0 A A-1' },
          ],
        },
        { forms },
      ),
    );
    expect(e.kind).toBe('empty-pool');
    expect(e.errors!.map((x) => [x.pointer, x.rule])).toEqual([
      ['/parts/0/form', 'form.eligible'],
      ['/parts/1/form', 'form.eligible'],
    ]);
    expect(e.errors![0]!.detail).toMatch(/status deprecated/);
    expect(e.errors![1]!.detail).toMatch(/does not match "Exam TEST \* \* B \*"/);
  });

  it('an empty pool names each part that has no form, by its position', () => {
    const forms = FORMS.filter((f) => f.module_acronym === 'B');
    const e = refused(() => plan({}, { forms }));
    expect(e.kind).toBe('empty-pool');
    expect(e.status).toBe(409);
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/parts/0', rule: 'pool.empty' })]);
    expect(e.errors![0]!.detail).toMatch(/0 matched the selector/);
    const drafts = refused(() => plan({}, { forms: FORMS.map((f) => ({ ...f, status: 'draft' as const })) }));
    expect(drafts.errors!.map((x) => x.pointer)).toEqual(['/parts/0', '/parts/1']);
    expect(drafts.errors![0]!.detail).toMatch(/2 matched the selector; .*status draft/);
    // The reasons are sampled (five at most), so the problem stays small whatever the catalog's size.
    const many = Array.from({ length: 8 }, (_, i) =>
      form(`Exam TEST T1 v1.0 A A-${i + 10}`, { status: 'draft' }),
    );
    const big = refused(() =>
      plan({}, { forms: [...many, ...FORMS.filter((f) => f.module_acronym === 'B')] }),
    );
    expect(big.errors![0]!.detail!.match(/status draft/g)).toHaveLength(5);
  });
});

describe('addressing', () => {
  it('an FQN-addressed session names its form; the first definition whose selector accepts it is chosen', () => {
    const p = plan({ session_type: undefined, fqn: 'Exam TEST T1 v1.0 B B-2' });
    expect(p.definition.session_type).toBe('webonly');
    expect(p.tree.session.addressed_by).toBe('Exam TEST T1 v1.0 B B-2');
    expect(p.pinned[0]!.fqn).toBe('Exam TEST T1 v1.0 B B-2');
    const q = plan({ session_type: undefined, fqn: 'Exam TEST T1 v1.0 A A-2@1' });
    expect(q.definition.session_type).toBe('solo');
    expect(q.tree.session).toMatchObject({ abort_on_part_failure: true, cut_score: 70 });
    expect(q.tree.parts[0]!.review).toBe('manual');
  });

  it('a session-type-addressed session is named by its type and carries no abort flag unless set', () => {
    const p = plan({ reservation_id: 'r-1', metadata: { cohort: 'x' } });
    expect(p.tree.session.addressed_by).toBe('seq');
    expect(p.tree.session).not.toHaveProperty('abort_on_part_failure');
    expect(p.tree.session).toMatchObject({
      reservation_id: 'r-1',
      metadata: { cohort: 'x' },
      created_by: 'tester',
    });
    expect(plan({}).tree.session).not.toHaveProperty('reservation_id');
    expect(plan({}).tree.session).not.toHaveProperty('metadata');
  });

  it('an FQN no FQN-addressed type accepts is refused; so is an unknown FQN', () => {
    const defs = DEFS.filter((d) => d.session_type !== 'webonly');
    const e = refused(() => plan({ session_type: undefined, fqn: 'Exam TEST T1 v1.0 B B-1' }, { defs }));
    expect(e.kind).toBe('unknown-session-type');
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/fqn', rule: 'addressed_by' })]);
    // A multi-part definition is never FQN-addressed, even when its first part would accept the form.
    const multi = [definition({ session_type: 'm', addressed_by: 'fqn' })];
    expect(
      refused(() => plan({ session_type: undefined, fqn: 'Exam TEST T1 v1.0 A A-1' }, { defs: multi })).kind,
    ).toBe('unknown-session-type');
    const u = refused(() => plan({ session_type: undefined, fqn: 'Exam TEST T1 v1.0 A A-7' }));
    expect(u.kind).toBe('unknown-form');
    expect(u.errors).toEqual([{ pointer: '/fqn', detail: 'unknown FQN', rule: 'fqn.known' }]);
  });

  it('the FQN of a multi-part type addressed by FQN pins its first part only; the pool fills the rest', () => {
    const multi = [definition({ session_type: 'm', addressed_by: 'fqn' })];
    const p = plan({ session_type: 'm', fqn: 'Exam TEST T1 v1.0 A A-2' }, { defs: multi });
    expect(p.pinned.map((x) => [x.order, x.fqn])).toEqual([
      [1, 'Exam TEST T1 v1.0 A A-2'],
      [2, 'Exam TEST T1 v1.0 B B-1'],
    ]);
    // A session-type-addressed type refuses an FQN instead of ignoring it.
    const e = refused(() => plan({ session_type: 'seq', fqn: 'Exam TEST T1 v1.0 A A-2' }));
    expect(e.kind).toBe('ambiguous-addressing');
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/fqn', rule: 'addressed_by' })]);
  });

  it('an unknown session type lists the known ones, sorted', () => {
    const e = refused(() => plan({ session_type: 'nope' }));
    expect(e.kind).toBe('unknown-session-type');
    expect(e.errors![0]).toMatchObject({
      pointer: '/session_type',
      detail: 'known: par, seq, solo, webonly',
    });
  });

  it('a type addressed by FQN needs the FQN', () => {
    const e = refused(() => plan({ session_type: 'solo' }));
    expect(e.kind).toBe('validation-error');
    expect(e.errors).toEqual([expect.objectContaining({ pointer: '/fqn', rule: 'addressed_by' })]);
    const none = refused(() => plan({ session_type: undefined }));
    expect(none.errors).toEqual([expect.objectContaining({ pointer: '/session_type', rule: 'required' })]);
  });
});
