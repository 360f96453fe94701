import { claimQueuesFeed } from './order-rules.ts';
import type { ClaimFeedEntry, RedemptionClaim } from './port.ts';
import type { HoldingsRecord, ImageRecord } from './records.ts';
import { parseDoc, type SqliteConnection } from './sqlite-connection.ts';
import { queueForFeedLocked } from './sqlite-offline.ts';
import type { SqliteOrders } from './sqlite-orders.ts';

/**
 * Store.redeemOrderByCode on SQLite: the claim and the reads of its print job are one operation of
 * the group commit. Issue #16: each separate read of a redemption (order by code, holdings, every
 * image) cost several times what the same read costs inside the group, where the reads of many
 * redemptions run back to back; the order is read once instead of twice.
 */
export function redeemOnSqlite(
  connection: SqliteConnection,
  orders: SqliteOrders,
  code: string,
  printerId: string,
  venueId: string,
  now: number,
  claimTtlMs: number,
  feedEntry?: ClaimFeedEntry,
): Promise<RedemptionClaim> {
  return connection.lockedGrouped((): RedemptionClaim => {
    const claim = orders.claimByCodeLocked(code, printerId, venueId, now, claimTtlMs);
    if (claim.outcome !== 'claimed') return claim;
    const holdings = parseDoc<HoldingsRecord>(
      connection
        .sql('SELECT doc FROM holdings WHERE printer_id = ? AND event_id = ?')
        .get(printerId, claim.order.eventId),
    );
    const image = connection.sql('SELECT doc FROM images WHERE id = ?');
    const images = claim.order.items.map((item) => parseDoc<ImageRecord>(image.get(item.imageId)));
    const result: RedemptionClaim = {
      outcome: 'claimed',
      order: claim.order,
      renewed: claim.renewed,
      holdings,
      images,
    };
    // The outbox row commits with the claim: one fsync, and never a claim the feed does not hear of.
    if (feedEntry && claimQueuesFeed(result)) {
      queueForFeedLocked(connection, { orderId: claim.order.id, venueId: claim.order.venueId, ...feedEntry });
    }
    return result;
  });
}
