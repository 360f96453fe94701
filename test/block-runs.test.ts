import test from 'ava';
import { blockRuns, downloadBlocks } from '../edge-node/mesh/block-runs.ts';

test('blocks become maximal runs of consecutive indices, lowest first, whatever their order', (t) => {
  t.deepEqual(blockRuns([]), []);
  t.deepEqual(blockRuns([7]), [{ start: 7, end: 8 }]);
  t.deepEqual(blockRuns([40, 41, 42, 10, 11, 12, 13, 43, 90]), [
    { start: 10, end: 14 },
    { start: 40, end: 44 },
    { start: 90, end: 91 },
  ]);
  t.deepEqual(blockRuns([3, 3, 4]), [{ start: 3, end: 5 }], 'a block listed twice is asked for once');
});

test('a download of blocks is one range per run: done when all are, destroyed together', async (t) => {
  const asked: Array<{ start: number; end: number }> = [];
  const settle: Array<() => void> = [];
  let destroyed = 0;
  const handle = downloadBlocks(
    (run) => {
      asked.push(run);
      const done = new Promise<void>((resolve) => settle.push(resolve));
      return { done: () => done, destroy: () => destroyed++ };
    },
    [5, 6, 1, 2],
  );
  t.deepEqual(asked, [
    { start: 1, end: 3 },
    { start: 5, end: 7 },
  ]);
  let finished = false;
  const done = handle.done().then(() => {
    finished = true;
  });
  settle[0]!();
  await Promise.resolve();
  t.false(finished, 'one run still under way');
  settle[1]!();
  await done;
  t.true(finished);
  handle.destroy();
  t.is(destroyed, 2);
});
