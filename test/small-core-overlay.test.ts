/**
 * The small-core overlay (issue #16): the claims logs and the orders feed replicate between ring
 * neighbours only, not between every pair of printers. The policy's properties (symmetric, bounded
 * degree, connected, stable when a printer joins) and the edge node's guard on real corestores.
 */
import test from 'ava';
import { SMALL_CORE_RING_REACH, smallCoreNeighbours, smallCoreRing } from '../shared/policy/small-core-overlay.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { followedCore, guardedVenue, peerKeys } from './fixtures/guarded-venue.ts';

const keys = (n: number, prefix = 'p') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i.toString().padStart(3, '0')}`);

/** Printers reachable from `from` over the overlay's links for this core, skipping `down`. */
function reachable(core: string, printers: string[], from: string, down: ReadonlySet<string> = new Set()): Set<string> {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of smallCoreNeighbours(core, printers, at)) {
      if (down.has(next) || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}

test('the ring is the same whatever order the membership comes in, and differs per core', (t) => {
  const printers = keys(12);
  const ring = smallCoreRing('core-a', printers);
  t.deepEqual(smallCoreRing('core-a', [...printers].reverse()), ring);
  t.deepEqual(smallCoreRing('core-a', [...printers, ...printers]), ring, 'repeats count once');
  t.deepEqual([...ring].sort(), printers);
  t.notDeepEqual(smallCoreRing('core-b', printers), ring, 'another core, another ring: no printer is every log’s hub');
});

test('links are symmetric; every printer has 2 × reach of them in a large venue, everyone in a small one', (t) => {
  for (const n of [1, 2, 5, 6, 11, 40]) {
    const printers = keys(n);
    for (const core of ['claims-1', 'claims-2', 'orders']) {
      for (const p of printers) {
        const mine = smallCoreNeighbours(core, printers, p);
        t.false(mine.has(p), 'not its own neighbour');
        t.is(mine.size, n <= 2 * SMALL_CORE_RING_REACH + 1 ? n - 1 : 2 * SMALL_CORE_RING_REACH, `${n} printers`);
        for (const q of mine) t.true(smallCoreNeighbours(core, printers, q).has(p), `${q} links back to ${p}`);
      }
    }
  }
});

test('every printer reaches every other, also with any one printer down', (t) => {
  const printers = keys(25);
  for (const core of ['claims-1', 'orders']) {
    t.is(reachable(core, printers, printers[0]!).size, printers.length);
    for (const down of printers) {
      const from = printers.find((p) => p !== down)!;
      t.is(reachable(core, printers, from, new Set([down])).size, printers.length - 1, `${down} down`);
    }
  }
});

test('a printer joining adds its own links and never a new one between printers already there', (t) => {
  const before = keys(20);
  const after = [...before, 'newcomer'];
  for (const core of ['claims-1', 'claims-2', 'orders']) {
    for (const p of before) {
      const was = smallCoreNeighbours(core, before, p);
      for (const q of smallCoreNeighbours(core, after, p))
        if (q !== 'newcomer') t.true(was.has(q), `${p}–${q} is not new`);
    }
  }
});

test('a printer not on the ring yet replicates with everyone rather than cut itself off', (t) => {
  const printers = keys(10);
  t.is(smallCoreNeighbours('orders', printers, 'stranger').size, printers.length);
});

test('on real corestores a registered core replicates with ring neighbours only, and still reaches every printer', async (t) => {
  t.timeout(60_000);
  const printers = await guardedVenue(t, 8);
  const small = await followedCore(printers, 'small-core');
  const large = await followedCore(printers, null);
  for (let i = 0; i < 20; i++) {
    await small[0]!.append(Buffer.from(`record ${i}`));
    await large[0]!.append(Buffer.from(`block ${i}`));
  }
  t.true(
    await waitFor(async () => [...small, ...large].every((c) => c.contiguousLength === 20), 30_000, 50),
    'every printer holds every record',
  );
  const expected = smallCoreNeighbours(
    small[0]!.key.toString('hex'),
    printers.map((p) => p.id),
    printers[0]!.id,
  );
  t.is(expected.size, 2 * SMALL_CORE_RING_REACH);
  printers.forEach((p, i) => {
    const neighbours = smallCoreNeighbours(
      small[0]!.key.toString('hex'),
      printers.map((q) => q.id),
      p.id,
    );
    const remotes = peerKeys(small[i]!);
    t.true(
      remotes.length > 0 && remotes.every((r) => neighbours.has(r)),
      `printer ${i}: the small core with neighbours only`,
    );
    t.is(large[i]!.peers.length, printers.length - 1, `printer ${i} replicates the unregistered core with everyone`);
  });
  t.true(
    printers.every((p) => p.overlay.refusedChannels > 0),
    'every printer declined some channels',
  );
  // A record written now travels over the ring only.
  await small[0]!.append(Buffer.from('late record'));
  t.true(await waitFor(async () => small.every((c) => c.contiguousLength === 21), 30_000, 50));
  t.is((await small[printers.length - 1]!.get(20))!.toString(), 'late record');
});
