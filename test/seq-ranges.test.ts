import test from 'ava';
import { inSeqRanges, isCanonicalSeqRanges, seqRangesSize, toSeqRanges } from '../shared/feed/seq-ranges.ts';
import { seededRng } from '../shared/policy/prng.ts';

test('seq ranges: runs of consecutive seqs, whatever the order and repeats', (t) => {
  t.deepEqual(toSeqRanges([]), []);
  t.deepEqual(toSeqRanges([3, 0, 1, 1, 2, 7, 9, 8]), [
    [0, 4],
    [7, 10],
  ]);
  t.deepEqual(toSeqRanges([5]), [[5, 6]]);
});

test('seq ranges: membership and size agree with the set they came from (random sets)', (t) => {
  const rng = seededRng(7);
  for (let round = 0; round < 50; round++) {
    const held = new Set<number>();
    const top = 1 + Math.floor(rng.next() * 300);
    for (let s = 0; s < top; s++) if (rng.next() < 0.8) held.add(s);
    const ranges = toSeqRanges(held);
    t.true(isCanonicalSeqRanges(ranges));
    t.is(seqRangesSize(ranges), held.size);
    for (let s = -2; s < top + 2; s++) {
      if (inSeqRanges(ranges, s) !== held.has(s)) t.fail(`seq ${s} in round ${round}`);
    }
  }
});

test('seq ranges: canonical means sorted, disjoint, not touching, not empty', (t) => {
  t.true(isCanonicalSeqRanges([]));
  t.true(
    isCanonicalSeqRanges([
      [0, 1],
      [2, 5],
    ]),
  );
  t.false(isCanonicalSeqRanges([[1, 1]]), 'empty');
  t.false(
    isCanonicalSeqRanges([
      [0, 2],
      [2, 3],
    ]),
    'touching',
  );
  t.false(
    isCanonicalSeqRanges([
      [4, 6],
      [0, 2],
    ]),
    'unsorted',
  );
  t.false(isCanonicalSeqRanges([[-1, 2]]), 'negative');
});
