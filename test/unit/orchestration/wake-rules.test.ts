/**
 * When a changed session tree wakes the reconciler (D233): only when deciding on it would write
 * or command something. The reconciler's own writes leave a tree at a fixpoint, so the stream
 * no longer wakes it for them.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../shared/orchestration/decide.ts';
import { hasWork } from '../../../shared/orchestration/has-work.ts';
import { wakesReconciler } from '../../../shared/orchestration/dispatch.ts';
import { itemsToTree, treeToItems } from '../../../shared/store/session-tree.ts';
import type { StoredItem } from '../../../shared/store/state-store.ts';
import { MIN, T0, running, tree } from './fixtures.ts';

const items = (t: ReturnType<typeof tree>) => treeToItems(t) as StoredItem[];

describe('a changed tree wakes the reconciler only when there is something to decide (D233)', () => {
  it('a session booked an hour ahead has nothing to decide until its lead time, then has', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    expect(hasWork(t, T0, 'dev')).toBe(false);
    expect(wakesReconciler(items(t), T0 + 10 * MIN, 'dev')).toBe(false);
    const due = T0 + 60 * MIN;
    expect(hasWork(t, due, 'dev')).toBe(true);
    expect(wakesReconciler(items(t), due, 'dev')).toBe(true);
  });

  it('the tree the reconciler writes is a fixpoint: its own write does not wake it again', () => {
    for (const [t, now] of [
      [
        tree({
          execution: 'sequential',
          parts: [
            { minutes: 30, pod: true },
            { minutes: 30, pod: false },
          ],
        }),
        T0 + 60 * MIN,
      ],
      [running('sequential', [true, true]), T0 + 75 * MIN],
      [running('parallel', [true, false]), T0 + 200 * MIN],
    ] as const) {
      const d = decide(t, now, 'dev');
      expect(d.changed.length + d.commands.length).toBeGreaterThan(0);
      expect(hasWork(d.tree, now, 'dev')).toBe(false);
      expect(wakesReconciler(items(d.tree), now, 'dev')).toBe(false);
    }
  });

  it('a combined report decided but not stored yet is work (the reconciler stores it)', () => {
    const t = running('single', [true]);
    const now = T0 + 61 * MIN;
    const settled = decide(t, now, 'dev').tree;
    expect(hasWork(settled, now, 'dev')).toBe(false);
    settled.session.score_report = { percentage: 100 } as never;
    expect(hasWork(settled, now, 'dev')).toBe(true);
    settled.session.score_report_ref = 's3://artefacts/reports/x.json';
    expect(hasWork(settled, now, 'dev')).toBe(false);
  });

  it('a partition without its session wakes nothing; one that cannot be decided on wakes the reconciler', () => {
    const t = tree({ execution: 'single', parts: [{ minutes: 60, pod: true }] });
    expect(
      wakesReconciler(
        items(t).filter((i) => !i.sk.startsWith('SESSION')),
        T0,
        'dev',
      ),
    ).toBe(false);
    const broken = items(t).map((i) => (i.sk === 'SESSION' ? { ...i, timeslot: undefined } : i));
    expect(() => decide(itemsToTree(broken as StoredItem[])!, T0 + 60 * MIN, 'dev')).toThrow(TypeError);
    expect(wakesReconciler(broken as StoredItem[], T0 + 60 * MIN, 'dev')).toBe(true);
  });
});
