import { Resource } from '../../shared/lifecycle/resource.ts';
import type { ConflictFilter, OfflineStore } from './offline-port.ts';
import type {
  ConflictAcknowledgement,
  ConflictRecord,
  OfflineRedemptionRecord,
  OrderFeedQueueEntry,
} from './offline-records.ts';

/**
 * Both store adapters keep their offline part in its own module and forward the port's methods to it.
 * The methods are async so that a store not open (offlinePart() throws) rejects like every other
 * store call instead of throwing: a caller building a Promise.all would otherwise leave the calls
 * already started as unhandled rejections. Both are Resources: one memoised ready()/close().
 */
export abstract class OfflineStoreDelegate extends Resource implements OfflineStore {
  protected abstract offlinePart(): OfflineStore;

  async queueOrderForFeed(entry: OrderFeedQueueEntry): Promise<void> {
    return this.offlinePart().queueOrderForFeed(entry);
  }

  async listQueuedOrders(venueId: string, limit: number): Promise<OrderFeedQueueEntry[]> {
    return this.offlinePart().listQueuedOrders(venueId, limit);
  }

  async listVenuesWithQueuedOrders(): Promise<string[]> {
    return this.offlinePart().listVenuesWithQueuedOrders();
  }

  async dequeueOrders(entries: ReadonlyArray<Pick<OrderFeedQueueEntry, 'orderId' | 'token'>>): Promise<void> {
    return this.offlinePart().dequeueOrders(entries);
  }

  async raiseOrdersFeedHead(venueId: string, length: number): Promise<void> {
    return this.offlinePart().raiseOrdersFeedHead(venueId, length);
  }

  async getOrdersFeedHead(venueId: string): Promise<number> {
    return this.offlinePart().getOrdersFeedHead(venueId);
  }

  async recordOfflineRedemption(record: OfflineRedemptionRecord): Promise<boolean> {
    return this.offlinePart().recordOfflineRedemption(record);
  }

  async listOfflineRedemptions(filter?: { venueId?: string; printerId?: string }): Promise<OfflineRedemptionRecord[]> {
    return this.offlinePart().listOfflineRedemptions(filter);
  }

  async insertConflict(conflict: ConflictRecord): Promise<boolean> {
    return this.offlinePart().insertConflict(conflict);
  }

  async listConflicts(filter: ConflictFilter, limit: number): Promise<ConflictRecord[]> {
    return this.offlinePart().listConflicts(filter, limit);
  }

  async acknowledgeConflict(id: string, acknowledgement: ConflictAcknowledgement): Promise<ConflictRecord | null> {
    return this.offlinePart().acknowledgeConflict(id, acknowledgement);
  }
}
