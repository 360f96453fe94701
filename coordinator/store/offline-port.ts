import type { ConflictRecord, OfflineRedemptionRecord, OrderFeedQueueEntry } from './offline-records.ts';

/**
 * The part of the store port behind offline redemption (issue #6); Store extends it, and both
 * adapters pass test/store-contract-offline.ts. Every write is one atomic statement.
 */
export interface OfflineStore {
  /** Queues (or re-queues, with a new token) an order for its venue's orders feed. */
  queueOrderForFeed(entry: OrderFeedQueueEntry): Promise<void>;
  /** The venue's queued orders, oldest first, at most `limit`. */
  listQueuedOrders(venueId: string, limit: number): Promise<OrderFeedQueueEntry[]>;
  /** Venue ids with queued orders. */
  listVenuesWithQueuedOrders(): Promise<string[]>;
  /** Removes entries whose token is still the one given (an order queued again since stays queued). */
  dequeueOrders(entries: ReadonlyArray<Pick<OrderFeedQueueEntry, 'orderId' | 'token'>>): Promise<void>;
  /** Raises the venue orders feed's committed length; never lowers it. */
  raiseOrdersFeedHead(venueId: string, length: number): Promise<void>;
  /** 0 when nothing was committed yet. */
  getOrdersFeedHead(venueId: string): Promise<number>;

  /** True the first time a (printer, order) offline redemption is recorded; false after (kept as first seen). */
  recordOfflineRedemption(record: OfflineRedemptionRecord): Promise<boolean>;
  /** Oldest first. */
  listOfflineRedemptions(filter?: { venueId?: string; printerId?: string }): Promise<OfflineRedemptionRecord[]>;

  /** True the first time a conflict id is recorded; a repeat changes nothing. */
  insertConflict(conflict: ConflictRecord): Promise<boolean>;
  /** Newest first, at most `limit`. */
  listConflicts(filter: { venueId?: string }, limit: number): Promise<ConflictRecord[]>;
}
