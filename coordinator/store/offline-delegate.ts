import type { OfflineStore } from './offline-port.ts';
import type { ConflictRecord, OfflineRedemptionRecord, OrderFeedQueueEntry } from './offline-records.ts';

/** Both store adapters keep their offline part in its own module and forward the port's methods to it. */
export abstract class OfflineStoreDelegate implements OfflineStore {
  protected abstract offlinePart(): OfflineStore;

  queueOrderForFeed(entry: OrderFeedQueueEntry): Promise<void> {
    return this.offlinePart().queueOrderForFeed(entry);
  }

  listQueuedOrders(venueId: string, limit: number): Promise<OrderFeedQueueEntry[]> {
    return this.offlinePart().listQueuedOrders(venueId, limit);
  }

  listVenuesWithQueuedOrders(): Promise<string[]> {
    return this.offlinePart().listVenuesWithQueuedOrders();
  }

  dequeueOrders(entries: ReadonlyArray<Pick<OrderFeedQueueEntry, 'orderId' | 'token'>>): Promise<void> {
    return this.offlinePart().dequeueOrders(entries);
  }

  raiseOrdersFeedHead(venueId: string, length: number): Promise<void> {
    return this.offlinePart().raiseOrdersFeedHead(venueId, length);
  }

  getOrdersFeedHead(venueId: string): Promise<number> {
    return this.offlinePart().getOrdersFeedHead(venueId);
  }

  recordOfflineRedemption(record: OfflineRedemptionRecord): Promise<boolean> {
    return this.offlinePart().recordOfflineRedemption(record);
  }

  listOfflineRedemptions(filter?: { venueId?: string; printerId?: string }): Promise<OfflineRedemptionRecord[]> {
    return this.offlinePart().listOfflineRedemptions(filter);
  }

  insertConflict(conflict: ConflictRecord): Promise<boolean> {
    return this.offlinePart().insertConflict(conflict);
  }

  listConflicts(filter: { venueId?: string }, limit: number): Promise<ConflictRecord[]> {
    return this.offlinePart().listConflicts(filter, limit);
  }
}
