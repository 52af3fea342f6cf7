/**
 * Issue 14, finding 4 (job outputs): what a job record and its event hold of a job's outputs is
 * bounded; the rest is one stored document away. PutEvents requests stay under 256 KB, and the
 * local bus refuses what EventBridge refuses.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/domain/clock.ts';
import {
  jsonBytes,
  OUTPUT_PREVIEW_CHARS,
  OUTPUTS_INLINE_BYTES,
  outputsDigest,
} from '../../../shared/scenario/outputs.ts';
import { entryBytes, MAX_REQUEST_BYTES, putEventsBatches } from '../../../shared/events/publisher.ts';
import { LocalEventBus } from '../../../infra/local/event-bus.ts';
import { MAX_ERROR_DETAIL, toJobError } from '../../../shared/scenario/executor.ts';
import { Redactor } from '../../../shared/scenario/redact.ts';
import { Problem } from '../../../shared/domain/problem.ts';
import { system } from '../../../infra/system.ts';
import type { LocalFunctions } from '../../../infra/local/functions.ts';

const REF = 's3://artefacts/outputs/job_x/run-1.json';
const MB2 = 'x'.repeat(2 * 1024 * 1024);

describe('outputsDigest', () => {
  it('small outputs stay as they are', () => {
    const o = { a: 'FULL', n: 3, nested: { b: [1, 'two'] } };
    expect(outputsDigest(o, REF)).toEqual({ outputs: o, moved: 0 });
  });

  it('a 2 MB capture (flat and in its step bucket) becomes a pointer into the document; small values stay inline', () => {
    const o = { show_tech: { tech: MB2 }, tech: MB2, uptime: ['12'], passed: true };
    const d = outputsDigest(o, REF);
    expect(jsonBytes(d.outputs)).toBeLessThanOrEqual(OUTPUTS_INLINE_BYTES);
    expect(d.outputs).toEqual({
      show_tech: {
        tech: {
          ref: REF,
          pointer: '/show_tech/tech',
          bytes: MB2.length + 2,
          preview: MB2.slice(0, OUTPUT_PREVIEW_CHARS),
        },
      },
      tech: {
        ref: REF,
        pointer: '/tech',
        bytes: MB2.length + 2,
        preview: MB2.slice(0, OUTPUT_PREVIEW_CHARS),
      },
      uptime: ['12'],
      passed: true,
    });
    expect(d.moved).toBe(2);
    // The caller's outputs are not changed (they are what is stored whole).
    expect(o.tech).toBe(MB2);
  });

  it('pointers escape `/` and `~` as RFC 6901 says', () => {
    const d = outputsDigest({ 'a/b~c': MB2 }, REF);
    expect(d.outputs['a/b~c']).toMatchObject({ pointer: '/a~1b~0c' });
  });

  it('thousands of small values: whole top-level values move, and the digest still fits', () => {
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const d = outputsDigest({ counters: many, small: 'ok' }, REF);
    expect(jsonBytes(d.outputs)).toBeLessThanOrEqual(OUTPUTS_INLINE_BYTES);
    expect(d.outputs).toMatchObject({ counters: { ref: REF, pointer: '/counters' }, small: 'ok' });
    const flat = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    expect(jsonBytes(outputsDigest(flat, REF).outputs)).toBeLessThanOrEqual(OUTPUTS_INLINE_BYTES);
  });
});

describe('PutEvents requests', () => {
  const entry = (kb: number) => ({
    Source: 'lcm.scenario_engine',
    DetailType: 'lcm.scenario_engine.job.completed.v1',
    Detail: JSON.stringify({ x: 'y'.repeat(kb * 1024) }),
  });

  it('are cut at ten entries and at 256 KB', () => {
    const batches = putEventsBatches(Array.from({ length: 12 }, () => entry(60)));
    expect(batches.map((b) => b.length)).toEqual([4, 4, 4]);
    for (const b of batches)
      expect(b.reduce((n, e) => n + entryBytes(e), 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(putEventsBatches(Array.from({ length: 12 }, () => entry(1))).map((b) => b.length)).toEqual([
      10, 2,
    ]);
  });

  it('the local bus refuses a request over 256 KB, as EventBridge does', () => {
    const bus = new LocalEventBus(system, { invoke: async () => undefined } as unknown as LocalFunctions, {
      busName: 'lcm',
      stage: 'local',
      region: 'us-east-1',
      accountId: '000000000000',
      clock: new ManualClock('2026-12-01T10:00:00Z'),
    });
    expect(() => bus.putEvents([entry(100), entry(100), entry(60)])).toThrow(/over the limit/);
    expect(bus.putEvents([entry(100), entry(100)]).FailedEntryCount).toBe(0);
  });
});

describe('job errors', () => {
  it("an error quoting a device's whole answer keeps at most 2,000 characters of it", () => {
    const e = toJobError(
      new Problem('validation-error', `the device said ${'x'.repeat(100_000)}`),
      new Redactor([]),
      's1',
    );
    expect(e.detail.length).toBeLessThanOrEqual(MAX_ERROR_DETAIL);
    expect(e.detail).toMatch(/^the device said x+…$/);
  });
});
