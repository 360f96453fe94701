import test from 'ava';
import { summarise } from '../tools/cpuprofile-summary.ts';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
/** root → a (app), b (hypercore), idle; samples every 1 ms from t = 1,000 µs. */
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
    { id: 2, callFrame: frame('scan', 'file:///repo/edge-node/mesh/event-replica.ts') },
    { id: 3, callFrame: frame('_requestRange', 'file:///x/node_modules/hypercore/lib/replicator.js') },
    { id: 4, callFrame: frame('(idle)', '') },
  ],
  startTime: 0,
  samples: [2, 3, 3, 4, 3, 2],
  timeDeltas: [1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
};

test('self time by package and function, idle apart', (t) => {
  const s = summarise(profile);
  t.is(s.totalUs, 6_000);
  t.is(s.idleUs, 1_000);
  t.deepEqual(s.byPackage, [
    ['hypercore', 3_000],
    ['app:mesh/event-replica.ts', 2_000],
  ]);
  t.deepEqual(s.byFunction[0], ['_requestRange hypercore/lib/replicator.js:10', 3_000]);
});

test('only the samples inside the window count', (t) => {
  // Samples land at 1,000 … 6,000 µs; the window 2,000–3,000 holds the two hypercore samples.
  const s = summarise(profile, 2_000, 3_000);
  t.is(s.totalUs, 2_000);
  t.deepEqual(s.byPackage, [['hypercore', 2_000]]);
});

test("our own functions' total time includes what they call, once per sample even when they recur", (t) => {
  // root → cycle (app) → plan (app) → cycle again (recursion) → _requestRange (hypercore).
  const nested = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2] },
      { id: 2, callFrame: frame('cycle', 'file:///repo/edge-node/mesh/background-replicator.ts'), children: [3] },
      { id: 3, callFrame: frame('plan', 'file:///repo/shared/policy/sync-planner.ts'), children: [4] },
      { id: 4, callFrame: frame('cycle', 'file:///repo/edge-node/mesh/background-replicator.ts'), children: [5] },
      { id: 5, callFrame: frame('_requestRange', 'file:///x/node_modules/hypercore/lib/replicator.js') },
    ],
    startTime: 0,
    samples: [5, 5, 3],
    timeDeltas: [1_000, 1_000, 1_000],
  };
  t.deepEqual(summarise(nested).byAppFunctionTotal, [
    ['cycle mesh/background-replicator.ts:10', 3_000],
    ['plan policy/sync-planner.ts:10', 3_000],
  ]);
});
