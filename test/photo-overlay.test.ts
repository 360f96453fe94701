/**
 * The photo overlay (issue #16): at a venue of more than 2 × PHOTO_OVERLAY_RINGS + 1 printers an
 * event's photos replicate between overlay neighbours only, and relay hop by hop to every printer.
 * The policy's properties (symmetric, bounded degree, few hops, connected with printers down, stable
 * when a printer joins) and the edge node's guard on real corestores.
 */
import test from 'ava';
import crypto from 'hypercore-crypto';
import { LanOverlay } from '../edge-node/mesh/lan-overlay.ts';
import { PHOTO_OVERLAY_RINGS, photoCoreNeighbours, photoOverlay } from '../shared/policy/photo-overlay.ts';
import { seededRng } from '../shared/policy/prng.ts';
import { smallCoreNeighbours } from '../shared/policy/small-core-overlay.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { followedCore, guardedVenue, peerKeys } from './fixtures/guarded-venue.ts';

const keys = (n: number) => Array.from({ length: n }, (_, i) => `printer-${i.toString().padStart(4, '0')}`);

/** Hops from `from` to every printer it reaches over the links, skipping `down`. */
function hops(
  links: ReadonlyMap<string, ReadonlySet<string>>,
  from: string,
  down: ReadonlySet<string> = new Set(),
): Map<string, number> {
  const seen = new Map([[from, 0]]);
  const queue = [from];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of links.get(at)!) {
      if (down.has(next) || seen.has(next)) continue;
      seen.set(next, seen.get(at)! + 1);
      queue.push(next);
    }
  }
  return seen;
}

test('links are symmetric and at most 2 × rings per printer; a venue of 2 × rings + 1 or fewer keeps the full mesh', (t) => {
  for (const n of [1, 2, 6, 2 * PHOTO_OVERLAY_RINGS + 1, 2 * PHOTO_OVERLAY_RINGS + 2, 41, 300]) {
    const printers = keys(n);
    const links = photoOverlay('blobs-a', printers);
    t.deepEqual([...links.keys()].sort(), printers);
    for (const [p, mine] of links) {
      t.false(mine.has(p), 'not its own neighbour');
      if (n <= 2 * PHOTO_OVERLAY_RINGS + 1) t.is(mine.size, n - 1, `${n} printers: everyone`);
      else t.true(mine.size >= 2 && mine.size <= 2 * PHOTO_OVERLAY_RINGS, `${n} printers: ${mine.size} peers`);
      for (const q of mine) t.true(links.get(q)!.has(p), `${q} links back to ${p}`);
      t.deepEqual(photoCoreNeighbours('blobs-a', printers, p), mine, 'one printer computes its own part the same');
    }
  }
});

test('the overlay is the same whatever order the membership comes in, and differs per event', (t) => {
  const printers = keys(60);
  const links = photoOverlay('blobs-a', printers);
  const shuffled = photoOverlay('blobs-a', [...printers].reverse().concat(printers));
  for (const p of printers) t.deepEqual([...shuffled.get(p)!].sort(), [...links.get(p)!].sort());
  const other = photoOverlay('blobs-b', printers);
  t.true(
    printers.some((p) => [...links.get(p)!].sort().join() !== [...other.get(p)!].sort().join()),
    'another event, other links: no printer is every event’s hub',
  );
});

test('a block crosses a stadium of 500 printers in at most 5 hops, 3 on average', (t) => {
  const printers = keys(500);
  const links = photoOverlay('blobs-a', printers);
  let farthest = 0;
  let total = 0;
  for (const p of printers) {
    const from = hops(links, p);
    t.is(from.size, printers.length, `${p} reaches everyone`);
    for (const h of from.values()) {
      farthest = Math.max(farthest, h);
      total += h;
    }
  }
  const mean = total / (printers.length * printers.length);
  t.log(`farthest ${farthest} hops, mean ${mean.toFixed(2)}`);
  t.true(farthest <= 5, `farthest ${farthest}`);
  t.true(mean <= 3.1, `mean ${mean}`);
});

test('every printer reaches every other with any one printer down, and with a tenth of a stadium down at random', (t) => {
  const venue = keys(30);
  const links = photoOverlay('blobs-a', venue);
  for (const down of venue) {
    const from = venue.find((p) => p !== down)!;
    t.is(hops(links, from, new Set([down])).size, venue.length - 1, `${down} down`);
  }
  const stadium = keys(500);
  const big = photoOverlay('blobs-a', stadium);
  const rng = seededRng('photo-overlay-down');
  for (let trial = 0; trial < 5; trial++) {
    const down = new Set<string>();
    while (down.size < 50) down.add(stadium[rng.int(stadium.length)]!);
    const from = stadium.find((p) => !down.has(p))!;
    t.is(hops(big, from, down).size, stadium.length - down.size, `trial ${trial}`);
  }
});

test('a printer joining adds its own links and never a new one between printers already there', (t) => {
  const before = keys(40);
  const was = photoOverlay('blobs-a', before);
  const now = photoOverlay('blobs-a', [...before, 'newcomer']);
  for (const p of before) for (const q of now.get(p)!) if (q !== 'newcomer') t.true(was.get(p)!.has(q), `${p}–${q}`);
  t.true(now.get('newcomer')!.size >= 2);
});

test('a printer not in the membership yet replicates the photos with everyone rather than cut itself off', (t) => {
  t.is(photoCoreNeighbours('blobs-a', keys(40), 'stranger').size, 40);
});

test('on real corestores the photos replicate with overlay neighbours only and relay to every printer', async (t) => {
  t.timeout(90_000);
  const rings = 2;
  const printers = await guardedVenue(t, 12, { photoRings: rings });
  const cores = await followedCore(printers, 'photos');
  const ids = printers.map((p) => p.id);
  const coreId = cores[0]!.key.toString('hex');
  const BLOCKS = 40;
  for (let i = 0; i < BLOCKS; i++) await cores[0]!.append(Buffer.alloc(16 * 1024, i));
  t.true(
    await waitFor(async () => cores.every((c) => c.contiguousLength === BLOCKS), 60_000, 50),
    'every printer holds every block',
  );
  const writersPeers = photoCoreNeighbours(coreId, ids, ids[0]!, rings);
  const relayed = cores.filter((_, i) => i > 0 && !writersPeers.has(ids[i]!));
  t.true(relayed.length > 0, 'some printers are no neighbour of the writer');
  t.true(
    relayed.every((c) => c.contiguousLength === BLOCKS && !peerKeys(c).includes(ids[0]!)),
    'they hold every block without replicating with the writer: relayed',
  );
  printers.forEach((p, i) => {
    const neighbours = photoCoreNeighbours(coreId, ids, p.id, rings);
    const remotes = peerKeys(cores[i]!);
    t.true(
      remotes.length > 0 && remotes.every((r) => neighbours.has(r)),
      `printer ${i}: photos with its ${neighbours.size} neighbours only (${remotes.length} peers)`,
    );
    t.true(p.overlay.refused('photos') > 0, `printer ${i} declined photo channels`);
    t.is(p.overlay.refused('small-core'), 0, 'no small core here');
  });
  for (const [i, core] of cores.entries())
    t.deepEqual(await core.get(BLOCKS - 1), Buffer.alloc(16 * 1024, BLOCKS - 1), `printer ${i} holds the last block`);
});

test('a membership change names exactly the links it opens and closes, for the connections already up', (t) => {
  const photos = Buffer.alloc(32, 1);
  const claims = Buffer.alloc(32, 2);
  const venue = keys(30);
  const self = venue[0]!;
  const overlay = new LanOverlay(self);
  overlay.register(photos, 'photos');
  overlay.register(claims);
  const photoDk = crypto.discoveryKey(photos).toString('hex');
  const claimsDk = crypto.discoveryKey(claims).toString('hex');
  t.deepEqual(overlay.setPrinters(venue), [], 'the first membership changes nothing on live connections');
  t.deepEqual(overlay.setPrinters(venue), [], 'nor does the same one again');
  const expected = (before: string[], after: string[]) => {
    const out: string[] = [];
    const stayed = after.filter((k) => k !== self && before.includes(k));
    const neighbours = (core: Buffer, members: string[]) =>
      core === photos
        ? photoCoreNeighbours(core.toString('hex'), members, self)
        : smallCoreNeighbours(core.toString('hex'), members, self);
    for (const [core, dk] of [
      [photos, photoDk],
      [claims, claimsDk],
    ] as const) {
      const was = neighbours(core, before);
      const now = neighbours(core, after);
      for (const r of stayed) if (was.has(r) !== now.has(r)) out.push(`${dk}/${r}/${now.has(r)}`);
    }
    return out.sort();
  };
  const seen = (changes: Array<{ remote: string; discoveryKey: string; open: boolean }>) =>
    changes.map((c) => `${c.discoveryKey}/${c.remote}/${c.open}`).sort();
  // Someone joins: it comes between two printers on some ring; only links among those who stay count.
  const joined = [...venue, 'newcomer'];
  const onJoin = seen(overlay.setPrinters(joined));
  t.deepEqual(onJoin, expected(venue, joined));
  t.true(
    onJoin.every((c) => c.endsWith('/false')),
    'a newcomer only closes links between others',
  );
  // One of this printer's photo neighbours leaves, whose place on a ring a printer not yet linked takes.
  const without = (p: string) => joined.filter((q) => q !== p);
  const leaver = [...photoCoreNeighbours(photos.toString('hex'), joined, self)].find((p) =>
    expected(joined, without(p)).some((c) => c.startsWith(photoDk) && c.endsWith('/true')),
  );
  if (leaver === undefined) return t.fail('no neighbour whose leaving opens a photo link: pick other keys');
  const rest = without(leaver);
  const onLeave = seen(overlay.setPrinters(rest));
  t.deepEqual(onLeave, expected(joined, rest));
  t.true(
    onLeave.some((c) => c.startsWith(photoDk) && c.endsWith('/true')),
    'the leaver’s place is taken by a new photo link',
  );
  t.false(
    onLeave.some((c) => c.includes(`/${leaver}/`)),
    'nothing about the leaver: its connection is dropped anyway',
  );
  overlay.unregister(photos);
  t.true(
    seen(overlay.setPrinters(venue)).every((c) => c.startsWith(claimsDk)),
    'an unregistered core is not changed again',
  );
});
