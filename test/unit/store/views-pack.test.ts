/**
 * D235: a tree view stores its tree as Brotli-compressed JSON. What the API answers is the same
 * tree; the item is a fraction of the size (DynamoDB bills a write per started KB).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { itemBytes } from '../../../infra/local/dynamodb-meter.ts';
import { keys, viewKeys } from '../../../shared/store/keys.ts';
import { treeToItems } from '../../../shared/store/session-tree.ts';
import { packTree, TREE_ATTRIBUTE, unpackTree, ViewStore } from '../../../shared/store/views.ts';
import type { SessionTree } from '../../../shared/domain/session.ts';
import type { StoredItem } from '../../../shared/store/state-store.ts';

const doc = mockClient(DynamoDBDocumentClient);
const views = () => new ViewStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'views');
beforeEach(() => doc.reset());

/** A finished lablet's tree, shaped as the runtime writes it (one part, one pod, ten graded items). */
function lablet(): SessionTree {
  const at = (m: number) => new Date(Date.parse('2026-12-07T06:00:00Z') + m * 60_000).toISOString();
  const history = (states: string[]) =>
    states.map((to, i) => ({
      from: i ? states[i - 1] : null,
      to,
      at: at(i * 5),
      by: 'reconciler',
      reason: `moved to ${to}`,
    }));
  return {
    session: {
      id: 'ses_01',
      status: 'completed',
      session_type: 'lablet',
      timeslot: { start: at(10), end: at(90) },
      candidate: { candidate_id: 'cand-1' },
      state_history: history([
        'pending',
        'admitting',
        'provisioning',
        'ready',
        'running',
        'grading',
        'completed',
      ]),
      score_report: { points_awarded: 100, points_max: 100, percentage: 100, passed: true },
    },
    parts: [
      {
        id: 'ses_01.p1',
        order: 1,
        status: 'archived',
        state_history: history([
          'pending',
          'provisioning',
          'waiting',
          'active',
          'collecting',
          'grading',
          'archived',
        ]),
        phases: {
          instantiate: 'local-lcm-pd_1-instantiate',
          grade: 'local-lcm-pd_1-grade',
          archive: 'local-lcm-pd_1-archive',
        },
        phase_log: ['instantiate', 'grade', 'archive'].map((phase, i) => ({
          phase,
          state_machine: `local-lcm-pd_1-${phase}`,
          execution_name: `local-lcm-ses_01-p1-${phase}-a1`,
          started_at: at(i * 30),
          ended_at: at(i * 30 + 1),
          attempt: 1,
          outcome: 'succeeded',
        })),
        score_report: {
          points_awarded: 100,
          points_max: 100,
          per_item: Array.from({ length: 10 }, (_, i) => ({
            id: `item-${i}`,
            points_max: 10,
            points_awarded: 10,
            passed: true,
            issues: [],
          })),
        },
      },
    ] as never,
    pods: [
      {
        id: 'pod_01.p1.0',
        part_order: 1,
        index: 0,
        status: 'released',
        host_id: 'i-0123456789abcdef0',
        ports: { console: 9001, ssh: 9002 },
        state_history: history(['pending', 'placed', 'starting', 'running', 'stopping', 'released']),
      },
    ] as never,
  } as unknown as SessionTree;
}

describe('a tree view stored compressed (D235)', () => {
  it('round-trips the tree exactly', () => {
    const t = lablet();
    const back = unpackTree({
      ...viewKeys.sessionTree('ses_01'),
      [TREE_ATTRIBUTE]: packTree(t),
      tree_version: 21,
    });
    expect(back).toEqual({ ...t, tree_version: 21 });
  });

  it('writes the compressed tree and the listing keys, and no tree attribute in the clear', async () => {
    doc.on(PutCommand).resolves({});
    const items = treeToItems(lablet()).map((i) => ({ ...i, state_version: 3 }) as StoredItem);
    expect(await views().projectItems('ses_01', items)).toBe('written');
    const item = doc.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(Object.keys(item).sort()).toEqual(
      [
        'pk',
        'sk',
        TREE_ATTRIBUTE,
        'tree_version',
        'list_key',
        'status_key',
        'candidate_key',
        'time_key',
        'session_type',
      ].sort(),
    );
    expect(item.tree_version).toBe(9);
    expect(item.status_key).toBe(viewKeys.byStatus('completed'));
    // What the table holds is a fraction of the tree, and at most 2 write units where it was 5.
    const plain = itemBytes(
      marshall({ ...item, ...lablet(), [TREE_ATTRIBUTE]: undefined }, { removeUndefinedValues: true }),
    );
    const packed = itemBytes(marshall(item));
    expect(plain).toBeGreaterThan(3 * 1024);
    expect(packed).toBeLessThan(plain / 2.5);
    expect(Math.ceil(packed / 1024)).toBeLessThanOrEqual(2);
  });

  it('answers GET from the compressed tree', async () => {
    const t = lablet();
    doc.on(GetCommand).resolves({
      Item: { ...viewKeys.sessionTree('ses_01'), [TREE_ATTRIBUTE]: packTree(t), tree_version: 12 },
    });
    expect(await views().getSessionTree('ses_01')).toEqual({ ...t, tree_version: 12 });
  });

  it('still answers a view written before D235 (session, parts and pods in the clear)', async () => {
    const t = lablet();
    doc
      .on(GetCommand)
      .resolves({ Item: { ...viewKeys.sessionTree('ses_01'), ...t, tree_version: 5, list_key: 'ALL' } });
    expect(await views().getSessionTree('ses_01')).toEqual({ ...t, tree_version: 5 });
  });

  it('answers nothing for an item that holds no tree', () => {
    expect(unpackTree({ ...keys.session('x'), tree_version: 1 })).toBeUndefined();
  });
});
