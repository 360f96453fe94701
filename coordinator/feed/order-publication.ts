import type { Clock } from '../../shared/ports/clock.ts';
import { type Random, randomId } from '../../shared/ports/random.ts';
import type { ClaimFeedEntry, Store } from '../store/port.ts';
import type { OrderRecord } from '../store/records.ts';
import type { FeedPort } from './feed-port.ts';

/**
 * Queues the order's current state for its venue's orders feed, durably (store outbox) before the
 * caller answers, then wakes the appender. Called when an order is paid, claimed, fulfilled or
 * released, so offline printers know what is paid and what is taken. Orders never paid are not
 * published (they cannot be redeemed).
 */
export async function publishOrder(
  deps: { store: Store; feeds: FeedPort; clock: Clock; random: Random },
  order: OrderRecord,
): Promise<void> {
  if (order.paidAt === null) return;
  await deps.store.queueOrderForFeed({ orderId: order.id, venueId: order.venueId, ...orderFeedEntry(deps) });
  deps.feeds.notifyOrdersQueued(order.venueId);
}

/** When and under which token an order is queued for its feed (the appender's compare-and-delete token). */
export function orderFeedEntry(deps: { clock: Clock; random: Random }): ClaimFeedEntry {
  return { queuedAt: deps.clock.now(), token: randomId(deps.random, 9) };
}
