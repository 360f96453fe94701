/**
 * Renders the station's local photos into print-ready rasters in the background, so that a fan's
 * redemption prints without decoding and dithering a 5 MB master on its critical path (issue #16).
 *
 * It yields to everything that matters more: it renders only while no redemption or on-demand fetch
 * runs and no replicated bytes arrived for `PRERENDER_QUIET_MS` (replication keeps the venue in sync;
 * a raster is a nicety), one photo at a time, only photos fans have paid for and not printed yet
 * (awaiting-print.ts; the most recently paid first; at a venue of many stations only the orders
 * this one renders ahead, shared/policy/prerender-stations.ts), at most as many as the printer's
 * raster cache keeps. A fan redeems only a paid order, after walking to a printer, so a photo nobody bought
 * would be rendered for nothing, on every printer of the venue. Between two fans it goes on as soon
 * as the first one's prints are out (`nudge()`): the next fan's photo may be the one it renders, and
 * one render (~70 ms) in flight costs a fan who scans meanwhile far less than rendering his photo at
 * print would. A photo that fails to read or render is skipped: the redemption renders it itself and
 * reports what is wrong.
 */

import type { CatalogEntry } from '../../shared/feed/feed-layout.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { PaidPhotos } from '../offline/awaiting-print.ts';

/** Rendering starts only after this long without replicated bytes arriving or a redemption moving. */
export const PRERENDER_QUIET_MS = 2_000;
/** While busy, look again this often. */
export const PRERENDER_RETRY_MS = 1_000;

export interface PreRenderSource {
  readLocal(entry: CatalogEntry): Promise<Buffer | null>;
}

export interface PreRendererOptions {
  clock: Clock;
  /** The printer's raster cache: render one photo into it (printer.prerender). */
  render: (key: string, image: Buffer) => Promise<void>;
  rendered: (key: string) => boolean;
  /** A redemption or an on-demand fetch is running. */
  busy: () => boolean;
  /** When replicated bytes last arrived or a redemption last moved (epoch ms). */
  lastProgressAt: () => number;
  /** Photos kept rendered (the cache's size). */
  maxPhotos: number;
  onError?: (err: unknown, imageId: string) => void;
}

/** A photo to render; `rank`: when a fan last paid for it (0 without the orders feed). */
interface PreRenderItem {
  entry: CatalogEntry;
  source: PreRenderSource;
  rank: number;
}

/** Most recently paid for first, then the newest photo. */
function byPriority(a: PreRenderItem, b: PreRenderItem): number {
  return b.rank - a.rank || b.entry.seq - a.entry.seq;
}

export class PreRenderer {
  readonly #o: PreRendererOptions;
  /** Most recently paid for first (then newest): photo ids and where to read them. */
  #todo: PreRenderItem[] = [];
  readonly #skipped = new Set<string>();
  /** Each event's photos held whole here, as last offered: a payment re-ranks them (`reoffer`). */
  readonly #held = new Map<PreRenderSource, readonly CatalogEntry[]>();
  #running = false;
  /** A render is under way (it has left the queue). */
  #inFlight = false;
  #closed = false;
  readonly #abort = new AbortController();
  /** Ends the current wait early (nudge). */
  #wake = new AbortController();
  rendered = 0;

  constructor(opts: PreRendererOptions) {
    this.#o = opts;
  }

  /**
   * The photos now held whole here (a holdings scan) and, from the venue's orders feed, which of
   * them fans have paid for (`paid`): the photos paid for most recently and not rendered yet are
   * queued, and this event's photos nobody awaits any more leave the queue. Without the orders feed
   * (`paid` null) nothing says which photos fans will print, and the newest are queued.
   */
  offer(held: readonly CatalogEntry[], source: PreRenderSource, paid: PaidPhotos | null = null): void {
    if (this.#closed) return;
    this.#held.set(source, held);
    const ranked: PreRenderItem[] = [];
    for (const entry of held) {
      const rank = paid ? paid.paidAt(entry.imageId) : 0;
      if (rank !== undefined) ranked.push({ entry, source, rank });
    }
    // Only the first photos fit the cache: rendering past them would evict the ones that matter more.
    const wanted = ranked
      .sort(byPriority)
      .slice(0, this.#o.maxPhotos)
      .filter((t) => !this.#o.rendered(t.entry.imageId) && !this.#skipped.has(t.entry.imageId));
    this.#todo = [...this.#todo.filter((t) => t.source !== source), ...wanted].sort(byPriority);
    this.#todo.length = Math.min(this.#todo.length, this.#o.maxPhotos);
    if (!this.#running && this.#todo.length > 0) {
      this.#running = true;
      void this.#run().finally(() => {
        this.#running = false;
      });
    }
  }

  /** Fans paid for photos (the orders feed grew): the photos last offered are ranked again, at once. */
  reoffer(paid: PaidPhotos): void {
    for (const [source, held] of this.#held) this.offer(held, source, paid);
  }

  /** Forgets the events not among `sources` (their replicas closed): nothing of theirs is read again. */
  retain(sources: ReadonlySet<PreRenderSource>): void {
    for (const source of this.#held.keys()) if (!sources.has(source)) this.#held.delete(source);
    this.#todo = this.#todo.filter((t) => sources.has(t.source));
  }

  /** Photos queued or being rendered ahead. */
  get backlog(): number {
    return this.#todo.length + (this.#inFlight ? 1 : 0);
  }

  /** Something that kept it waiting has ended (a redemption finished): look again now, not at the next retry. */
  nudge(): void {
    this.#wake.abort();
  }

  close(): void {
    this.#closed = true;
    this.#abort.abort();
    this.#todo = [];
    this.#held.clear();
  }

  #quiet(): boolean {
    return !this.#o.busy() && this.#o.clock.now() - this.#o.lastProgressAt() >= PRERENDER_QUIET_MS;
  }

  async #run(): Promise<void> {
    const { clock } = this.#o;
    while (!this.#closed && this.#todo.length > 0) {
      if (!this.#quiet()) {
        this.#wake = new AbortController();
        try {
          await clock.sleep(PRERENDER_RETRY_MS, AbortSignal.any([this.#abort.signal, this.#wake.signal]));
        } catch {
          if (this.#closed) return;
        }
        continue;
      }
      const { entry, source } = this.#todo.shift()!;
      if (this.#o.rendered(entry.imageId)) continue;
      this.#inFlight = true;
      try {
        const bytes = await source.readLocal(entry);
        if (bytes && !this.#closed) {
          await this.#o.render(entry.imageId, bytes);
          this.rendered++;
        } else if (!bytes) this.#skipped.add(entry.imageId);
      } catch (err) {
        this.#skipped.add(entry.imageId);
        this.#o.onError?.(err, entry.imageId);
      } finally {
        this.#inFlight = false;
      }
    }
  }
}
