import type Corestore from 'corestore';
import Hyperbee from 'hyperbee';
import type { DownloadRange } from 'hypercore';
import {
  ORDERS_FEED_PREFIX,
  type OrdersFeedDescriptor,
  type OrdersFeedEntry,
  ordersFeedKey,
} from '../../shared/feed/orders-feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { CloudCore, CloudLane } from '../mesh/cloud-lane.ts';
import { isNotAvailableYet } from '../mesh/hypercore-codes.ts';

/** A lookup at redemption reads the local replica; it waits this long at most for a missing block. */
export const ORDERS_LOOKUP_TIMEOUT_MS = 1_000;

/**
 * The venue's orders feed as a printer holds it: replicated whole and live (entries are small, and
 * every printer needs every paid order before its fan arrives), from LAN peers or the cloud.
 */
export class OrdersReplica extends Resource {
  readonly descriptor: OrdersFeedDescriptor;
  readonly #bee: Hyperbee<OrdersFeedEntry>;
  #range: DownloadRange | null = null;
  #known = { version: -1, count: 0 };

  /** The orders feed in the cloud lane (cloud-lane.ts): the cloud's copy reaches the main core through it. */
  readonly #cloud: CloudCore | null;

  constructor(store: Corestore, descriptor: OrdersFeedDescriptor, lane?: CloudLane) {
    super();
    this.descriptor = descriptor;
    this.#cloud = lane?.open(descriptor.key, { whole: true }) ?? null;
    const core = store.get({
      key: Buffer.from(descriptor.key, 'hex'),
      encryption: { key: Buffer.from(descriptor.encryptionKey, 'hex') },
    });
    this.#bee = new Hyperbee<OrdersFeedEntry>(core, { keyEncoding: 'utf-8', valueEncoding: 'json' });
  }

  protected override async _open(): Promise<void> {
    await this.#bee.ready();
    if (this.#cloud) this.own(this.#cloud);
    await this.#cloud?.ready();
    this.#range = this.#bee.core.download({ start: 0, end: -1 });
  }

  /** Blocks held contiguously from the start: how far this printer is with the feed. */
  get contiguousLength(): number {
    return this.#bee.core.contiguousLength;
  }

  /** The order with this code as last written, or null when this printer does not know it. */
  async lookup(code: string, timeoutMs = ORDERS_LOOKUP_TIMEOUT_MS): Promise<OrdersFeedEntry | null> {
    try {
      const node = await this.#bee.get(ordersFeedKey(code), { timeout: timeoutMs });
      return node?.value ?? null;
    } catch (err) {
      // Not here yet (no peer sent the block in time) is "unknown here"; a closed session, a
      // decryption failure or a disk error is a fault the caller must see, not a missing order.
      if (isNotAvailableYet(err)) return null;
      throw err;
    }
  }

  /** How many orders this printer knows (cached per feed version). */
  async count(): Promise<number> {
    const version = this.#bee.version;
    if (version === this.#known.version) return this.#known.count;
    let count = 0;
    try {
      const range = { gte: ORDERS_FEED_PREFIX, lt: `${ORDERS_FEED_PREFIX}\uffff` };
      for await (const _ of this.#bee.createReadStream(range, { timeout: ORDERS_LOOKUP_TIMEOUT_MS })) count++;
    } catch {
      return this.#known.count;
    }
    this.#known = { version, count };
    return count;
  }

  protected override async _close(): Promise<void> {
    this.#range?.destroy();
    await this.#bee.close();
  }
}
