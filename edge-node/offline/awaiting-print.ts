import type { OrdersFeedEntry } from '../../shared/feed/orders-feed-layout.ts';

/** The photos fans await, as the pre-renderer ranks them: when a fan last paid for one, undefined if nobody awaits it. */
export interface PaidPhotos {
  paidAt(imageId: string): number | undefined;
}

/**
 * The photos fans have paid for and not yet printed, from the venue's orders feed: what a station
 * should render ahead (pre-renderer.ts). A fan can redeem only a paid order, and walks to a printer
 * after paying, so a photo nobody bought is never printed from a render made ahead of time; rendering
 * every held photo on every printer spent a station's CPU on the many photos nobody buys.
 * Framed units print from their composite, not the photo's raster, so they are left out.
 */
export class AwaitingPrint {
  /** Paid orders by their key in the feed: when paid, and their unframed photos. */
  readonly #orders = new Map<string, { orderId: string; paidAt: number; imageIds: string[] }>();
  /** Image id → keys of the paid orders holding it. */
  readonly #byImage = new Map<string, Set<string>>();

  /**
   * An order's latest version in the feed (under `key`): kept while it is paid, dropped once claimed,
   * printed or cancelled. The feed is the coordinator's, read as it is: an entry without items holds
   * no photo.
   */
  set(key: string, entry: OrdersFeedEntry): void {
    this.remove(key);
    if (entry.state !== 'paid' || !Array.isArray(entry.items)) return;
    const imageIds = [...new Set(entry.items.filter((i) => !i.template).map((i) => i.imageId))];
    if (imageIds.length === 0) return;
    this.#orders.set(key, { orderId: entry.orderId, paidAt: entry.paidAt, imageIds });
    for (const id of imageIds) {
      const keys = this.#byImage.get(id) ?? new Set<string>();
      keys.add(key);
      this.#byImage.set(id, keys);
    }
  }

  /** An order no longer in the feed. */
  remove(key: string): void {
    const order = this.#orders.get(key);
    if (!order) return;
    this.#orders.delete(key);
    for (const id of order.imageIds) {
      const keys = this.#byImage.get(id);
      keys?.delete(key);
      if (keys?.size === 0) this.#byImage.delete(id);
    }
  }

  /**
   * When the newest paid order holding this photo was paid (epoch ms); undefined: nobody awaits it.
   * Orders `leftOut` names are not counted: those a printer has already claimed (the feed says
   * `paid` until the coordinator hears of a claim, which takes a second online and a whole outage
   * offline) and those other stations render ahead (PreRenderAssignment).
   */
  paidAt(imageId: string, leftOut?: (order: { orderId: string; paidAt: number }) => boolean): number | undefined {
    const keys = this.#byImage.get(imageId);
    if (!keys) return undefined;
    let newest: number | undefined;
    for (const key of keys) {
      const order = this.#orders.get(key)!;
      if (leftOut?.(order)) continue;
      newest = Math.max(newest ?? Number.NEGATIVE_INFINITY, order.paidAt);
    }
    return newest;
  }

  /** Paid orders awaiting their print. */
  get orders(): number {
    return this.#orders.size;
  }
}
