/**
 * Every route of the API, fuzzed: at least 10,000 generated requests (bodies, headers, query
 * strings and path parameters; some valid, most not), seeded and reproducible, through the local
 * API dispatcher into the real handlers on DynamoDB Local. No answer may be a 5xx, and a rejected
 * request (4xx) may change nothing: every item a request wrote is read before its first write
 * and again after the answer, and a rejected request must leave each as it was and invoke no
 * function.
 *
 * Reproduce a run: LCM_FUZZ_SEED=<seed> LCM_FUZZ_RUNS=<n> npx vitest run --project integration
 * test/integration/api/fuzz.test.ts (the failure message prints the seed and each request).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allContracts } from '../../../shared/api/contracts/index.ts';
import { routeKey, type RouteContract } from '../../../shared/api/contract.ts';
import type { JsonSchema } from '../../../shared/api/schema.ts';
import { INBOUND_EVENT_TYPES } from '../../../shared/events/types.ts';
import { PARTITIONS } from '../../../shared/store/keys.ts';
import type { StoredItem } from '../../../shared/store/state-store.ts';
import { signedDelivery } from '../../../infra/local/sim/webhooks.ts';
import { startLocalApi, type LocalApiHarness } from '../../helpers/local-api.ts';
import { writeJournal, type WriteJournal } from '../../helpers/write-journal.ts';

const SEED = Number(process.env.LCM_FUZZ_SEED ?? 160_016);
const RUNS = Number(process.env.LCM_FUZZ_RUNS ?? 10_000);
const NOW = Date.parse('2030-01-01T08:00:00Z');

let api: LocalApiHarness;
let journal: WriteJournal;
let fqns: string[] = [];
let sessionTypes: string[] = [];

beforeAll(async () => {
  api = await startLocalApi({ now: new Date(NOW).toISOString() });
  journal = writeJournal();
  fqns = (await api.store.queryPartition<StoredItem & { fqn: string }>(PARTITIONS.forms)).map((f) => f.fqn);
  sessionTypes = (
    await api.store.queryPartition<StoredItem & { session_type: string }>(PARTITIONS.sessionDefinitions)
  ).map((d) => d.session_type);
});
afterAll(async () => {
  journal?.stop();
  await api?.stop();
});

/** A value the path or a body refers to, resolved when the request is sent (ids created by earlier requests). */
type Ref = { ref: 'session' | 'job' | 'pd'; index: number };
type Gen = unknown;

interface FuzzRequest {
  route: string;
  method: string;
  path: (string | Ref)[];
  query: string;
  headers: Record<string, string>;
  body?: Gen;
  rawBody?: string;
}

const junkString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '%zz',
    '%',
    '..',
    '\u0000',
    'null',
    '-1',
    '1e999',
    '😀',
    'a'.repeat(3000),
    '\ud800',
  ),
);
const junkJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), junkString);

/** Percent-encodes a path segment (a lone surrogate cannot be encoded: it becomes U+FFFD first). */
const enc = (v: string) => encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'));

const isoAround = fc
  .integer({ min: -48 * 60, max: 10 * 24 * 60 })
  .map((m) => new Date(NOW + m * 60_000).toISOString());

/** Values that satisfy a JSON schema (mostly), with the product's own vocabulary where it helps. */
function fromSchema(schema: JsonSchema | undefined, name = '', depth = 0): fc.Arbitrary<Gen> {
  if (!schema || depth > 4) return junkJson;
  const s = schema as Record<string, unknown>;
  const hint = hints(name);
  if (hint) return fc.oneof({ weight: 4, arbitrary: hint }, { weight: 1, arbitrary: plain(s, depth) });
  return plain(s, depth);
}

function plain(s: Record<string, unknown>, depth: number): fc.Arbitrary<Gen> {
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if ('const' in s) return fc.constant(s.const);
  const type = Array.isArray(s.type) ? (s.type as string[]) : s.type ? [s.type as string] : [];
  if (type.length > 1) return fc.oneof(...type.map((t) => plain({ ...s, type: t }, depth)));
  switch (type[0]) {
    case 'string':
      if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern));
      if (s.format === 'date-time') return isoAround;
      if (s.format === 'email') return fc.emailAddress();
      return fc.string({
        minLength: (s.minLength as number) ?? 0,
        maxLength: Math.min((s.maxLength as number) ?? 30, 30),
      });
    case 'integer':
      return fc.integer({ min: (s.minimum as number) ?? -5, max: (s.maximum as number) ?? 500 });
    case 'number':
      return fc.double({ min: (s.minimum as number) ?? -5, max: 500, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(s.items as JsonSchema, '', depth + 1), { maxLength: 3 });
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const required = (s.required ?? []) as string[];
      const entries = Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, fromSchema(v, k, depth + 1)]),
      );
      return fc.record(entries, { requiredKeys: required.filter((k) => k in entries) });
    }
    default:
      return junkJson;
  }
}

/** The product's vocabulary: known forms, types, sources and event types, so requests get past validation. */
function hints(name: string): fc.Arbitrary<Gen> | undefined {
  switch (name) {
    case 'fqn':
      return fc.constantFrom(...fqns, 'Lablet CCNP ENCOR v1.1 LAB NOPE', 'not an fqn');
    case 'session_type':
      return fc.constantFrom(...sessionTypes, 'No-Such-Type');
    case 'timeslot':
      return fc
        .tuple(fc.integer({ min: -120, max: 5 * 24 * 60 }), fc.integer({ min: -30, max: 10 * 60 }))
        .map(([start, length]) => ({
          start: new Date(NOW + start * 60_000).toISOString(),
          end: new Date(NOW + (start + length) * 60_000).toISOString(),
        }));
    case 'source':
      return fc.constantFrom('lds.lab-delivery', 'grader.auto', 'lds.', 'evil.source', 'grader');
    case 'type':
      return fc.constantFrom(...Object.values(INBOUND_EVENT_TYPES), 'com.example.other');
    case 'subject':
      return fc.oneof(
        fc.record({
          ref: fc.constant('session' as const),
          index: fc.nat(),
          part: fc.integer({ min: 1, max: 4 }),
        }),
        fc.constant('sessions/ses_00000000000000000000000000/parts/1'),
      );
    case 'end':
      return isoAround;
    default:
      return undefined;
  }
}

/** Replace, drop or add one field of an object; anything else becomes junk. */
const mutate = (value: fc.Arbitrary<Gen>) =>
  fc.tuple(value, fc.nat(), junkJson, fc.constantFrom('drop', 'replace', 'add')).map(([v, i, junk, how]) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return junk;
    const o = { ...(v as Record<string, unknown>) };
    const ks = Object.keys(o);
    const k = ks.length ? ks[i % ks.length]! : 'x';
    if (how === 'drop') delete o[k];
    else if (how === 'replace') o[k] = junk;
    else o[`unknown_${i % 7}`] = junk;
    return o;
  });

/** Bodies that pass validation and mostly reach the domain: the routes whose success changes state. */
const plausible: Record<string, () => fc.Arbitrary<Gen>> = {
  'POST /v1/sessions': () =>
    fc
      .record({
        ...{
          addressed: fc.oneof(
            fc.constantFrom(...fqns.filter((f) => f.startsWith('Lablet'))).map((fqn) => ({ fqn })),
            fc.constantFrom(...sessionTypes).map((session_type) => ({ session_type })),
          ),
        },
        start: fc.integer({ min: 2 * 60, max: 5 * 24 * 60 }),
        length: fc.integer({ min: 60, max: 8 * 60 }),
        candidate_id: fc.stringMatching(/^c-[a-z0-9]{1,8}$/),
      })
      .map(({ addressed, start, length, candidate_id }) => ({
        ...addressed,
        timeslot: {
          start: new Date(NOW + start * 60_000).toISOString(),
          end: new Date(NOW + (start + length) * 60_000).toISOString(),
        },
        candidate: { candidate_id },
      })),
  'POST /v1/events': () =>
    fc.record({
      specversion: fc.constant('1.0'),
      id: fc.stringMatching(/^evt-[a-z0-9]{1,6}$/),
      source: fc.constantFrom('lds.lab-delivery', 'grader.auto'),
      type: fc.constantFrom(...Object.values(INBOUND_EVENT_TYPES)),
      subject: fc.record({
        ref: fc.constant('session' as const),
        index: fc.nat(),
        part: fc.integer({ min: 1, max: 3 }),
      }),
    }),
  'POST /v1/sessions/{id}/extend': () =>
    fc
      .integer({ min: 3 * 60, max: 6 * 24 * 60 })
      .map((m) => ({ end: new Date(NOW + m * 60_000).toISOString() })),
  'POST /v1/sessions/{id}/cancel': () =>
    fc.record({ reason: fc.string({ maxLength: 20 }) }, { requiredKeys: [] }),
  'POST /v1/sessions/{id}/parts/{n}/end': () => fc.constant({}),
};

function requestFor(c: RouteContract): fc.Arbitrary<FuzzRequest> {
  const segments = c.path.split('/').slice(1);
  const paramSchemas = ((c.params?.properties ?? {}) as Record<string, JsonSchema>) ?? {};
  const pathArb = fc.tuple(
    ...segments.map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m) return fc.constant(seg);
      const ref: 'session' | 'job' | 'pd' = c.path.includes('/sessions/')
        ? 'session'
        : c.path.includes('/jobs/')
          ? 'job'
          : 'pd';
      if (m[1] === 'n')
        return fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('1', '2', '3') },
          { weight: 1, arbitrary: junkString.map(enc) },
        );
      return fc.oneof(
        { weight: 3, arbitrary: fc.record({ ref: fc.constant(ref), index: fc.nat() }) },
        {
          weight: 2,
          arbitrary: fromSchema(paramSchemas[m[1]!], m[1]!).map((v) => enc(String(v))),
        },
        { weight: 1, arbitrary: junkString.map(enc) },
        { weight: 1, arbitrary: fc.constantFrom('%zz', '%E0%A4%A', '..', '%2F', 'ses_', '1') },
      );
    }),
  );
  const queryProps = (c.query?.properties ?? {}) as Record<string, JsonSchema>;
  const queryArb = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    {
      weight: 4,
      arbitrary: fc
        .record(
          Object.fromEntries(
            Object.entries(queryProps).map(([k, v]) => [k, fc.oneof(fromSchema(v, k), junkString)]),
          ),
          { requiredKeys: [] },
        )
        .map((q) =>
          new URLSearchParams(
            Object.entries(q).map(([k, v]) => [k, String(v)] as [string, string]),
          ).toString(),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .dictionary(fc.constantFrom('cursor', 'limit', 'status', 'x', 'name', ''), junkString, { maxKeys: 3 })
        .map((q) => new URLSearchParams(q).toString()),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'cursor=eyJhIjoxfQ',
        'limit=0',
        'a=%zz',
        '&&=&',
        'cursor=' + 'A'.repeat(2100),
      ),
    },
  );
  const headerArb = fc.record(
    {
      'content-type': fc.oneof(
        { weight: 12, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'application/json; charset=utf-8',
            'application/cloudevents+json',
            'text/plain',
            '',
            'application/xml',
          ),
        },
      ),
      'idempotency-key': fc.oneof(fc.constantFrom('k1', 'k2', 'k3'), junkString),
      'x-anything': junkString,
    },
    { requiredKeys: [] },
  );
  const bodyArb = c.body
    ? fc.oneof(
        ...(plausible[routeKey(c)]
          ? [{ weight: 6, arbitrary: plausible[routeKey(c)]!().map((body) => ({ body })) }]
          : []),
        { weight: 3, arbitrary: fromSchema(c.body).map((body) => ({ body })) },
        { weight: 3, arbitrary: mutate(fromSchema(c.body)).map((body) => ({ body })) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((body) => ({ body })) },
        {
          weight: 1,
          arbitrary: fc
            .oneof(junkString, fc.constant('{"a":'), fc.constant('x'.repeat((c.maxBodyBytes ?? 65536) + 1)))
            .map((rawBody) => ({ rawBody })),
        },
        { weight: 1, arbitrary: fc.constant({}) },
      )
    : fc.oneof(
        { weight: 4, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: junkString.map((rawBody) => ({ rawBody })) },
      );
  const methodArb = fc.oneof(
    { weight: 19, arbitrary: fc.constant(c.method) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') },
  );
  return fc
    .tuple(methodArb, pathArb, queryArb, headerArb, bodyArb)
    .map(([method, path, query, headers, body]) => ({
      route: `${c.method} ${c.path}`,
      method,
      path: path as (string | Ref)[],
      query,
      headers: headers as Record<string, string>,
      ...(body as { body?: Gen; rawBody?: string }),
    }));
}

const created = { session: [] as string[], job: [] as string[], pd: [] as string[] };

function resolveRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(resolveRefs);
  if (v && typeof v === 'object') {
    const r = v as Partial<Ref> & { part?: number };
    if (
      r.ref &&
      typeof r.index === 'number' &&
      Object.keys(r).every((k) => ['ref', 'index', 'part'].includes(k))
    ) {
      const pool = created[r.ref];
      const id = pool.length ? pool[r.index % pool.length]! : `${r.ref}_none`;
      return r.part ? `sessions/${id}/parts/${r.part}` : id;
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveRefs(x)]));
  }
  return v;
}

describe('the API under generated input', () => {
  it(`answers no 5xx and changes nothing when it refuses (${RUNS} requests, seed ${SEED})`, async () => {
    const arb = fc.oneof(...allContracts.map(requestFor));
    const requests = fc.sample(arb, { seed: SEED, numRuns: RUNS });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (const [n, r] of requests.entries()) {
      const path = '/' + r.path.map((p) => String(resolveRefs(p))).join('/');
      const url = path + (r.query ? `?${r.query}` : '');
      let body = r.rawBody ?? (r.body === undefined ? undefined : JSON.stringify(resolveRefs(r.body)));
      // Half of the events are signed webhooks (the rest test the signature check).
      if (r.route === 'POST /v1/events' && r.body && typeof r.body === 'object' && n % 2 === 0) {
        const signed = signedDelivery(resolveRefs(r.body) as Record<string, unknown>, {
          nowMs: api.clock.now(),
          webhookId: `msg_${n % 50}`,
        });
        body = signed.body;
        r.headers = { ...r.headers, ...signed.headers };
      }
      const invokedBefore = api.invocations.length;
      journal.begin();
      const res = await api.request<{
        session?: { id?: string };
        job_id?: string;
        pod_definition_id?: string;
      }>(r.method, url, { ...(body === undefined ? {} : { body }), headers: r.headers });
      const changes = await journal.end();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const describe = () =>
        `#${n} ${r.method} ${url} headers=${JSON.stringify(r.headers, (_k, v: unknown) => (typeof v === 'string' ? v.slice(0, 60) : v))} body=${(body ?? '').slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
      if (res.status >= 500) {
        failures.push(`5xx: ${describe()}`);
        console.error(`5xx: ${describe()}`);
      }
      if (res.status >= 400 && changes.length)
        failures.push(`a refused request changed ${changes.join(', ')}: ${describe()}`);
      if (res.status >= 400 && api.invocations.length !== invokedBefore)
        failures.push(`a refused request invoked a function: ${describe()}`);
      if (res.status < 300) {
        if (res.body?.session?.id) created.session.push(res.body.session.id);
        if (res.body?.job_id) created.job.push(res.body.job_id);
        if (res.body?.pod_definition_id) created.pd.push(res.body.pod_definition_id);
      }
      if (process.env.LCM_FUZZ_DEBUG && r.route === process.env.LCM_FUZZ_DEBUG) console.log(describe());
      if (failures.length >= 10) break;
    }
    const summary = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, k]) => `${s}×${k}`)
      .join(' ');
    console.info(
      `API fuzz: seed ${SEED}, ${requests.length} requests, answers ${summary}, ${created.session.length} sessions created`,
    );
    expect(failures, `seed ${SEED}; answers ${summary}\n${failures.join('\n')}`).toEqual([]);
    // The run reached past validation: sessions were created and some requests succeeded.
    expect(created.session.length).toBeGreaterThan(0);
    expect([...statuses.keys()].filter((s) => s < 300).length).toBeGreaterThan(1);
    expect(requests.length).toBe(RUNS);
  }, 900_000);
});
