import type {
  ConflictAcknowledgement,
  ConflictRecord,
  OfflineRedemptionRecord,
  OrderFeedQueueEntry,
} from './offline-records.ts';

/** `acknowledged: false` lists the conflicts still waiting for an operator. */
export interface ConflictFilter {
  venueId?: string;
  /** One order's conflicts (the fan's order page says what happened to a late payment). */
  orderId?: string;
  acknowledged?: boolean;
}

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
  listConflicts(filter: ConflictFilter, limit: number): Promise<ConflictRecord[]>;
  /**
   * Marks the conflict as dealt with, atomically: the first acknowledgement stands and a repeat
   * returns the record unchanged. Null when there is no conflict with this id.
   */
  acknowledgeConflict(id: string, acknowledgement: ConflictAcknowledgement): Promise<ConflictRecord | null>;
}
