import type { OrdersFeedEntry } from '../../shared/feed/orders-feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import type { Store } from '../store/port.ts';
import { APPEND_POLL_INTERVAL_MS, FEED_CATCH_UP_TIMEOUT_MS, FEED_LEASE_TTL_MS } from './feed-appender.ts';
import { FeedLeases } from './feed-lease.ts';
import { type OrdersFeed, ordersFeedEntry } from './orders-feed.ts';
import type { FeedLogger } from './swarm-seeder.ts';

/** Orders written to a venue's feed per batch (entries are a few hundred bytes). */
export const ORDERS_APPEND_BATCH = 256;
/**
 * After writing to a venue's feed the appender waits this long before its next write, so the changes
 * of a busy second (an order paid, claimed and printed; many fans paying at once) go on the feed as
 * one append of one entry per order (its latest state) rather than an append per change. Every
 * append costs each of the venue's printers a round of Hypercore messages however small it is
 * (BENCHMARKS.md, bench:follow); a printer learns of new orders no sooner than its next profile
 * refresh (seconds), so a second's delay here costs a fan nothing.
 */
export const ORDERS_APPEND_COALESCE_MS = 1_000;
/** A longer window would leave printers a minute behind the shop (config `ordersFeedCoalesceMs`). */
export const MAX_ORDERS_FEED_COALESCE_MS = 60_000;
/** Only orders that were paid go on the feed; a cancelled one is written too if it was published before. */
const PUBLISHED_STATES = new Set(['paid', 'redeeming', 'fulfilled']);

export function ordersFeedLeaseName(venueId: string): string {
  return `orders-feed:${venueId}`;
}

export interface OrdersFeedAppenderOptions {
  store: Store;
  /** The venue's orders feed on this instance, or null when the venue is unknown. */
  openFeed: (venueId: string) => Promise<OrdersFeed | null>;
  instanceId: string;
  logger: FeedLogger;
  clock?: Clock;
  leaseTtlMs?: number;
  pollIntervalMs?: number;
  catchUpTimeoutMs?: number;
  /** Default ORDERS_APPEND_COALESCE_MS. */
  coalesceMs?: number;
}

/**
 * Moves queued orders (store outbox, filled when an order is paid, claimed, fulfilled or released)
 * onto their venue's orders feed, so the venue's printers know every paid order before a fan
 * arrives. One writer per venue feed at a time: the holder of the store lease
 * `orders-feed:<venueId>`, which catches its replica up to the committed head first (FeedLeases).
 * Idempotent per order: an entry equal to the feed's is not written again.
 */
export class OrdersFeedAppender extends Resource {
  readonly counters = { written: 0, batches: 0, errors: 0, catchUpFailures: 0 };
  readonly #o: OrdersFeedAppenderOptions;
  readonly #leases: FeedLeases;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  readonly #notified = new Set<string>();
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;

  constructor(opts: OrdersFeedAppenderOptions) {
    super();
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#leases = new FeedLeases({
      store: opts.store,
      instanceId: opts.instanceId,
      ttlMs: opts.leaseTtlMs ?? FEED_LEASE_TTL_MS,
      clock: this.#clock,
      logger: opts.logger,
      leaseName: ordersFeedLeaseName,
    });
  }

  /** Starts the append loop; closing stops it, then releases the leases taken. */
  protected async _open(): Promise<void> {
    this.#loop = this.#run();
    this.defer(async () => {
      await this.#loop;
      for (const venueId of this.#leases.taken()) await this.#leases.release(venueId);
    });
  }

  notify(venueId: string): void {
    this.#notified.add(venueId);
    this.#wake?.();
  }

  override close(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    return super.close();
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      const venues = new Set(this.#notified);
      this.#notified.clear();
      const writtenBefore = this.counters.written;
      try {
        for (const v of await this.#o.store.listVenuesWithQueuedOrders()) venues.add(v);
        for (const venueId of this.#leases.taken()) if (!venues.has(venueId)) await this.#leases.release(venueId);
        for (const venueId of venues) {
          if (this.#abort.signal.aborted) break;
          await this.#drain(venueId).catch((err: unknown) => {
            this.counters.errors++;
            this.#o.logger.error({ err, venueId }, 'orders feed append failed; retrying later');
          });
        }
      } catch (err) {
        this.counters.errors++;
        this.#o.logger.error({ err }, 'orders feed round failed');
      }
      const coalesceMs = this.#o.coalesceMs ?? ORDERS_APPEND_COALESCE_MS;
      if (this.counters.written > writtenBefore && coalesceMs > 0 && !this.#abort.signal.aborted)
        await this.#clock.sleep(coalesceMs, this.#abort.signal).catch(() => {});
      if (this.#notified.size === 0 && !this.#abort.signal.aborted) {
        await new Promise<void>((resolve) => {
          const timer = this.#clock.setTimeout(done, this.#o.pollIntervalMs ?? APPEND_POLL_INTERVAL_MS);
          function done() {
            timer.cancel();
            resolve();
          }
          this.#wake = done;
        });
        this.#wake = null;
      }
    }
  }

  async #drain(venueId: string): Promise<void> {
    const { store } = this.#o;
    for (;;) {
      let lease = await this.#leases.acquire(venueId);
      if (lease === 'lost') return;
      const feed = await this.#o.openFeed(venueId);
      if (feed === null) {
        await this.#leases.release(venueId);
        return;
      }
      if (lease === 'fresh') {
        const committed = await store.getOrdersFeedHead(venueId);
        const timeoutMs = this.#o.catchUpTimeoutMs ?? FEED_CATCH_UP_TIMEOUT_MS;
        const { value: reached, broken } = await this.#leases.renewingWhile(venueId, () =>
          feed.catchUp(committed, timeoutMs, this.#abort.signal),
        );
        if (broken) continue;
        if (!reached) {
          this.counters.catchUpFailures++;
          this.#o.logger.warn(
            { venueId, committed, local: feed.length },
            'orders feed replica is behind the committed head; not writing from it (would fork the feed)',
          );
          await this.#leases.release(venueId);
          return;
        }
      }
      const queued = await store.listQueuedOrders(venueId, ORDERS_APPEND_BATCH);
      if (queued.length === 0) return;
      const entries: OrdersFeedEntry[] = [];
      for (const q of queued) {
        const order = await store.getOrder(q.orderId);
        if (order === null) continue;
        const published = await feed.get(order.code);
        if (PUBLISHED_STATES.has(order.state) || published !== null) entries.push(ordersFeedEntry(order));
      }
      // Renew right before writing, so the write runs well inside a lease held throughout.
      lease = await this.#leases.acquire(venueId);
      if (lease === 'lost') return;
      if (lease === 'fresh') continue;
      const written = await feed.write(entries);
      await store.raiseOrdersFeedHead(venueId, feed.length);
      await store.dequeueOrders(queued);
      this.counters.written += written;
      this.counters.batches++;
      if (written > 0)
        this.#o.logger.info({ venueId, orders: written, length: feed.length }, 'wrote orders to the venue orders feed');
      if (queued.length < ORDERS_APPEND_BATCH) return;
    }
  }
}
