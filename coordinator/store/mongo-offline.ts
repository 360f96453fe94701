import type { Collection, Db } from 'mongodb';
import { type StoredDoc, stripId } from './mongo-queries.ts';
import { insertIfAbsent, upsertRetried } from './mongo-writes.ts';
import type { ConflictFilter, OfflineStore } from './offline-port.ts';
import type {
  ConflictAcknowledgement,
  ConflictRecord,
  OfflineRedemptionRecord,
  OrderFeedQueueEntry,
} from './offline-records.ts';

interface HeadDoc {
  _id: string;
  length: number;
}

/** The offline part of the store on MongoDB: its own collections, one single-document write per step. */
export class MongoOffline implements OfflineStore {
  readonly #queue: Collection<StoredDoc<OrderFeedQueueEntry>>;
  readonly #heads: Collection<HeadDoc>;
  readonly #redemptions: Collection<StoredDoc<OfflineRedemptionRecord>>;
  readonly #conflicts: Collection<StoredDoc<ConflictRecord>>;

  constructor(db: Db) {
    this.#queue = db.collection('orderFeedQueue');
    this.#heads = db.collection('ordersFeedHeads');
    this.#redemptions = db.collection('offlineRedemptions');
    this.#conflicts = db.collection('conflicts');
  }

  async createIndexes(): Promise<void> {
    await this.#queue.createIndex({ venueId: 1, queuedAt: 1 });
    await this.#redemptions.createIndex({ venueId: 1, receivedAt: 1 });
    await this.#redemptions.createIndex({ printerId: 1, receivedAt: 1 });
    await this.#conflicts.createIndex({ venueId: 1, detectedAt: -1 });
    // The console's alert polls unacknowledged conflicts ({acknowledged: {$exists: false}}).
    await this.#conflicts.createIndex({ acknowledged: 1, detectedAt: -1 });
  }

  async queueOrderForFeed(entry: OrderFeedQueueEntry): Promise<void> {
    await upsertRetried(() => this.#queue.replaceOne({ _id: entry.orderId }, { ...entry }, { upsert: true }));
  }

  async listQueuedOrders(venueId: string, limit: number): Promise<OrderFeedQueueEntry[]> {
    const max = Math.floor(limit);
    // MongoDB reads limit(0) as "no limit".
    if (!(max > 0)) return [];
    const docs = await this.#queue.find({ venueId }).sort({ queuedAt: 1, _id: 1 }).limit(max).toArray();
    return docs.map(stripId);
  }

  async listVenuesWithQueuedOrders(): Promise<string[]> {
    return (await this.#queue.distinct('venueId', {})).sort();
  }

  async dequeueOrders(entries: ReadonlyArray<Pick<OrderFeedQueueEntry, 'orderId' | 'token'>>): Promise<void> {
    if (entries.length === 0) return;
    await this.#queue.deleteMany({ $or: entries.map((e) => ({ _id: e.orderId, token: e.token })) });
  }

  async raiseOrdersFeedHead(venueId: string, length: number): Promise<void> {
    await upsertRetried(() => this.#heads.updateOne({ _id: venueId }, { $max: { length } }, { upsert: true }));
  }

  async getOrdersFeedHead(venueId: string): Promise<number> {
    return (await this.#heads.findOne({ _id: venueId }))?.length ?? 0;
  }

  async recordOfflineRedemption(record: OfflineRedemptionRecord): Promise<boolean> {
    return insertIfAbsent(() => this.#redemptions.insertOne({ ...record, _id: record.id }));
  }

  async listOfflineRedemptions(
    filter: { venueId?: string; printerId?: string } = {},
  ): Promise<OfflineRedemptionRecord[]> {
    const query = {
      ...(filter.venueId !== undefined ? { venueId: filter.venueId } : {}),
      ...(filter.printerId !== undefined ? { printerId: filter.printerId } : {}),
    };
    return (await this.#redemptions.find(query).sort({ receivedAt: 1, _id: 1 }).toArray()).map(stripId);
  }

  async insertConflict(conflict: ConflictRecord): Promise<boolean> {
    return insertIfAbsent(() => this.#conflicts.insertOne({ ...conflict, _id: conflict.id }));
  }

  async listConflicts(filter: ConflictFilter, limit: number): Promise<ConflictRecord[]> {
    const max = Math.floor(limit);
    if (!(max > 0)) return [];
    const query = {
      ...(filter.venueId !== undefined ? { venueId: filter.venueId } : {}),
      ...(filter.orderId !== undefined ? { orderId: filter.orderId } : {}),
      ...(filter.acknowledged !== undefined ? { acknowledged: { $exists: filter.acknowledged } } : {}),
    };
    return (await this.#conflicts.find(query).sort({ detectedAt: -1, _id: -1 }).limit(max).toArray()).map(stripId);
  }

  async acknowledgeConflict(id: string, acknowledgement: ConflictAcknowledgement): Promise<ConflictRecord | null> {
    // One conditional single-document update: of two operators acknowledging at once, the first stands.
    const updated = await this.#conflicts.findOneAndUpdate(
      { _id: id, acknowledged: { $exists: false } },
      { $set: { acknowledged: acknowledgement } },
      { returnDocument: 'after' },
    );
    const doc = updated ?? (await this.#conflicts.findOne({ _id: id }));
    return doc ? stripId(doc) : null;
  }
}
