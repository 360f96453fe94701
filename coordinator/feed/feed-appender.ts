import { createHash } from 'node:crypto';
import type { CatalogEntry } from '../../shared/feed/feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { mediaKey } from '../media/media-keys.ts';
import type { Store } from '../store/port.ts';
import type { FeedImage } from './event-catalog.ts';
import type { EventFeed, EventFeeds } from './event-feeds.ts';
import { FeedLeases } from './feed-lease.ts';
import type { FeedLogger } from './swarm-seeder.ts';

export const APPEND_POLL_INTERVAL_MS = 1000;
export const FEED_LEASE_TTL_MS = 10_000;
export const APPEND_BATCH_MAX_IMAGES = 16;
export const APPEND_BATCH_MAX_BYTES = 64 * 1024 * 1024;
/** How long a new lease holder waits for its replica to reach the committed head. */
export const FEED_CATCH_UP_TIMEOUT_MS = 15_000;

export interface FeedAppenderTuning {
  leaseTtlMs: number;
  pollIntervalMs: number;
  catchUpTimeoutMs: number;
  batchMaxImages: number;
  batchMaxBytes: number;
}

export interface FeedAppenderOptions extends Partial<FeedAppenderTuning> {
  store: Store;
  feeds: EventFeeds;
  /** Lease holder name: unique per coordinator process. */
  instanceId: string;
  logger: FeedLogger;
  clock?: Clock;
  extension?: FeedExtension;
}

export interface FeedAppenderCounters {
  appendedImages: number;
  appendedBytes: number;
  batches: number;
  errors: number;
  /** Lease taken but the replica could not reach the committed head in time (nothing appended). */
  catchUpFailures: number;
}

export type AppendedListener = (eventId: string, entries: CatalogEntry[]) => void;

/**
 * More to put on an event's feed under the same lease (issue #14: templates). `appendPending` runs
 * while the lease is held and the replica is caught up; it returns whether it appended anything.
 */
export interface FeedExtension {
  eventsWithPending(): Promise<string[]>;
  appendPending(eventId: string, feed: EventFeed): Promise<boolean>;
}

export function feedLeaseName(eventId: string): string {
  return `feed:${eventId}`;
}

/**
 * Moves pending images onto their event's feed. Exactly one coordinator process appends to a feed
 * at a time: the holder of the store lease `feed:<eventId>`. A new holder first catches its replica
 * up to the committed head (store `feedHead`, raised after every batch), because appending from a
 * shorter replica would fork the feed. Errors are logged and retried on the next round.
 */
export class FeedAppender extends Resource {
  readonly counters: FeedAppenderCounters = {
    appendedImages: 0,
    appendedBytes: 0,
    batches: 0,
    errors: 0,
    catchUpFailures: 0,
  };
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #feeds: EventFeeds;
  readonly #logger: FeedLogger;
  readonly #tuning: FeedAppenderTuning;
  readonly #extension: FeedExtension | undefined;
  /** Keyed by event id. */
  readonly #leases: FeedLeases;
  readonly #notified = new Set<string>();
  readonly #listeners = new Set<AppendedListener>();
  readonly #warnedMissing = new Set<string>();
  readonly #abort = new AbortController();
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #releaseLeases = true;

  constructor(opts: FeedAppenderOptions) {
    super();
    this.#store = opts.store;
    this.#feeds = opts.feeds;
    this.#clock = opts.clock ?? systemClock;
    this.#logger = opts.logger;
    this.#extension = opts.extension;
    this.#tuning = {
      leaseTtlMs: opts.leaseTtlMs ?? FEED_LEASE_TTL_MS,
      pollIntervalMs: opts.pollIntervalMs ?? APPEND_POLL_INTERVAL_MS,
      catchUpTimeoutMs: opts.catchUpTimeoutMs ?? FEED_CATCH_UP_TIMEOUT_MS,
      batchMaxImages: opts.batchMaxImages ?? APPEND_BATCH_MAX_IMAGES,
      batchMaxBytes: opts.batchMaxBytes ?? APPEND_BATCH_MAX_BYTES,
    };
    this.#leases = new FeedLeases({
      store: opts.store,
      instanceId: opts.instanceId,
      ttlMs: this.#tuning.leaseTtlMs,
      clock: this.#clock,
      logger: opts.logger,
      leaseName: feedLeaseName,
    });
  }

  get appendedTotal(): number {
    return this.counters.appendedImages;
  }

  /** Event ids whose feed lease this instance holds now. */
  heldLeases(): string[] {
    return this.#leases.live();
  }

  onAppended(listener: AppendedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the append loop; closing stops it after the batch in flight. */
  protected async _open(): Promise<void> {
    this.#loop = this.#run();
    this.defer(() => this.#stop());
  }

  /** Wakes the loop now instead of at the next poll. */
  notify(eventId: string): void {
    this.#notified.add(eventId);
    this.#wake?.();
  }

  /**
   * Stops after the in-flight batch and releases held leases. `releaseLeases: false` leaves them to
   * expire, as a crashed process would (tests use it to exercise the takeover).
   */
  override close(opts: { releaseLeases?: boolean } = {}): Promise<void> {
    if (!this.closing) this.#releaseLeases = opts.releaseLeases !== false;
    this.#abort.abort();
    this.#wake?.();
    return super.close();
  }

  async #stop(): Promise<void> {
    await this.#loop;
    if (!this.#releaseLeases) return;
    for (const eventId of this.#leases.taken()) await this.#release(eventId);
  }

  async #run(): Promise<void> {
    while (!this.closing) {
      try {
        await this.#round();
      } catch (err) {
        this.counters.errors++;
        this.#logger.error({ err }, 'feed append round failed');
      }
      if (this.closing) break;
      if (this.#notified.size === 0) await this.#sleep(this.#tuning.pollIntervalMs);
    }
  }

  /** Waits `ms` on the clock, or less when notify() or close() wakes the loop. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        timer.cancel();
        this.#wake = null;
        resolve();
      };
      const timer = this.#clock.setTimeout(done, ms);
      this.#wake = done;
    });
  }

  async #round(): Promise<void> {
    const events = new Set(await this.#store.listEventsWithPendingImages());
    for (const eventId of (await this.#extension?.eventsWithPending()) ?? []) events.add(eventId);
    for (const eventId of this.#notified) events.add(eventId);
    this.#notified.clear();
    // Nothing left to append: free the lease so another instance can take over without a TTL wait.
    for (const eventId of this.#leases.taken()) if (!events.has(eventId)) await this.#release(eventId);
    for (const eventId of events) {
      if (this.closing) return;
      try {
        await this.#appendPending(eventId);
      } catch (err) {
        this.counters.errors++;
        this.#logger.error({ err, eventId }, 'feed append failed; retrying later');
      }
    }
  }

  async #appendPending(eventId: string): Promise<void> {
    let lease = await this.#acquire(eventId);
    if (lease === 'lost') return;
    const event = await this.#store.getEvent(eventId);
    if (event === null) {
      await this.#release(eventId);
      return;
    }
    const feed = await this.#feeds.openEvent(event);
    while (!this.closing) {
      if (lease === 'fresh' && !(await this.#catchUp(eventId, feed))) return;
      if (await this.#extension?.appendPending(eventId, feed)) await this.#store.raiseFeedHead(eventId, feed.head());
      const images = await this.#nextBatch(eventId);
      if (images.length === 0) {
        await this.#release(eventId);
        return;
      }
      // Renew right before appending, so the append runs well inside a lease we held throughout.
      lease = await this.#acquire(eventId);
      if (lease === 'lost') return;
      if (lease === 'fresh') continue;
      await this.#appendBatch(eventId, feed, images);
    }
  }

  /** Catches the replica up to the committed head, renewing the lease meanwhile. */
  async #catchUp(eventId: string, feed: EventFeed): Promise<boolean> {
    const current = await this.#store.getEvent(eventId);
    if (current === null) return false;
    const { value: reached, broken } = await this.#leases.renewingWhile(eventId, () =>
      feed.catchUp(current.feedHead, this.#tuning.catchUpTimeoutMs, this.#abort.signal),
    );
    // Another instance may have appended in the gap: start over from the newer committed head.
    if (broken) return false;
    if (!reached) {
      if (this.closing) return false;
      this.counters.catchUpFailures++;
      this.#logger.warn(
        { eventId, committed: current.feedHead, local: feed.head() },
        'feed replica is behind the committed head; not appending from it (would fork the feed)',
      );
      await this.#release(eventId);
    }
    return reached;
  }

  async #nextBatch(eventId: string): Promise<FeedImage[]> {
    const { batchMaxImages, batchMaxBytes } = this.#tuning;
    // Look past images whose master is missing (an upload still in progress) rather than stall on them.
    const pending = await this.#store.listPendingImages(eventId, batchMaxImages * 2);
    const images: FeedImage[] = [];
    let bytes = 0;
    for (const image of pending) {
      if (images.length >= batchMaxImages) break;
      if (images.length > 0 && bytes + image.byteLength > batchMaxBytes) break;
      const media = await this.#store.getMedia(mediaKey.master(image.id));
      const sha256 = media === null ? null : createHash('sha256').update(media.bytes).digest('hex');
      if (media === null || sha256 !== image.sha256) {
        if (!this.#warnedMissing.has(image.id)) {
          this.#warnedMissing.add(image.id);
          this.#logger.warn(
            { eventId, imageId: image.id, found: media !== null },
            'print master missing or not matching its sha256; image left pending',
          );
        }
        continue;
      }
      images.push({
        imageId: image.id,
        bytes: media.bytes,
        sha256: image.sha256,
        width: image.width,
        height: image.height,
        mime: image.mime,
        registeredAt: image.createdAt,
      });
      bytes += media.bytes.byteLength;
    }
    return images;
  }

  async #appendBatch(eventId: string, feed: EventFeed, images: FeedImage[]): Promise<void> {
    const entries = await feed.appendBatch(images);
    await this.#store.raiseFeedHead(eventId, feed.head());
    for (const entry of entries) await this.#store.markImageAppended(entry.imageId, entry.blob, entry.seq);
    this.counters.batches++;
    this.counters.appendedImages += entries.length;
    this.counters.appendedBytes += entries.reduce((sum, entry) => sum + entry.byteLength, 0);
    this.#logger.info({ eventId, images: entries.length, head: feed.head() }, 'appended images to the event feed');
    for (const listener of this.#listeners) {
      try {
        listener(eventId, entries);
      } catch (err) {
        this.#logger.error({ err, eventId }, 'appended listener failed');
      }
    }
  }

  #acquire(eventId: string): Promise<'continuous' | 'fresh' | 'lost'> {
    return this.#leases.acquire(eventId);
  }

  #release(eventId: string): Promise<void> {
    return this.#leases.release(eventId);
  }
}
