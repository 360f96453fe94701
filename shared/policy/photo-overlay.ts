/**
 * Which printers replicate an event's photos (its blobs core) with which, at a large venue (issue #16).
 *
 * Why: Hypercore announces every block a printer gets to every peer that has the core open and
 * lacks it, so in a full mesh each block costs each printer about two messages per peer.
 * `npm run bench:photo-fanout` measured the CPU per MB a printer receives flat from 3 to 11 printers
 * (34–30 ms) and then growing with every further peer: 43 ms at 21 printers, 70 ms at 41, on the
 * way to hundreds at a stadium's 500 (BENCHMARKS.md, "what a photo's blocks cost every printer").
 *
 * How: the venue's printers are put on PHOTO_OVERLAY_RINGS rings, each in its own hashed order per
 * core (smallCoreRing with the ring's number in the name); a printer replicates the photos with its
 * two neighbours on every ring. So each printer has at most 2 × PHOTO_OVERLAY_RINGS photo peers
 * whatever the venue's size: the 10 that measured cheapest. Every printer still fetches every photo,
 * so a block relays hop by hop: the union of a few random rings is an expander, which takes a block
 * across 500 printers in at most 5 hops, about 3 on average (test/photo-overlay.test.ts), each a LAN round trip. Each ring
 * alone is a circle through every printer, so the overlay stays connected with any one printer down,
 * and with many down at random. Venues of 2 × PHOTO_OVERLAY_RINGS + 1 printers or fewer keep the
 * full mesh, unchanged. Every printer computes the same rings from the same membership (the venue's
 * paired printers) with no coordination.
 *
 * Small cores (claims logs, orders feed) use one ring with a wider reach instead
 * (small-core-overlay.ts): there a record's latency matters, not a peer's bandwidth.
 * Pure; the edge node applies it to its LAN connections (edge-node/mesh/lan-overlay.ts).
 */
import { combine32, hashString32 } from './hash32.ts';
import { smallCoreRing } from './small-core-overlay.ts';

/** Rings per photo core: each printer replicates an event's photos with at most twice this many peers. */
export const PHOTO_OVERLAY_RINGS = 5;
/** The most rings a venue may configure (128 peers: venues up to 129 printers stay on the full mesh). */
export const MAX_PHOTO_OVERLAY_RINGS = 64;

/** Whether a venue of this many printers keeps the photos on the full mesh (every printer a neighbour). */
export function photosOnFullMesh(printers: number, rings = PHOTO_OVERLAY_RINGS): boolean {
  return printers <= 2 * rings + 1;
}

/**
 * Every printer's photo peers for this core: every other printer when the venue has no more than
 * 2 × rings + 1, otherwise its two neighbours on each ring. Symmetric: b is in a's set iff a is in
 * b's. `printers` may come in any order and may repeat.
 */
export function photoOverlay(
  coreId: string,
  printers: Iterable<string>,
  rings = PHOTO_OVERLAY_RINGS,
): Map<string, Set<string>> {
  const members = [...new Set(printers)];
  const links = new Map(members.map((p) => [p, new Set<string>()]));
  if (photosOnFullMesh(members.length, rings)) {
    for (const [p, mine] of links) for (const q of members) if (q !== p) mine.add(q);
    return links;
  }
  for (let ring = 0; ring < rings; ring++) {
    const order = smallCoreRing(`${coreId}/photo-ring-${ring}`, members);
    order.forEach((p, at) => {
      const next = order[(at + 1) % order.length]!;
      links.get(p)!.add(next);
      links.get(next)!.add(p);
    });
  }
  return links;
}

/**
 * The printers `self` replicates this photo core with (photoOverlay). A `self` not among `printers`
 * gets the whole venue: nobody counts it as a neighbour yet, and it must not cut itself off.
 */
export function photoCoreNeighbours(
  coreId: string,
  printers: Iterable<string>,
  self: string,
  rings = PHOTO_OVERLAY_RINGS,
): Set<string> {
  const members = [...new Set(printers)];
  const mine = members.includes(self) ? photoOverlay(coreId, members, rings).get(self) : undefined;
  return mine ?? new Set(members.filter((p) => p !== self));
}

/** A fan's photo that no photo peer holds is asked of at most this many other holders at once. */
export const PHOTO_DETOUR_HOLDERS = 2;

/**
 * Whom a printer asks for a detour: a link outside the overlay, for one fan's photo, for as long as
 * that fetch lasts (edge-node/mesh/photo-detours.ts). On the overlay a photo reaches a printer hop by
 * hop only while the printers on the way fetch in the background; while the sync windows are
 * closed, or while it is still a few hops away, a fan's photo held elsewhere in the venue would come
 * from the cloud. So: none when a photo peer holds it (it is served on the overlay); otherwise up
 * to `max` of the connected printers that hold it, ranked by a hash of (`spread`, holder): with the
 * asker and the photo in `spread`, the askers of a popular photo spread over its holders instead
 * of all asking the first to announce it. Pure.
 */
export function photoDetourTargets(
  holders: readonly string[],
  isPhotoPeer: (key: string) => boolean,
  isConnected: (key: string) => boolean,
  spread: string,
  max = PHOTO_DETOUR_HOLDERS,
): string[] {
  if (holders.some(isPhotoPeer)) return [];
  const salt = hashString32(spread);
  return holders
    .filter(isConnected)
    .map((key) => ({ key, rank: combine32(salt, hashString32(key)) }))
    .sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : 1))
    .slice(0, max)
    .map(({ key }) => key);
}
