/**
 * Which printers replicate a small, venue-wide core with which (issue #16): the claims logs (one per
 * printer, a record or two per order redeemed) and the orders feed (a few blocks per order).
 *
 * Why: Hypercore gossips every new block to every peer that has the core open. In a full mesh of N
 * printers each append of a tiny record costs every printer a `sync` and a `range` message from each
 * of its N − 1 peers, and a storage look-up per peer behind: the venue pays O(N²) per order redeemed
 * anywhere. bench:mesh measured ~18 ms of CPU per order on each of ten watching printers, in bursts
 * that took both cores of a small box (BENCHMARKS.md, 8th session); bench:fanout measured the
 * storage reads per append per follower growing 4.8 → 12 → 20 for 3 → 6 → 11 printers.
 *
 * How: each small core gets its own ring of the venue's printers, ordered by hash(core, printer);
 * a printer replicates the core only with the printers within SMALL_CORE_RING_REACH places of it on
 * that ring, on either side. That bounds each printer's peers per small core at 2 × reach whatever the
 * venue's size. A ring with reach 2 survives any one printer down and, being a circle, splits only
 * when two printers in a row are down in two places at once; a record crosses it in at most
 * ⌈(N − 1) / (2 × reach)⌉ LAN hops, a few ms each. Rings differ per core, so no printer is a hub for every log.
 * Every printer computes the same rings from the same membership with no coordination (the venue's
 * paired printers, from the coordinator's profile). Photos (large cores) have their own overlay with
 * more peers (photo-overlay.ts): there every peer is a source of bandwidth.
 * Pure; the edge node applies it to its LAN connections (edge-node/mesh/lan-overlay.ts).
 */
import { combine32, hashString32 } from './hash32.ts';

/** Each printer replicates a small core with this many ring neighbours on either side. */
export const SMALL_CORE_RING_REACH = 2;

/** The venue's printers in this core's ring order. `printers` may come in any order and may repeat. */
export function smallCoreRing(coreId: string, printers: Iterable<string>): string[] {
  const core = hashString32(coreId);
  const unique = [...new Set(printers)];
  const weight = new Map(unique.map((p) => [p, combine32(core, hashString32(p))]));
  // Ties (a 32-bit collision) fall back to the key, so every printer still sorts the same way.
  return unique.sort((a, b) => weight.get(a)! - weight.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The printers `self` replicates this core with: every other printer when the venue is small enough
 * that the ring reaches everyone, otherwise its ring neighbours. Symmetric: b is in a's set iff a is
 * in b's. A `self` not among `printers` gets the whole venue (it is not on the ring yet, so nobody
 * would count it as a neighbour: it must not cut itself off).
 */
export function smallCoreNeighbours(
  coreId: string,
  printers: Iterable<string>,
  self: string,
  reach = SMALL_CORE_RING_REACH,
): Set<string> {
  const ring = smallCoreRing(coreId, printers);
  const at = ring.indexOf(self);
  if (at === -1 || ring.length <= 2 * reach + 1) return new Set(ring.filter((p) => p !== self));
  const out = new Set<string>();
  for (let step = 1; step <= reach; step++) {
    out.add(ring[(at + step) % ring.length]!);
    out.add(ring[(at - step + ring.length) % ring.length]!);
  }
  return out;
}
