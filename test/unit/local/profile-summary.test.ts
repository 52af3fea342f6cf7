import { describe, expect, it } from 'vitest';
import { summarise } from '../../bench/profile-summary.ts';

const root = new URL('../../../', import.meta.url).href;
const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

/** A profile tree: (root) → [SDK → node:net → writev], [our store → JSON parse], [SFN], idle, GC. */
function profile() {
  const nodes = [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 7, 8, 9, 10] },
    { id: 2, callFrame: frame('send', `${root}node_modules/@smithy/core/dist-cjs/index.js`), children: [3] },
    { id: 3, callFrame: frame('write', 'node:net'), children: [4] },
    { id: 4, callFrame: frame('writev') },
    { id: 5, callFrame: frame('put', `${root}shared/store/state-store.ts`), children: [6] },
    { id: 6, callFrame: frame('parse') },
    { id: 7, callFrame: frame('run', `${root}node_modules/aws-local-stepfunctions/build/main.node.cjs`) },
    { id: 8, callFrame: frame('(idle)') },
    { id: 9, callFrame: frame('(garbage collector)') },
    { id: 10, callFrame: frame('socketOnData', 'node:_http_client'), children: [11] },
    { id: 11, callFrame: frame('emit', 'node:events') },
  ];
  // 1 ms per sample (a sample's time is the delta to the next one; the last takes the mean).
  const samples = [4, 4, 3, 6, 5, 7, 8, 8, 8, 9, 11];
  return { nodes, startTime: 0, endTime: 11_000, samples, timeDeltas: samples.map(() => 1000) };
}

describe('profile-summary: each sample to the innermost frame of a named group', () => {
  it('gives Node internals and natives to their caller, and names GC, idle, JSON and the event loop', () => {
    const s = summarise(profile());
    const g = Object.fromEntries(s.groups.map(([k, us]) => [k.split(' (')[0]!.split(':')[0]!, us / 1000]));
    expect(g['AWS SDK']).toBe(3); // writev ×2 and node:net under the SDK's frame
    expect(g['product code']).toBe(1); // the store's own frame
    expect(g['JSON.parse / JSON.stringify']).toBe(1);
    expect(g['Step Functions interpreter']).toBe(1);
    expect(g['idle']).toBe(3);
    expect(g['garbage collector']).toBe(1);
    expect(g['Node HTTP and sockets, event-loop side']).toBe(1); // emit under socketOnData, no group frame
  });
});
