/**
 * Renders a scanned order's photos while its claim is on its way to the coordinator (issue #16:
 * scan → print). The order's items are known before the claim: offline redemption keeps the venue's
 * orders feed on every printer. A photo held whole here goes into the printer's render cache, and the
 * print of that unit waits for this render instead of decoding the master a second time, so the
 * decode overlaps the claim's round trip and durable write instead of following them.
 *
 * Best effort and bounded: an order not in the local feed, a photo not held whole, a framed unit
 * (printed from its composite) or a render that fails is left to the print path, which reports it.
 */

import type { CatalogEntry } from '../../shared/feed/feed-layout.ts';
import type { OrdersFeedEntry } from '../../shared/feed/orders-feed-layout.ts';

/** A scan looks its order up in the local orders feed for this long at most; the claim does not wait. */
export const WARM_UP_LOOKUP_TIMEOUT_MS = 200;
/** A catalog read for a warmed photo waits this long at most for a block (it should be local). */
export const WARM_UP_CATALOG_TIMEOUT_MS = 200;

/** What a warm-up reads of an order or basket line: framed lines print from their composite. */
export type WarmUpLines = ReadonlyArray<{ imageId: string; template?: unknown }>;

export interface WarmUpDeps {
  lookup(orderCode: string, timeoutMs: number): Promise<OrdersFeedEntry | null>;
  replica(eventId: string):
    | {
        entry(imageId: string, timeoutMs: number): Promise<CatalogEntry | null>;
        readLocal(entry: CatalogEntry): Promise<Buffer | null>;
      }
    | undefined;
  prerender(key: string, image: Buffer): Promise<void>;
  isPrerendered(key: string): boolean;
}

/** Renders the order's unframed photos held here, one after another; resolves with how many it rendered. */
export async function warmUpOrder(deps: WarmUpDeps, orderCode: string): Promise<number> {
  const order = await deps.lookup(orderCode, WARM_UP_LOOKUP_TIMEOUT_MS);
  if (!order) return 0;
  return warmUpPhotos(deps, order.eventId, order.items);
}

/**
 * Renders the unframed photos among `items` held here, one after another (a scanned order's, or a
 * kiosk basket's while the fan pays); resolves with how many it rendered.
 */
export async function warmUpPhotos(
  deps: Omit<WarmUpDeps, 'lookup'>,
  eventId: string,
  items: WarmUpLines,
): Promise<number> {
  const replica = deps.replica(eventId);
  if (!replica) return 0;
  const photos = [...new Set(items.filter((i) => !i.template).map((i) => i.imageId))];
  let rendered = 0;
  for (const imageId of photos) {
    if (deps.isPrerendered(imageId)) continue;
    const entry = await replica.entry(imageId, WARM_UP_CATALOG_TIMEOUT_MS);
    const bytes = entry ? await replica.readLocal(entry) : null;
    if (!bytes) continue;
    await deps.prerender(imageId, bytes);
    rendered++;
  }
  return rendered;
}
