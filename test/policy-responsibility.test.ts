import test from 'ava';
import fc from 'fast-check';
import { isAppError } from '../shared/errors.ts';
import { seededRng } from '../shared/policy/prng.ts';
import {
  chunkCountFor,
  chunkOf,
  chunkRangeOf,
  ownedChunks,
  ownerOf,
  RESPONSIBILITY_CHUNK_BLOCKS,
  ResponsibilityMap,
} from '../shared/policy/responsibility.ts';

const hexKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));
const membership = (min: number, max: number) => fc.uniqueArray(hexKey, { minLength: min, maxLength: max });
const feedKey = hexKey;

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = seededRng(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test('a chunk is 16 blocks of 64 KiB = 1 MiB', (t) => {
  t.is(RESPONSIBILITY_CHUNK_BLOCKS * 64 * 1024, 1024 * 1024);
  t.deepEqual([chunkOf(0), chunkOf(15), chunkOf(16), chunkOf(47), chunkOf(48)], [0, 0, 1, 2, 3]);
  t.deepEqual([chunkCountFor(0), chunkCountFor(1), chunkCountFor(16), chunkCountFor(17)], [0, 1, 1, 2]);
  // A 5 MB master (77 blocks) at block 10 touches chunks 0..5.
  t.deepEqual(chunkRangeOf(10, 77), { first: 0, endExclusive: 6 });
  t.deepEqual(chunkRangeOf(16, 16), { first: 1, endExclusive: 2 });
  t.deepEqual(chunkRangeOf(16, 0), { first: 1, endExclusive: 1 });
});

test('pinned owners: printers running different builds must agree', (t) => {
  t.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7].map((c) => ownerOf('feed-1', c, ['aa', 'bb', 'cc', 'dd'])),
    ['aa', 'cc', 'cc', 'dd', 'aa', 'bb', 'aa', 'aa'],
  );
});

test('ownership is a partition: every chunk has exactly one owner among the members', (t) => {
  fc.assert(
    fc.property(feedKey, membership(1, 12), fc.integer({ min: 0, max: 300 }), (feed, printers, chunkCount) => {
      const map = new ResponsibilityMap(printers);
      const owners = map.owners(feed, chunkCount);
      const seen = new Array<number>(chunkCount).fill(0);
      for (const p of printers) {
        for (const c of ownedChunks(feed, chunkCount, p, printers)) {
          seen[c]!++;
          if (map.members[owners[c]!] !== p || ownerOf(feed, c, printers) !== p) return false;
        }
      }
      return seen.every((n) => n === 1);
    }),
  );
  t.pass();
});

test('balanced: 10 printers and 10,000 chunks each own 10 % ± 2 %', (t) => {
  fc.assert(
    fc.property(feedKey, membership(10, 10), (feed, printers) => {
      const counts = new Array<number>(10).fill(0);
      const owners = new ResponsibilityMap(printers).owners(feed, 10_000);
      for (const o of owners) counts[o]!++;
      return counts.every((n) => n >= 800 && n <= 1200);
    }),
    { numRuns: 30 },
  );
  t.pass();
});

test('independent of the order and duplicates of the membership list', (t) => {
  fc.assert(
    fc.property(feedKey, membership(1, 20), fc.integer(), (feed, printers, seed) => {
      const other = shuffled([...printers, ...printers.slice(0, 3)], seed);
      for (let c = 0; c < 200; c++) if (ownerOf(feed, c, printers) !== ownerOf(feed, c, other)) return false;
      return true;
    }),
  );
  t.pass();
});

test('minimal disruption: a printer leaving moves only its own chunks', (t) => {
  fc.assert(
    fc.property(feedKey, membership(2, 20), fc.nat(), (feed, printers, pick) => {
      const leaving = printers[pick % printers.length]!;
      const before = new ResponsibilityMap(printers);
      const after = new ResponsibilityMap(printers.filter((p) => p !== leaving));
      for (let c = 0; c < 500; c++) {
        const was = before.ownerOf(feed, c);
        const now = after.ownerOf(feed, c);
        if (was !== leaving && now !== was) return false;
        if (now === leaving) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('minimal disruption: a printer joining takes ~1/(N+1) of the chunks and nothing else moves', (t) => {
  fc.assert(
    fc.property(feedKey, membership(11, 11), (feed, all) => {
      const joining = all[10]!;
      const before = new ResponsibilityMap(all.slice(0, 10));
      const after = new ResponsibilityMap(all);
      let moved = 0;
      for (let c = 0; c < 10_000; c++) {
        const was = before.ownerOf(feed, c);
        const now = after.ownerOf(feed, c);
        if (now !== was) {
          if (now !== joining) return false;
          moved++;
        }
      }
      // Expected 10,000 / 11 ≈ 909 (σ ≈ 29).
      return moved >= 709 && moved <= 1109;
    }),
    { numRuns: 30 },
  );
  t.pass();
});

test('different feeds spread differently, so one printer is not first for every event', (t) => {
  const printers = ['p1', 'p2', 'p3', 'p4', 'p5'];
  const chunk0Owners = new Set<string>();
  for (let e = 0; e < 50; e++) chunk0Owners.add(ownerOf(`event-${e}`, 0, printers));
  t.is(chunk0Owners.size, 5);
});

test('a non-member owns nothing; no members is an error', (t) => {
  t.deepEqual(ownedChunks('feed', 100, 'stranger', ['a', 'b']), []);
  t.deepEqual(ownedChunks('feed', 100, 'a', []), []);
  const map = new ResponsibilityMap(['a']);
  t.false(map.isOwner('feed', 0, 'b'));
  t.deepEqual(map.ownedChunks('feed', 5, 'a'), [0, 1, 2, 3, 4]);
  const err = t.throws(() => ownerOf('feed', 0, []));
  t.true(isAppError(err));
});

test('the memo follows in-place changes of the membership array', (t) => {
  const printers = ['a', 'b', 'c'];
  const ownerWithC = ownerOf('feed', 1, printers);
  printers[printers.indexOf(ownerWithC)] = 'z';
  t.not(ownerOf('feed', 1, printers), ownerWithC);
  t.is(ownerOf('feed', 1, printers), new ResponsibilityMap(printers).ownerOf('feed', 1));
});
