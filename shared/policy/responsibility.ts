/**
 * Cooperative cloud pulls: which online printer fetches which part of an event's feed from the cloud,
 * so the venue's WAN carries each block about once and the printers then share it over the LAN.
 *
 * Why: the WAN uplink is the one structural bottleneck (Kumar–Ross: adding printers does not raise
 * the bound, see sim/model/bound.ts). Systems that keep a site's WAN bytes near 1× unique bytes all partition
 * responsibility: BranchCache / Delivery Optimization hash-partition content so a site holds each
 * block once, Kraken deduplicates concurrent origin fetches of the same blob, Dragonfly sends one
 * seed peer back to source, and Syncthing has each device fetch its own slice of a file first.
 *
 * How: rendezvous (highest-random-weight) hashing. Every printer scores every chunk with
 * hash(feed, chunk, printer) and the highest score owns it. Each printer computes the same answer
 * from the same membership with no coordination, the answer does not depend on list order, and when
 * a printer leaves only its own chunks move (to their second-highest scorer); when one joins it
 * takes ~1/(N+1) of the chunks from the others and nothing else moves. A consistent-hash ring gives
 * the same property but needs virtual nodes to balance; HRW balances with none.
 *
 * Granularity: a chunk is RESPONSIBILITY_CHUNK_BLOCKS consecutive blocks of the feed's blobs core
 * (16 × 64 KiB = 1 MiB), so a large print master spreads its cloud pull over several printers while a
 * typical small one is pulled by one or two. Chunks follow the core's global block index, so an
 * image that straddles a chunk boundary has two owners; that costs nothing but a second requester.
 *
 * The weights use a fast 32-bit hash (hash32.ts), not sha256: the simulator evaluates this for
 * 500 printers × tens of thousands of chunks.
 */
import { AppError } from '../errors.ts';
import { combine32, fmix32, hashString32 } from './hash32.ts';

export const RESPONSIBILITY_CHUNK_BLOCKS = 16;
/** Feed-key hashes memoised per map; a venue has a handful of events, this only bounds a leak. */
const MAX_MEMOISED_FEEDS = 4096;

export function chunkOf(blockIndex: number): number {
  return Math.floor(blockIndex / RESPONSIBILITY_CHUNK_BLOCKS);
}

/** Chunks needed to cover `blockCount` blocks (the feed length). */
export function chunkCountFor(blockCount: number): number {
  return Math.ceil(blockCount / RESPONSIBILITY_CHUNK_BLOCKS);
}

/** The chunks an image's block range touches: [first, endExclusive). */
export function chunkRangeOf(blockOffset: number, blockLength: number): { first: number; endExclusive: number } {
  if (blockLength <= 0) return { first: chunkOf(blockOffset), endExclusive: chunkOf(blockOffset) };
  return { first: chunkOf(blockOffset), endExclusive: chunkOf(blockOffset + blockLength - 1) + 1 };
}

/**
 * Responsibility for one membership (the printers currently online, self included). Build one per
 * membership change and reuse it: per-printer hash seeds are computed once, so a lookup is N
 * integer mixes and no allocation.
 */
export class ResponsibilityMap {
  /** Distinct members, sorted: a member's index is independent of the order it was given in. */
  readonly members: readonly string[];
  readonly #seeds: Uint32Array;
  readonly #indexByKey: Map<string, number>;
  readonly #feedHashes = new Map<string, number>();

  constructor(printers: Iterable<string>) {
    this.members = [...new Set(printers)].sort();
    this.#seeds = new Uint32Array(this.members.length);
    this.#indexByKey = new Map();
    this.members.forEach((key, i) => {
      this.#seeds[i] = hashString32(key);
      this.#indexByKey.set(key, i);
    });
  }

  get size(): number {
    return this.members.length;
  }

  has(printer: string): boolean {
    return this.#indexByKey.has(printer);
  }

  /** Index into `members` of the chunk's owner. */
  ownerIndex(feedKey: string, chunk: number): number {
    const n = this.#seeds.length;
    if (n === 0) {
      throw new AppError('no_online_printers', 'responsibility needs at least one online printer (self)');
    }
    const chunkKey = this.#chunkKey(feedKey, chunk);
    let best = 0;
    let bestWeight = fmix32(chunkKey ^ this.#seeds[0]!);
    for (let i = 1; i < n; i++) {
      const w = fmix32(chunkKey ^ this.#seeds[i]!);
      // Strictly greater: on an (unlikely) tie the lower index, i.e. the smaller key, keeps it.
      if (w > bestWeight) {
        bestWeight = w;
        best = i;
      }
    }
    return best;
  }

  ownerOf(feedKey: string, chunk: number): string {
    return this.members[this.ownerIndex(feedKey, chunk)]!;
  }

  /** Whether `self` owns the chunk; stops at the first member that outscores it. */
  isOwner(feedKey: string, chunk: number, self: string): boolean {
    const me = this.#indexByKey.get(self);
    if (me === undefined) return false;
    const chunkKey = this.#chunkKey(feedKey, chunk);
    const mine = fmix32(chunkKey ^ this.#seeds[me]!);
    for (let i = 0; i < this.#seeds.length; i++) {
      if (i === me) continue;
      const w = fmix32(chunkKey ^ this.#seeds[i]!);
      if (w > mine || (w === mine && i < me)) return false;
    }
    return true;
  }

  /** Chunks in [0, chunkCount) that `self` pulls from the cloud, ascending; [] when self is not a member. */
  ownedChunks(feedKey: string, chunkCount: number, self: string): number[] {
    const owned: number[] = [];
    if (!this.has(self)) return owned;
    for (let c = 0; c < chunkCount; c++) if (this.isOwner(feedKey, c, self)) owned.push(c);
    return owned;
  }

  /** Owner index (into `members`) of every chunk in [0, chunkCount): one pass for a whole feed. */
  owners(feedKey: string, chunkCount: number): Int32Array {
    const out = new Int32Array(chunkCount);
    for (let c = 0; c < chunkCount; c++) out[c] = this.ownerIndex(feedKey, c);
    return out;
  }

  #chunkKey(feedKey: string, chunk: number): number {
    let h = this.#feedHashes.get(feedKey);
    if (h === undefined) {
      if (this.#feedHashes.size >= MAX_MEMOISED_FEEDS) this.#feedHashes.clear();
      h = hashString32(feedKey);
      this.#feedHashes.set(feedKey, h);
    }
    return combine32(h, chunk);
  }
}

// One-entry memo for the free functions: callers usually pass the same membership array many times
// in a row. It is validated element by element (identical strings compare by reference), so
// mutating the array in place cannot return a stale answer.
let memoPrinters: string[] | null = null;
let memoMap: ResponsibilityMap | null = null;

function mapFor(printers: readonly string[]): ResponsibilityMap {
  if (memoMap !== null && memoPrinters !== null && memoPrinters.length === printers.length) {
    let same = true;
    for (let i = 0; i < printers.length; i++) {
      if (memoPrinters[i] !== printers[i]) {
        same = false;
        break;
      }
    }
    if (same) return memoMap;
  }
  memoPrinters = printers.slice();
  memoMap = new ResponsibilityMap(printers);
  return memoMap;
}

/**
 * The online printer (public key hex) that pulls `chunk` of `feedKey` from the cloud. `printers` are
 * the online printers including self; order and duplicates do not matter.
 */
export function ownerOf(feedKey: string, chunk: number, printers: readonly string[]): string {
  return mapFor(printers).ownerOf(feedKey, chunk);
}

export function ownedChunks(feedKey: string, chunkCount: number, self: string, printers: readonly string[]): number[] {
  return mapFor(printers).ownedChunks(feedKey, chunkCount, self);
}
