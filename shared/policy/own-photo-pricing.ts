import { type PriceList, type PriceQuote, priceOrder } from './pricing.ts';

/**
 * The fee for printing a fan's own photos (JP7465442B2's fee determination), pure. The venue may
 * configure an own-photo price; otherwise the event's price list applies (the same single price
 * and bundles as the event's photos, so a fan is never charged differently for the same paper).
 */
export interface OwnPhotoPriceSources {
  /** VPM_OWN_PHOTO_PRICE_CENTS / VPM_OWN_PHOTO_CURRENCY, when set. */
  configured: PriceList | null;
  /** The price list of the event running at the printer's venue (newest), if any. */
  eventPriceList: PriceList | null;
}

export function ownPhotoPriceList(sources: OwnPhotoPriceSources): PriceList | null {
  return sources.configured ?? sources.eventPriceList;
}

/**
 * Prices one or more jobs together (bundles count across jobs, as they do across an order's
 * photos): each entry is a job's print count. Throws RangeError outside 1..MAX_PRINTS_PER_ORDER.
 */
export function priceOwnPhotoJobs(priceList: PriceList, printCounts: readonly number[]): PriceQuote {
  return priceOrder(
    priceList,
    printCounts.map((copies, i) => ({ imageId: `job-${i}`, copies })),
  );
}
