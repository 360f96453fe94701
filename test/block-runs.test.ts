import test from 'ava';
import { downloadBlocks } from '../edge-node/mesh/block-runs.ts';
import { toSeqRanges } from '../shared/feed/seq-ranges.ts';

test('toSeqRanges (block runs): sorted, de-duplicated half-open runs', (t) => {
  t.deepEqual(toSeqRanges([5, 1, 2, 3, 3, 9, 10]), [
    [1, 4],
    [5, 6],
    [9, 11],
  ]);
  t.deepEqual(toSeqRanges([]), []);
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
