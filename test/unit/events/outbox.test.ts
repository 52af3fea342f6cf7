import { describe, expect, it } from 'vitest';
import { eventsForChange } from '../../../shared/events/outbox.ts';
import { EVENT_TYPES } from '../../../shared/events/types.ts';

const base = {
  pk: 'SESSION#ses_1',
  sk: 'SESSION',
  entity: 'session',
  id: 'ses_1',
  session_type: 'lablet',
  updated_at: '2026-12-01T09:00:00.000Z',
};

describe('the outbox: events a committed change announces', () => {
  it('a new session is scheduled and enters its first status', () => {
    const events = eventsForChange({
      eventName: 'INSERT',
      newImage: { ...base, status: 'pending', state_version: 1 },
    });
    expect(events.map((e) => e.type)).toEqual([
      EVENT_TYPES.sessionScheduled,
      EVENT_TYPES.sessionStatusChanged,
    ]);
    expect(events[1]!.data).toMatchObject({ from: null, to: 'pending' });
    expect(events[0]!.time).toBe('2026-12-01T09:00:00.000Z');
  });

  it('ids are derived from item, version and type: a replayed record yields the same events', () => {
    const change = {
      eventName: 'MODIFY' as const,
      oldImage: { ...base, status: 'pending', state_version: 1 },
      newImage: { ...base, status: 'admitting', state_version: 2 },
    };
    expect(eventsForChange(change)).toEqual(eventsForChange(change));
    const ids = eventsForChange(change).map((e) => e.id);
    const later = eventsForChange({ ...change, newImage: { ...change.newImage, state_version: 3 } }).map(
      (e) => e.id,
    );
    expect(ids).not.toEqual(later);
  });

  it('a change that moves no status announces nothing', () => {
    expect(
      eventsForChange({
        eventName: 'MODIFY',
        oldImage: { ...base, status: 'running', state_version: 4, desired_status: 'completed' },
        newImage: { ...base, status: 'running', state_version: 5, desired_status: 'cancelled' },
      }),
    ).toEqual([]);
  });

  it.each([
    ['completed', EVENT_TYPES.sessionCompleted],
    ['cancelled', EVENT_TYPES.sessionCancelled],
    ['failed', EVENT_TYPES.sessionEscalated],
  ])('a session reaching %s also announces %s', (to, type) => {
    const types = eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...base, status: 'finalizing', state_version: 8 },
      newImage: { ...base, status: to, state_version: 9 },
    }).map((e) => e.type);
    expect(types).toEqual([EVENT_TYPES.sessionStatusChanged, type]);
  });

  it('pod definitions announce ready, sync_failed and superseded', () => {
    const pd = { pk: 'PODDEF#pd_1', sk: 'PODDEF', entity: 'pod_definition', id: 'pd_1', name: 'ospf' };
    const ready = eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...pd, status: 'synchronizing' },
      newImage: { ...pd, status: 'ready', state_version: 3 },
    });
    expect(ready.map((e) => e.type)).toEqual([EVENT_TYPES.podDefinitionReady]);
    const failed = eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...pd, status: 'synchronizing' },
      newImage: { ...pd, status: 'failed', state_version: 3, error_message: 'bad' },
    });
    expect(failed[0]!.data).toMatchObject({ error_message: 'bad' });
  });

  it('jobs echo the caller metadata', () => {
    const job = { pk: 'JOB#job_1', sk: 'JOB', entity: 'job', id: 'job_1', metadata: { ticket: 'T-1' } };
    const ev = eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...job, status: 'submitted' },
      newImage: { ...job, status: 'running', state_version: 2 },
    });
    expect(ev.map((e) => e.type)).toEqual([EVENT_TYPES.jobStarted]);
    expect(ev[0]!.data).toMatchObject({ metadata: { ticket: 'T-1' } });
  });

  describe('job progress written in batches (D232)', () => {
    const job = {
      pk: 'JOB#job_1',
      sk: 'JOB',
      entity: 'job',
      id: 'job_1',
      job: 'grade@v1',
      metadata: { ticket: 'T-1' },
    };
    const outcome = (seq: number, status = 'succeeded') => ({
      step_index: seq - 1,
      steps_total: 3,
      step_id: `s${seq}`,
      status,
      attempt: 1,
      seq,
      steps_completed: seq,
      at: `2026-12-03T10:00:0${seq}.000Z`,
    });
    const progressOf = (ev: ReturnType<typeof eventsForChange>) =>
      ev
        .filter((e) => e.type === EVENT_TYPES.jobProgress)
        .map((e) => (e.data as { progress: { seq: number } }).progress.seq);

    it('one event per outcome a write added, none for the outcomes an earlier write carried', () => {
      const first = {
        ...job,
        status: 'running',
        state_version: 3,
        progress_outcomes: [outcome(1)],
        progress_seq: 1,
      };
      const second = {
        ...job,
        status: 'running',
        state_version: 4,
        progress_outcomes: [outcome(2), outcome(3, 'retrying')],
        progress_seq: 3,
      };
      const ev = eventsForChange({ eventName: 'MODIFY', oldImage: first, newImage: second });
      expect(progressOf(ev)).toEqual([2, 3]);
      expect(
        ev.every((e) => (e.data as { status: string }).status === 'running' && e.subject === 'jobs/job_1'),
      ).toBe(true);
      expect(new Set(ev.map((e) => e.id)).size).toBe(2);
      // The same record delivered again yields the same ids (the outbox is idempotent per record).
      expect(
        eventsForChange({ eventName: 'MODIFY', oldImage: first, newImage: second }).map((e) => e.id),
      ).toEqual(ev.map((e) => e.id));
    });

    it('a lease renewal keeps the last batch on the record and announces nothing', () => {
      const running = {
        ...job,
        status: 'running',
        state_version: 4,
        progress_outcomes: [outcome(2)],
        progress_seq: 2,
      };
      expect(
        eventsForChange({
          eventName: 'MODIFY',
          oldImage: running,
          newImage: { ...running, state_version: 5 },
        }),
      ).toEqual([]);
    });

    it('the final write announces the outcomes still waiting, then the job’s end', () => {
      const running = {
        ...job,
        status: 'running',
        state_version: 4,
        progress_outcomes: [outcome(1)],
        progress_seq: 1,
      };
      const done = {
        ...job,
        status: 'completed',
        state_version: 5,
        progress_outcomes: [outcome(2), outcome(3)],
        progress_seq: 3,
      };
      const ev = eventsForChange({ eventName: 'MODIFY', oldImage: running, newImage: done });
      expect(ev.map((e) => e.type)).toEqual([
        EVENT_TYPES.jobProgress,
        EVENT_TYPES.jobProgress,
        EVENT_TYPES.jobCompleted,
      ]);
      expect(progressOf(ev)).toEqual([2, 3]);
    });

    it('a run that took the job over numbers its outcomes afresh: its first write announces them all', () => {
      const claimed = { ...job, status: 'running', state_version: 6, run: 2 };
      const next = {
        ...claimed,
        state_version: 7,
        progress_outcomes: [outcome(1), outcome(2)],
        progress_seq: 2,
      };
      expect(progressOf(eventsForChange({ eventName: 'MODIFY', oldImage: claimed, newImage: next }))).toEqual(
        [1, 2],
      );
    });

    it('a record written before D232 (progress only) still announces a changed outcome once', () => {
      const before = {
        ...job,
        status: 'running',
        state_version: 3,
        progress: { step_index: 0, status: 'succeeded', attempt: 1 },
      };
      const after = {
        ...before,
        state_version: 4,
        progress: { step_index: 1, status: 'succeeded', attempt: 1 },
      };
      expect(
        eventsForChange({ eventName: 'MODIFY', oldImage: before, newImage: after }).map((e) => e.type),
      ).toEqual([EVENT_TYPES.jobProgress]);
      expect(
        eventsForChange({ eventName: 'MODIFY', oldImage: after, newImage: { ...after, state_version: 5 } }),
      ).toEqual([]);
    });
  });

  it('a phase that ended and the next one that started in one write: completed, the status move, then started, once each', () => {
    const part = {
      pk: 'SESSION#ses_1',
      sk: 'PART#01',
      entity: 'part',
      id: 'ses_1.p1',
      session_id: 'ses_1',
      order: 1,
      status: 'collecting',
      updated_at: '2026-12-01T09:00:00.000Z',
    };
    const collect = { phase: 'collect', execution_name: 'lcm-ses_1-p1-collect-a1', attempt: 1 };
    const grade = { phase: 'grade', execution_name: 'lcm-ses_1-p1-grade-a1', attempt: 1 };
    const before = { ...part, state_version: 7, phase_execution: collect, phase_log: [] };
    const after = {
      ...part,
      status: 'grading',
      state_version: 8,
      phase_execution: grade,
      phase_log: [{ ...collect, outcome: 'succeeded' }],
    };
    const events = eventsForChange({ eventName: 'MODIFY', oldImage: before, newImage: after });
    expect(events.map((e) => e.type)).toEqual([
      EVENT_TYPES.partPhaseCompleted,
      EVENT_TYPES.partStatusChanged,
      EVENT_TYPES.partPhaseStarted,
    ]);
    expect(events[0]!.data).toMatchObject({ phase: 'collect', outcome: 'succeeded' });
    expect(events[2]!.data).toMatchObject({ phase: 'grade' });
    // The next write (grade ends) announces grade only; collect is not announced again.
    const later = eventsForChange({
      eventName: 'MODIFY',
      oldImage: after,
      newImage: {
        ...after,
        state_version: 9,
        phase_execution: { ...grade, outcome: 'failed', error: 'Job.timeout' },
      },
    });
    expect(later.map((e) => [e.type, (e.data as { phase: string }).phase])).toEqual([
      [EVENT_TYPES.partPhaseFailed, 'grade'],
    ]);
  });

  it('a removal announces nothing (resources end by status, not by deletion)', () => {
    expect(eventsForChange({ eventName: 'REMOVE', oldImage: { ...base, status: 'completed' } })).toEqual([]);
  });
});

describe('score_report.published follows the report document (issue 15, findings 7 and 10; D76, D78)', () => {
  const report = { kind: 'session', points_awarded: 8, points_max: 10, percentage: 80, passed: true };
  const ref = 's3://artefacts/reports/ses_1/session.json';
  const published = (oldImage: Record<string, unknown>, newImage: Record<string, unknown>) =>
    eventsForChange({
      eventName: 'MODIFY',
      oldImage: { ...base, status: 'completed', state_version: 9, ...oldImage },
      newImage: { ...base, status: 'completed', state_version: 10, ...newImage },
    }).filter((e) => e.type === EVENT_TYPES.scoreReportPublished);

  it('the commit that sets the report with its reference publishes it, carrying the reference', () => {
    const [e, ...more] = published({}, { score_report: report, score_report_ref: ref });
    expect(more).toEqual([]);
    expect(e!.data).toMatchObject({
      session_id: 'ses_1',
      score_report_ref: ref,
      summary: { points_awarded: 8 },
    });
  });

  it('a revised report is not published until its document is written; then it is published again', () => {
    const revised = { ...report, points_awarded: 9, percentage: 90 };
    expect(published({ score_report: report, score_report_ref: ref }, { score_report: revised })).toEqual([]);
    const [e] = published({ score_report: revised }, { score_report: revised, score_report_ref: ref });
    expect(e!.data).toMatchObject({ score_report_ref: ref, summary: { points_awarded: 9 } });
  });
});

describe('PII in events (issue 16, finding 6: candidate PII archived for 30 days)', () => {
  const candidate = {
    candidate_id: 'cand-1042',
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: 'ada@example.com',
  };
  const session = { ...base, candidate, timeslot: { start: 'a', end: 'b' }, reservation_id: 'r-1' };

  it('a scheduled session names its candidate by id only', () => {
    const [scheduled] = eventsForChange({
      eventName: 'INSERT',
      newImage: { ...session, status: 'pending', state_version: 1 },
    });
    expect(scheduled!.type).toBe(EVENT_TYPES.sessionScheduled);
    expect((scheduled!.data as { candidate: unknown }).candidate).toEqual({ candidate_id: 'cand-1042' });
  });

  it('no event of a session, through every status, carries the name or e-mail', () => {
    const statuses = ['pending', 'admitting', 'running', 'finalizing', 'completed'];
    const all = statuses.flatMap((s, i) =>
      eventsForChange(
        i === 0
          ? { eventName: 'INSERT', newImage: { ...session, status: s, state_version: 1 } }
          : {
              eventName: 'MODIFY',
              oldImage: { ...session, status: statuses[i - 1], state_version: i },
              newImage: { ...session, status: s, state_version: i + 1 },
            },
      ),
    );
    expect(all.length).toBeGreaterThan(statuses.length);
    const text = JSON.stringify(all);
    for (const pii of ['Ada', 'Lovelace', 'ada@example.com']) expect(text).not.toContain(pii);
  });
});
