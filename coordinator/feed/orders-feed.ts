import { isDeepStrictEqual } from 'node:util';
import type Corestore from 'corestore';
import Hyperbee from 'hyperbee';
import type { DownloadRange } from 'hypercore';
import {
  deriveOrdersFeedDescriptor,
  deriveOrdersFeedKeyPair,
  type OrdersFeedDescriptor,
  type OrdersFeedEntry,
  ordersFeedKey,
} from '../../shared/feed/orders-feed-layout.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import type { OrderRecord, VenueRecord } from '../store/records.ts';

/** Bound on one read of the orders feed (the writer reads its own replica). */
export const ORDERS_FEED_READ_TIMEOUT_MS = 5_000;
const CATCH_UP_POLL_MS = 50;

/** The feed entry of an order: what a printer needs to print it, no personal or payment data. */
export function ordersFeedEntry(order: OrderRecord): OrdersFeedEntry {
  const claimedBy = order.claim?.printerId ?? Object.values(order.printed)[0]?.printerId ?? null;
  return {
    orderId: order.id,
    code: order.code,
    eventId: order.eventId,
    // A framed print keeps its template (issue #14): printers print it framed with no cloud.
    items: order.items.map((i) => ({
      imageId: i.imageId,
      copies: i.copies,
      ...(i.template ? { template: i.template } : {}),
    })),
    unitCount: order.unitCount,
    paidAt: order.paidAt ?? order.createdAt,
    state: order.state,
    claimedBy,
    printedCount: order.printedCount,
  };
}

/**
 * A venue's orders feed (shared/feed/orders-feed-layout.ts) on this instance's corestore: a live,
 * full replica (every instance seeds it and may become its writer), written by the holder of the
 * venue's orders-feed lease only.
 */
export class OrdersFeed {
  readonly venueId: string;
  readonly #bee: Hyperbee<OrdersFeedEntry>;
  readonly #descriptor: OrdersFeedDescriptor;
  readonly #download: DownloadRange;
  readonly #clock: Clock;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(venueId: string, bee: Hyperbee<OrdersFeedEntry>, descriptor: OrdersFeedDescriptor, clock: Clock) {
    this.venueId = venueId;
    this.#clock = clock;
    this.#bee = bee;
    this.#descriptor = descriptor;
    this.#download = bee.core.download({ start: 0, end: -1 });
  }

  static async open(corestore: Corestore, venue: VenueRecord, clock: Clock = systemClock): Promise<OrdersFeed> {
    const secret = Buffer.from(venue.topicSecret, 'hex');
    const descriptor = deriveOrdersFeedDescriptor(venue.id, secret);
    const core = corestore.get({
      keyPair: deriveOrdersFeedKeyPair(secret),
      encryption: { key: Buffer.from(descriptor.encryptionKey, 'hex') },
    });
    const bee = new Hyperbee<OrdersFeedEntry>(core, { keyEncoding: 'utf-8', valueEncoding: 'json' });
    try {
      await bee.ready();
    } catch (err) {
      await bee.close().catch(() => {});
      throw err;
    }
    return new OrdersFeed(venue.id, bee, descriptor, clock);
  }

  descriptor(): OrdersFeedDescriptor {
    return { ...this.#descriptor };
  }

  get length(): number {
    return this.#bee.core.length;
  }

  async get(code: string): Promise<OrdersFeedEntry | null> {
    const node = await this.#bee.get(ordersFeedKey(code), { timeout: ORDERS_FEED_READ_TIMEOUT_MS, update: false });
    return node?.value ?? null;
  }

  /**
   * Writes the entries that differ from what the feed holds, in one batch; returns how many were
   * written. The caller holds the venue's orders-feed lease and has caught up.
   */
  write(entries: readonly OrdersFeedEntry[]): Promise<number> {
    const run = this.#queue.then(async () => {
      const batch = this.#bee.batch();
      let written = 0;
      try {
        for (const entry of entries) {
          if (isDeepStrictEqual(await this.get(entry.code), entry)) continue;
          await batch.put(ordersFeedKey(entry.code), entry);
          written++;
        }
        await batch.flush();
      } catch (err) {
        await batch.close();
        throw err;
      }
      return written;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * True once the replica holds the committed length and any longer length a connected peer
   * announces (a dead holder may have written past the committed head); false after `timeoutMs`.
   */
  async catchUp(committed: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const core = this.#bee.core;
    const clock = this.#clock;
    const deadline = clock.now() + timeoutMs;
    const reach = async (target: number): Promise<boolean> => {
      while (core.contiguousLength < target) {
        if (clock.now() >= deadline || signal?.aborted) return false;
        await clock.sleep(CATCH_UP_POLL_MS);
      }
      return true;
    };
    void core.update({ wait: true }).catch(() => false);
    if (!(await reach(committed))) return false;
    const waited = new AbortController();
    try {
      await Promise.race([
        core.update({ wait: true }).catch(() => false),
        clock.sleep(Math.max(0, deadline - clock.now()), waited.signal),
      ]);
    } finally {
      waited.abort();
    }
    return reach(core.length);
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#download.destroy();
    await this.#bee.close();
  }
}
