import test from 'ava';
import { PHOTO_ARRIVALS_KEPT, type PhotoArrival, PhotoArrivals } from '../edge-node/mesh/photo-arrivals.ts';
import type { CatalogEntry } from '../shared/feed/feed-layout.ts';
import { ManualClock } from '../shared/ports/clock.ts';

/** A photo of `blocks` blocks starting at `offset`. */
function entry(seq: number, offset: number, blocks: number): CatalogEntry {
  return {
    imageId: `img${seq}`,
    seq,
    blob: { blockOffset: offset, blockLength: blocks, byteOffset: 0, byteLength: blocks * 10 },
    byteLength: blocks * 10,
    sha256: 'x'.repeat(64),
    width: 1,
    height: 1,
    mime: 'image/jpeg',
    registeredAt: 1_000,
  };
}

/** A blobs core's bitfield, and the tracker over it. */
function harness() {
  const clock = new ManualClock(10_000);
  const held = new Set<number>();
  const told: PhotoArrival[] = [];
  const arrivals = new PhotoArrivals({
    clock,
    holds: async ({ blob }) => {
      for (let b = blob.blockOffset; b < blob.blockOffset + blob.blockLength; b++) if (!held.has(b)) return false;
      return true;
    },
    onArrival: (a) => told.push(a),
  });
  const land = async (...blocks: number[]) => {
    for (const b of blocks) {
      held.add(b);
      await arrivals.blockLanded(b);
    }
  };
  return { clock, held, told, arrivals, land };
}

test('a photo arrives when its last block lands, stamped with that moment, once', async (t) => {
  const { clock, told, arrivals, land } = harness();
  await arrivals.track([entry(0, 0, 3), entry(1, 3, 2)]);
  t.is(arrivals.pending, 2);
  clock.advance(500);
  await land(0, 2);
  t.deepEqual(told, []);
  clock.advance(250);
  await land(1);
  t.deepEqual(
    told.map((a) => [a.seq, a.wholeAt]),
    [[0, 10_750]],
  );
  // A block landing again (a duplicate response) stamps nothing more.
  await land(1);
  t.is(told.length, 1);
  clock.advance(100);
  await land(4, 3);
  t.deepEqual(
    arrivals.list(-1, 10).map((a) => [a.seq, a.imageId, a.wholeAt, a.registeredAt]),
    [
      [0, 'img0', 10_750, 1_000],
      [1, 'img1', 10_850, 1_000],
    ],
  );
  t.is(arrivals.pending, 0);
});

test('photos already whole when tracking starts are not arrivals; later entries whose blocks came first are, at once', async (t) => {
  const { clock, held, told, arrivals, land } = harness();
  for (const b of [0, 1]) held.add(b);
  await arrivals.track([entry(0, 0, 2)]);
  t.deepEqual(told, [], 'held before the node watched: no arrival time to tell');
  // The blocks of photo 1 come before its catalog entry.
  await land(2, 3);
  t.deepEqual(told, []);
  clock.advance(40);
  await arrivals.track([entry(0, 0, 2), entry(1, 2, 2), entry(2, 4, 1)]);
  t.deepEqual(
    told.map((a) => [a.seq, a.wholeAt]),
    [[1, 10_040]],
  );
  t.is(arrivals.pending, 1);
});

test('concurrent checks of one photo stamp it once; pages are by seq even when photos arrive out of order', async (t) => {
  const { held, told, arrivals } = harness();
  await arrivals.track([entry(0, 0, 2), entry(1, 2, 2), entry(2, 4, 2)]);
  for (const b of [4, 5]) held.add(b);
  await Promise.all([arrivals.blockLanded(4), arrivals.blockLanded(5)]);
  for (const b of [0, 1, 2, 3]) held.add(b);
  await Promise.all([arrivals.blockLanded(0), arrivals.blockLanded(2)]);
  t.deepEqual(
    told.map((a) => a.seq),
    [2, 0, 1],
  );
  t.deepEqual(
    arrivals.list(-1, 2).map((a) => a.seq),
    [0, 1],
  );
  t.deepEqual(
    arrivals.list(1, 2).map((a) => a.seq),
    [2],
  );
});

test('a block outside every watched photo is ignored; the oldest arrivals are forgotten beyond the bound', async (t) => {
  const { arrivals, land, told } = harness();
  await arrivals.track([]);
  const many = Array.from({ length: PHOTO_ARRIVALS_KEPT + 2 }, (_, i) => entry(i, i, 1));
  await arrivals.track(many);
  await land(PHOTO_ARRIVALS_KEPT + 50);
  t.is(told.length, 0);
  for (let i = 0; i < many.length; i++) await land(i);
  t.is(told.length, PHOTO_ARRIVALS_KEPT + 2);
  const kept = arrivals.list(-1, PHOTO_ARRIVALS_KEPT + 5);
  t.is(kept.length, PHOTO_ARRIVALS_KEPT);
  t.is(kept[0]!.seq, 2);
});
