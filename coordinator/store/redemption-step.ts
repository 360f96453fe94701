import { claimQueuesFeed, isRenewal } from './order-rules.ts';
import type { ClaimFeedEntry, RedemptionClaim, Store } from './port.ts';

/**
 * Store.redeemOrderByCode made of the port's single steps, for an adapter without a cheaper way
 * (MongoDB): the same answers in several round trips. The claim itself is still claimOrder's one
 * atomic conditional update; the order's code, venue and items never change, so reading it first
 * decides nothing that the claim does not check again.
 */
export async function redeemBySteps(
  store: Pick<Store, 'getOrderByCode' | 'claimOrder' | 'getHoldings' | 'getImage' | 'queueOrderForFeed'>,
  code: string,
  printerId: string,
  venueId: string,
  now: number,
  claimTtlMs: number,
  feedEntry?: ClaimFeedEntry,
): Promise<RedemptionClaim> {
  const before = await store.getOrderByCode(code);
  if (!before) return { outcome: 'not_found' };
  if (before.venueId !== venueId) return { outcome: 'other_venue', order: before };
  const claim = await store.claimOrder(before.id, printerId, now, claimTtlMs);
  if (claim.outcome !== 'claimed') return claim;
  const [holdings, images] = await Promise.all([
    store.getHoldings(printerId, claim.order.eventId),
    Promise.all(claim.order.items.map((item) => store.getImage(item.imageId))),
  ]);
  const result: RedemptionClaim = {
    outcome: 'claimed',
    order: claim.order,
    renewed: isRenewal(before, claim.order, printerId),
    holdings,
    images,
  };
  // A write of its own here: the claim above is already durable, so a crash between the two loses
  // only this feed entry, as a crash between two calls of the caller would.
  if (feedEntry && claimQueuesFeed(result)) {
    await store.queueOrderForFeed({ orderId: claim.order.id, venueId: claim.order.venueId, ...feedEntry });
  }
  return result;
}
