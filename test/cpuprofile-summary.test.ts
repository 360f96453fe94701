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
