/**
 * The order in which background sync fetches IMAGES (the unit a fan buys; an image's blocks are
 * then fetched together, its block ranges known from the catalog).
 *
 * Why random-first, then rarest-first (BitTorrent's piece picker, also Kraken's):
 *  - Rarest-first: the images the fewest LAN peers hold are the ones the venue could lose access to
 *    (their holders may go offline) and the ones that, once held, add the most to what the LAN can
 *    serve. Fetching common images first would only duplicate what is already one hop away.
 *  - Random-first: a printer that has just started knows little about who holds what; if every
 *    freshly started printer ran rarest-first on the same stale view they would all request the same
 *    image at the same time. The first few picks are therefore uniformly random, which also gives
 *    the printer something to serve quickly.
 *  - Ties among equally rare images are broken randomly so printers with the same view still spread
 *    out. The rng is a parameter (prng.ts): the same seed gives the same order, in the simulator and
 *    in tests.
 *
 * Cost: one Fisher–Yates shuffle (used for both the random picks and the tie-breaks) plus a stable
 * counting sort by holder count, O(n + maxHolders); a comparison sort, O(n log n), takes over when
 * holder counts are too large for counting.
 */
import type { Rng } from './prng.ts';

/** Picks made at random while the printer holds fewer images than this. */
export const RANDOM_FIRST_IMAGES = 4;
/** Counting sort is used while the largest holder count is at most this many times the candidates. */
const COUNTING_SORT_MAX_RATIO = 4;
const COUNTING_SORT_MIN_RANGE = 1024;

export interface BackgroundCandidate {
  seq: number;
  /** LAN peers known to hold the whole image. */
  holders: number;
}

export interface BackgroundOrderInput {
  candidates: ReadonlyArray<BackgroundCandidate>;
  /** Images this node already holds. */
  held: number;
  rng: Rng;
  randomFirstCount?: number;
}

/** Candidate seqs in fetch order: a permutation of `candidates`. */
export function backgroundOrder(input: BackgroundOrderInput): number[] {
  const { candidates, rng } = input;
  const n = candidates.length;
  const randomFirst = input.randomFirstCount ?? RANDOM_FIRST_IMAGES;
  const randomCount = Math.min(n, Math.max(0, randomFirst - input.held));

  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }

  const out = new Array<number>(n);
  for (let k = 0; k < randomCount; k++) out[k] = candidates[order[k]!]!.seq;

  let maxHolders = 0;
  for (let k = randomCount; k < n; k++) {
    const h = candidates[order[k]!]!.holders;
    if (!(Number.isInteger(h) && h >= 0)) throw new RangeError(`holders must be a whole number ≥ 0, got ${h}`);
    if (h > maxHolders) maxHolders = h;
  }

  const rest = n - randomCount;
  if (maxHolders <= Math.max(COUNTING_SORT_MIN_RANGE, COUNTING_SORT_MAX_RATIO * rest)) {
    // Stable counting sort: equal holder counts keep their shuffled (random) relative order.
    const starts = new Uint32Array(maxHolders + 2);
    for (let k = randomCount; k < n; k++) starts[candidates[order[k]!]!.holders + 1]!++;
    for (let h = 1; h <= maxHolders + 1; h++) starts[h]! += starts[h - 1]!;
    for (let k = randomCount; k < n; k++) {
      const c = candidates[order[k]!]!;
      out[randomCount + starts[c.holders]!++] = c.seq;
    }
  } else {
    const tail = Array.from(order.subarray(randomCount));
    tail.sort((a, b) => candidates[a]!.holders - candidates[b]!.holders); // stable since ES2019
    for (let k = 0; k < rest; k++) out[randomCount + k] = candidates[tail[k]!]!.seq;
  }
  return out;
}
