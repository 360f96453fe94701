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
import { AwaitingPrint } from './awaiting-print.ts';
import type { SmallCoreRegistry } from './claims-log.ts';

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
  readonly #awaiting = new AwaitingPrint();
  #reading: Promise<void> | null = null;

  /** The orders feed in the cloud lane (cloud-lane.ts): the cloud's copy reaches the main core through it. */
  readonly #cloud: CloudCore | null;

  constructor(store: Corestore, descriptor: OrdersFeedDescriptor, lane?: CloudLane, overlay?: SmallCoreRegistry) {
    super();
    this.descriptor = descriptor;
    this.#cloud = lane?.open(descriptor.key, { whole: true }) ?? null;
    const key = Buffer.from(descriptor.key, 'hex');
    overlay?.register(key);
    const core = store.get({
      key,
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

  /**
   * How many orders this printer knows. Status reports ask every few seconds: from the second call on,
   * only the entries changed since the last count are read (a diff between the two versions), not the
   * whole feed, which a big event makes tens of thousands of entries long.
   */
  async count(): Promise<number> {
    await this.#catchUp();
    return this.#known.count;
  }

  /** Calls `listener` whenever the feed grows here (a new order or a new state reached this printer); returns the unsubscribe. */
  onGrew(listener: () => void): () => void {
    const core = this.#bee.core;
    core.on('append', listener);
    return () => core.off('append', listener);
  }

  /** The photos of orders paid and not yet printed (awaiting-print.ts), as far as this printer holds the feed. */
  async awaitingPrint(): Promise<AwaitingPrint> {
    await this.#catchUp();
    return this.#awaiting;
  }

  /**
   * Brings the count and the awaiting photos up to the feed's version: the whole feed once, then only
   * the entries changed since. A block not here yet leaves both as they were, and the next call
   * starts from the same version again. One reading at a time (status reports, holdings scans and
   * the paid-photo watch ask at once): an older snapshot finishing last would undo a newer one.
   */
  #catchUp(): Promise<void> {
    this.#reading ??= this.#readChanges().finally(() => {
      this.#reading = null;
    });
    return this.#reading;
  }

  async #readChanges(): Promise<void> {
    // Unchanged since the last call (most reports): no snapshot session to open and close.
    if (this.#bee.version === this.#known.version) return;
    const view = this.#bee.snapshot();
    try {
      // A snapshot's version is set once it is ready.
      await view.ready();
      if (view.version === this.#known.version) return;
      const range = { gte: ORDERS_FEED_PREFIX, lt: `${ORDERS_FEED_PREFIX}\uffff` };
      const opts = { timeout: ORDERS_LOOKUP_TIMEOUT_MS };
      let count = this.#known.count;
      const written: Array<{ key: string; value: OrdersFeedEntry }> = [];
      const removed: string[] = [];
      if (this.#known.version < 0) {
        count = 0;
        for await (const node of view.createReadStream(range, opts)) {
          count++;
          written.push(node);
        }
      } else {
        for await (const { left, right } of view.createDiffStream(this.#known.version, range, opts)) {
          if (left && !right) count++;
          else if (!left && right) count--;
          if (left) written.push(left);
          else if (right) removed.push(right.key);
        }
      }
      for (const { key, value } of written) this.#awaiting.set(key, value);
      for (const key of removed) this.#awaiting.remove(key);
      this.#known = { version: view.version, count };
    } catch (err) {
      // A block not here yet: the last complete reading stands until the feed is whole again.
      if (!isNotAvailableYet(err)) throw err;
    } finally {
      await view.close();
    }
  }

  protected override async _close(): Promise<void> {
    this.#range?.destroy();
    await this.#bee.close();
  }
}
