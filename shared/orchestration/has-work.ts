/**
 * Whether reconciling a session tree as it stands, with nothing observed, would write or command
 * anything: what the stream dispatcher asks before it wakes the reconciler (D233). The same test
 * the reconciler makes before it writes (`reconcileSession`): a decision that changes an item or
 * issues a command, or a combined report decided but not yet stored.
 */
import type { SessionTree } from '../domain/session.ts';
import { decide } from './decide.ts';

export function hasWork(tree: SessionTree, now: number, stage: string): boolean {
  const d = decide(tree, now, stage);
  const s = d.tree.session;
  return d.changed.length > 0 || d.commands.length > 0 || (!!s.score_report && !s.score_report_ref);
}
