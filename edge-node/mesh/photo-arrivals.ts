import type { CatalogEntry } from '../../shared/feed/feed-layout.ts';
import type { Clock } from '../../shared/ports/clock.ts';

/** Arrivals kept per event, newest last; the oldest are forgotten beyond this. */
export const PHOTO_ARRIVALS_KEPT = 20_000;

/** One photo that became printable here while the node ran. */
export interface PhotoArrival {
  seq: number;
  imageId: string;
  /** When the coordinator registered it (its clock, ms since epoch). */
  registeredAt: number;
  /** When its catalog entry and its last block were both here (this node's clock, ms since epoch). */
  wholeAt: number;
}

export interface PhotoArrivalsOptions {
  clock: Clock;
  /** Whether every block of the photo is held here (EventReplica.holds). */
  holds: (entry: CatalogEntry) => Promise<boolean>;
  /** Told of each arrival once (a metric). */
  onArrival?: (arrival: PhotoArrival) => void;
}

/**
 * When each photo became printable at this printer: the moment its catalog entry and its last block
 * were both here, stamped as it happens (a block lands, or the catalog brings the entry of a photo
 * whose blocks came first). Operators read it as "photos are printable here N s after upload";
 * the simulator's emulation reads it for batch completion instead of polling, which was only as
 * precise as its poll interval. Photos already whole when tracking starts are not arrivals.
 */
export class PhotoArrivals {
  readonly #o: PhotoArrivalsOptions;
  /** Entries not whole yet, by first block (sorted), so a landed block finds its photo fast. */
  #pending: CatalogEntry[] = [];
  readonly #seen = new Set<number>();
  #arrivals: PhotoArrival[] = [];
  #started = false;

  constructor(opts: PhotoArrivalsOptions) {
    this.#o = opts;
  }

  /** The catalog's entries as last read: new ones are watched, or stamped at once if already whole. */
  async track(entries: readonly CatalogEntry[]): Promise<void> {
    const fresh = entries.filter((e) => !this.#seen.has(e.seq));
    for (const e of fresh) this.#seen.add(e.seq);
    const first = !this.#started;
    this.#started = true;
    const added: CatalogEntry[] = [];
    for (const e of fresh) {
      if (await this.#o.holds(e)) {
        if (!first) this.#stamp(e);
      } else added.push(e);
    }
    if (added.length === 0) return;
    this.#pending = [...this.#pending, ...added].sort((a, b) => a.blob.blockOffset - b.blob.blockOffset);
  }

  /** A blob block landed here: if it was its photo's last, the photo has arrived. */
  async blockLanded(index: number): Promise<void> {
    const entry = this.#pending[this.#pendingAt(index)];
    if (!entry || !(await this.#o.holds(entry))) return;
    // Several blocks of one photo may land together; only the first check to finish stamps it.
    if (this.#pending[this.#pendingAt(index)] === entry) this.#stamp(entry);
  }

  /** Arrivals with seq above `afterSeq`, oldest first, at most `limit`. */
  list(afterSeq: number, limit: number): PhotoArrival[] {
    const out: PhotoArrival[] = [];
    for (const a of this.#arrivals) {
      if (a.seq <= afterSeq) continue;
      out.push(a);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Photos watched that have not arrived yet. */
  get pending(): number {
    return this.#pending.length;
  }

  #stamp(entry: CatalogEntry): void {
    const k = this.#pendingAt(entry.blob.blockOffset);
    if (this.#pending[k] === entry) this.#pending.splice(k, 1);
    const arrival = {
      seq: entry.seq,
      imageId: entry.imageId,
      registeredAt: entry.registeredAt,
      wholeAt: this.#o.clock.now(),
    };
    // Kept in seq order, so `list` pages by seq even when photos arrive out of order.
    let at = this.#arrivals.length;
    while (at > 0 && this.#arrivals[at - 1]!.seq > arrival.seq) at--;
    this.#arrivals.splice(at, 0, arrival);
    if (this.#arrivals.length > PHOTO_ARRIVALS_KEPT) this.#arrivals.shift();
    this.#o.onArrival?.(arrival);
  }

  /** Where in `#pending` the entry whose blocks include `index` is (-1: none). */
  #pendingAt(index: number): number {
    let lo = 0;
    let hi = this.#pending.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.#pending[mid]!;
      if (index < e.blob.blockOffset) hi = mid - 1;
      else if (index >= e.blob.blockOffset + e.blob.blockLength) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}
