import test from 'ava';
import fc from 'fast-check';
import { backgroundOrder, RANDOM_FIRST_IMAGES } from '../shared/policy/fetch-order.ts';
import { seededRng } from '../shared/policy/prng.ts';

const candidatesArb = fc
  .array(fc.integer({ min: 0, max: 12 }), { maxLength: 300 })
  .map((holders) => holders.map((h, i) => ({ seq: i * 3 + 1, holders: h })));

function holdersOf(candidates: ReadonlyArray<{ seq: number; holders: number }>): Map<number, number> {
  return new Map(candidates.map((c) => [c.seq, c.holders]));
}

test('the order is a permutation of the candidates', (t) => {
  fc.assert(
    fc.property(candidatesArb, fc.integer({ min: 0, max: 10 }), fc.integer(), (candidates, held, seed) => {
      const order = backgroundOrder({ candidates, held, rng: seededRng(seed) });
      const expected = candidates.map((c) => c.seq).sort((a, b) => a - b);
      return JSON.stringify(order.slice().sort((a, b) => a - b)) === JSON.stringify(expected);
    }),
  );
  t.pass();
});

test('rarest-first after the random phase', (t) => {
  fc.assert(
    fc.property(
      candidatesArb,
      fc.integer({ min: 0, max: 10 }),
      fc.integer({ min: 0, max: 8 }),
      fc.integer(),
      (candidates, held, randomFirstCount, seed) => {
        const holders = holdersOf(candidates);
        const order = backgroundOrder({ candidates, held, rng: seededRng(seed), randomFirstCount });
        const randomCount = Math.min(order.length, Math.max(0, randomFirstCount - held));
        for (let k = randomCount + 1; k < order.length; k++) {
          if (holders.get(order[k - 1]!)! > holders.get(order[k]!)!) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});

test('deterministic for a seed, different across seeds', (t) => {
  fc.assert(
    fc.property(candidatesArb, fc.integer({ min: 0, max: 6 }), fc.integer(), (candidates, held, seed) => {
      const a = backgroundOrder({ candidates, held, rng: seededRng(seed) });
      const b = backgroundOrder({ candidates, held, rng: seededRng(seed) });
      return JSON.stringify(a) === JSON.stringify(b);
    }),
  );
  const candidates = Array.from({ length: 50 }, (_, i) => ({ seq: i, holders: 1 }));
  t.notDeepEqual(
    backgroundOrder({ candidates, held: 10, rng: seededRng(1) }),
    backgroundOrder({ candidates, held: 10, rng: seededRng(2) }),
  );
});

test('a fresh printer picks its first images at random, not the rarest', (t) => {
  // One image nobody holds among 99 that five peers hold.
  const candidates = Array.from({ length: 100 }, (_, i) => ({ seq: i, holders: i === 42 ? 0 : 5 }));
  let rareFirstWhenFresh = 0;
  const firstPicks = new Set<number>();
  for (let seed = 0; seed < 1000; seed++) {
    const order = backgroundOrder({ candidates, held: 0, rng: seededRng(seed) });
    if (order[0] === 42) rareFirstWhenFresh++;
    firstPicks.add(order[0]!);
    // Once the random picks are done, the rare one comes first among the rest.
    const rest = order.slice(RANDOM_FIRST_IMAGES);
    if (!order.slice(0, RANDOM_FIRST_IMAGES).includes(42)) t.is(rest[0], 42);
  }
  t.true(rareFirstWhenFresh < 40, `rare image first in ${rareFirstWhenFresh} of 1000 fresh starts`); // ~10 expected
  t.true(firstPicks.size > 80);
  for (let seed = 0; seed < 50; seed++) {
    t.is(backgroundOrder({ candidates, held: RANDOM_FIRST_IMAGES, rng: seededRng(seed) })[0], 42);
  }
});

test('ties among equally rare images are broken randomly', (t) => {
  const candidates = Array.from({ length: 20 }, (_, i) => ({ seq: i, holders: i < 10 ? 1 : 2 }));
  const firsts = new Set<number>();
  for (let seed = 0; seed < 200; seed++) {
    const order = backgroundOrder({ candidates, held: 100, rng: seededRng(seed) });
    firsts.add(order[0]!);
    t.true(order.slice(0, 10).every((s) => s < 10));
  }
  t.is(firsts.size, 10);
});

test('huge holder counts fall back to a comparison sort with the same result shape', (t) => {
  const candidates = [
    { seq: 1, holders: 2_000_000_000 },
    { seq: 2, holders: 7 },
    { seq: 3, holders: 1_000_000 },
    { seq: 4, holders: 7 },
    { seq: 5, holders: 0 },
  ];
  const order = backgroundOrder({ candidates, held: 10, rng: seededRng(9) });
  t.is(order[0], 5);
  t.deepEqual(order.slice(1, 3).sort(), [2, 4]);
  t.deepEqual(order.slice(3), [3, 1]);
});

test('edge cases: nothing to fetch, fewer candidates than random picks, bad holder counts', (t) => {
  t.deepEqual(backgroundOrder({ candidates: [], held: 0, rng: seededRng(1) }), []);
  const two = [
    { seq: 7, holders: 3 },
    { seq: 8, holders: 0 },
  ];
  t.deepEqual(backgroundOrder({ candidates: two, held: 0, rng: seededRng(1) }).sort(), [7, 8]);
  t.throws(() => backgroundOrder({ candidates: [{ seq: 1, holders: -1 }], held: 9, rng: seededRng(1) }), {
    instanceOf: RangeError,
  });
  t.throws(() => backgroundOrder({ candidates: [{ seq: 1, holders: 0.5 }], held: 9, rng: seededRng(1) }), {
    instanceOf: RangeError,
  });
});
