/**
 * RFC 9457 problem details as shared/domain/problem.ts builds them (issue 18): the catalogue's
 * statuses, what a Problem carries, which members its document has and when, and how anything
 * thrown becomes one without leaking.
 */
import { describe, expect, it } from 'vitest';
import {
  PROBLEM_TYPES,
  PROBLEM_TYPE_PREFIX,
  Problem,
  isProblem,
  toProblem,
  type ProblemType,
} from '../../../shared/domain/problem.ts';

describe('the catalogue', () => {
  it.each([
    ['validation-error', 422],
    ['bad-request', 400],
    ['malformed-json', 400],
    ['unsupported-media-type', 415],
    ['payload-too-large', 413],
    ['not-found', 404],
    ['route-not-found', 404],
    ['method-not-allowed', 405],
    ['conflict', 409],
    ['state-conflict', 409],
    ['idempotency-key-reused', 422],
    ['idempotency-in-progress', 409],
    ['capacity-unavailable', 409],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['timeout', 408],
    ['communication-error', 503],
    ['cancelled', 499],
    ['internal', 500],
  ] as const)('%s answers %d', (kind, status) => {
    expect(new Problem(kind).status).toBe(status);
    expect(PROBLEM_TYPES[kind].status).toBe(status);
  });

  it('only internal and communication-error are 5xx; every other type is a 4xx', () => {
    const fivexx = (Object.keys(PROBLEM_TYPES) as ProblemType[]).filter(
      (k) => PROBLEM_TYPES[k].status >= 500,
    );
    expect(fivexx.sort()).toEqual(['communication-error', 'internal']);
  });
});

describe('a Problem', () => {
  it('carries its kind, status, title, detail, errors and extensions, and is an Error named Problem', () => {
    const errors = [{ pointer: '/timeslot', detail: 'too short', rule: 'timeslot.min' }];
    const cause = new Error('below');
    const p = new Problem('invalid-timeslot', 'the timeslot is 5 minutes', {
      errors,
      extensions: { retry_after: 3 },
      cause,
    });
    expect(p).toBeInstanceOf(Error);
    expect(p.name).toBe('Problem');
    expect(p.kind).toBe('invalid-timeslot');
    expect(p.status).toBe(422);
    expect(p.title).toBe(PROBLEM_TYPES['invalid-timeslot'].title);
    expect(p.detail).toBe('the timeslot is 5 minutes');
    expect(p.message).toBe('the timeslot is 5 minutes');
    expect(p.errors).toBe(errors);
    expect(p.extensions).toEqual({ retry_after: 3 });
    expect(p.cause).toBe(cause);
    expect(p.type).toBe(`${PROBLEM_TYPE_PREFIX}invalid-timeslot`);
    expect(p.type).toBe('urn:lcm:problem:invalid-timeslot');
  });

  it('without a detail: its message is the title, no detail, no errors, no extensions, no cause', () => {
    const p = new Problem('not-found');
    expect(p.message).toBe('No such resource');
    expect(p.detail).toBeUndefined();
    expect(p.errors).toBeUndefined();
    expect(p.extensions).toEqual({});
    expect(p.cause).toBeUndefined();
  });
});

describe("a Problem's document", () => {
  it('has type, title and status, and nothing else when there is nothing else', () => {
    expect(new Problem('conflict').toJSON()).toEqual({
      type: 'urn:lcm:problem:conflict',
      title: 'The resource changed concurrently',
      status: 409,
    });
  });

  it('an empty detail, an empty instance and an empty error list are left out', () => {
    const doc = new Problem('conflict', '', { errors: [] }).toJSON('');
    expect(Object.keys(doc).sort()).toEqual(['status', 'title', 'type']);
  });

  it('the detail and the instance when given', () => {
    const doc = new Problem('conflict', 'exists').toJSON('/v1/things/t_1');
    expect(doc.detail).toBe('exists');
    expect(doc.instance).toBe('/v1/things/t_1');
  });

  it('the errors, and the first error as the pointer', () => {
    const errors = [
      { pointer: '/parts/0', detail: 'a' },
      { pointer: '/parts/1', detail: 'b' },
    ];
    const doc = new Problem('validation-error', 'bad', { errors }).toJSON();
    expect(doc.pointer).toBe('/parts/0');
    expect(doc.errors).toEqual(errors);
  });

  it('carries the extensions, but an extension cannot override a member of the document', () => {
    const doc = new Problem('capacity-unavailable', 'full', {
      errors: [{ pointer: '/x', detail: 'y' }],
      extensions: { retry_after_seconds: 60, status: 200, type: 'x', title: 't', detail: 'd', pointer: '/z' },
    }).toJSON('/i');
    expect(doc).toEqual({
      retry_after_seconds: 60,
      type: 'urn:lcm:problem:capacity-unavailable',
      title: 'The capacity this change needs is not there',
      status: 409,
      detail: 'full',
      instance: '/i',
      pointer: '/x',
      errors: [{ pointer: '/x', detail: 'y' }],
    });
  });
});

describe('anything thrown as a Problem', () => {
  it('a Problem is one, and stays itself', () => {
    const p = new Problem('forbidden', 'no');
    expect(isProblem(p)).toBe(true);
    expect(toProblem(p)).toBe(p);
  });

  it('an Error, a string or a look-alike is not one, and becomes internal without its message, keeping the cause', () => {
    const lookAlike = { kind: 'conflict', status: 409, type: 'urn:lcm:problem:conflict' };
    for (const thrown of [new Error('secret internals'), 'secret internals', lookAlike, undefined]) {
      expect(isProblem(thrown)).toBe(false);
      const p = toProblem(thrown);
      expect(p).toBeInstanceOf(Problem);
      expect(p.kind).toBe('internal');
      expect(p.status).toBe(500);
      expect(JSON.stringify(p.toJSON())).not.toContain('secret internals');
      expect(p.cause).toBe(thrown);
    }
  });
});
