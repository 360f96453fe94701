import { MongoClient } from 'mongodb';
import { AppError } from '../../shared/errors.ts';
import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import type { OrderEvent, OrderState } from '../../shared/policy/order-state.ts';
import type { PriceList } from '../../shared/policy/pricing.ts';
import { type Collections, collections, createIndexes } from './mongo-collections.ts';
import { MongoMedia } from './mongo-media.ts';
import { MongoOffline } from './mongo-offline.ts';
import { MAX_CONDITIONAL_ATTEMPTS, MongoOrders } from './mongo-orders.ts';
import { MongoOwnPhotos } from './mongo-own-photos.ts';
import {
  databaseNameFromUri,
  holdingsId,
  isDuplicateKeyError,
  leaseFilter,
  redactUri,
  stripId,
} from './mongo-queries.ts';
import { OfflineStoreDelegate } from './offline-delegate.ts';
import type { TransitionPatch } from './order-rules.ts';
import type { ClaimOutcome, ConfirmOutcome, RedemptionClaim, SalesLine, Store } from './port.ts';
import { storeConflict } from './port.ts';
import type {
  CoordinatorNodeRecord,
  CredentialRecord,
  EventRecord,
  FeedHead,
  HoldingsRecord,
  ImageRecord,
  MediaObject,
  OrderRecord,
  PaymentEventRecord,
  PrinterRecord,
  PrinterReportRecord,
  VenueRecord,
} from './records.ts';
import { redeemBySteps } from './redemption-step.ts';

export interface MongoStoreOptions {
  uri: string;
  /** Defaults to the database named in the URI, else DEFAULT_MONGO_DB_NAME. */
  dbName?: string;
}

interface OpenMongo {
  client: MongoClient;
  c: Collections;
  media: MongoMedia;
  orders: MongoOrders;
  offline: MongoOffline;
  ownPhotos: MongoOwnPhotos;
}

/** The store on MongoDB, shared by any number of coordinator processes. */
export class MongoStore extends OfflineStoreDelegate implements Store {
  readonly #uri: string;
  readonly #dbName: string;
  #open: OpenMongo | null = null;

  constructor(options: MongoStoreOptions) {
    super();
    this.#uri = options.uri;
    this.#dbName = options.dbName ?? databaseNameFromUri(options.uri);
  }

  protected async _open(): Promise<void> {
    const client = new MongoClient(this.#uri);
    try {
      await client.connect();
      const db = client.db(this.#dbName);
      const c = collections(db);
      await createIndexes(c);
      const offline = new MongoOffline(db);
      await offline.createIndexes();
      const ownPhotos = new MongoOwnPhotos(db);
      await ownPhotos.createIndexes();
      this.#open = { client, c, media: new MongoMedia(db), orders: new MongoOrders(c.orders), offline, ownPhotos };
      this.defer(async () => {
        this.#open = null;
        await client.close();
      });
    } catch (err) {
      await client.close().catch(() => undefined);
      const reason = err instanceof Error ? err.message : String(err);
      throw new AppError(
        'store_unavailable',
        `cannot open MongoDB database "${this.#dbName}" at ${redactUri(this.#uri)}: ${reason}. ` +
          'Check that the server is running and reachable, and that MONGODB_URI is right.',
        { reason },
      );
    }
  }

  get #ready(): OpenMongo {
    if (!this.#open) throw new AppError('store_not_ready', 'the MongoDB store is not open: call ready() first');
    return this.#open;
  }

  get #db(): Collections {
    return this.#ready.c;
  }

  get #orderOps(): MongoOrders {
    return this.#ready.orders;
  }

  /** Runs an insert, turning a duplicate-key refusal into a `store_conflict` AppError. */
  async #insertUnique(what: string, insert: () => Promise<unknown>): Promise<void> {
    try {
      await insert();
    } catch (err) {
      if (isDuplicateKeyError(err)) throw storeConflict(what);
      throw err;
    }
  }

  /**
   * Runs a replace-upsert by _id. Two racing upserts can both miss and both insert; the loser gets a
   * duplicate-key error and, tried again, replaces the winner's document as it should.
   */
  async #upsert(replace: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await replace();
        return;
      } catch (err) {
        if (!isDuplicateKeyError(err) || attempt >= MAX_CONDITIONAL_ATTEMPTS) throw err;
      }
    }
  }

  async insertVenue(venue: VenueRecord): Promise<void> {
    await this.#insertUnique(`venue ${venue.id}`, () => this.#db.venues.insertOne({ ...venue, _id: venue.id }));
  }

  async getVenue(id: string): Promise<VenueRecord | null> {
    const doc = await this.#db.venues.findOne({ _id: id });
    return doc ? stripId(doc) : null;
  }

  async listVenues(): Promise<VenueRecord[]> {
    return (await this.#db.venues.find().sort({ createdAt: 1, _id: 1 }).toArray()).map(stripId);
  }

  async insertEvent(event: EventRecord): Promise<void> {
    await this.#insertUnique(`event ${event.id}`, () => this.#db.events.insertOne({ ...event, _id: event.id }));
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    const doc = await this.#db.events.findOne({ _id: id });
    return doc ? stripId(doc) : null;
  }

  async listEvents(filter?: { venueId?: string }): Promise<EventRecord[]> {
    const query = filter?.venueId !== undefined ? { venueId: filter.venueId } : {};
    return (await this.#db.events.find(query).sort({ createdAt: -1, _id: -1 }).toArray()).map(stripId);
  }

  async raiseFeedHead(eventId: string, head: FeedHead): Promise<void> {
    await this.#db.events.updateOne(
      { _id: eventId },
      { $max: { 'feedHead.blobsLength': head.blobsLength, 'feedHead.catalogLength': head.catalogLength } },
    );
  }

  async setEventPriceList(eventId: string, priceList: PriceList): Promise<EventRecord | null> {
    const doc = await this.#db.events.findOneAndUpdate(
      { _id: eventId },
      { $set: { priceList: structuredClone(priceList) } },
      { returnDocument: 'after' },
    );
    return doc ? stripId(doc) : null;
  }

  async insertImage(image: ImageRecord): Promise<{ inserted: true } | { inserted: false; existing: ImageRecord }> {
    try {
      await this.#db.images.insertOne({ ...image, _id: image.id });
      return { inserted: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const existing = await this.#db.images.findOne({ eventId: image.eventId, sha256: image.sha256 });
    if (existing) return { inserted: false, existing: stripId(existing) };
    throw storeConflict(`image ${image.id}`);
  }

  async getImage(id: string): Promise<ImageRecord | null> {
    const doc = await this.#db.images.findOne({ _id: id });
    return doc ? stripId(doc) : null;
  }

  async listImages(eventId: string): Promise<ImageRecord[]> {
    const images = this.#db.images;
    const appended = await images.find({ eventId, feedState: 'appended' }).sort({ seq: 1, _id: 1 }).toArray();
    const pending = await images.find({ eventId, feedState: 'pending' }).sort({ createdAt: 1, _id: 1 }).toArray();
    return [...appended, ...pending].map(stripId);
  }

  async listPendingImages(eventId: string, limit: number): Promise<ImageRecord[]> {
    const max = Math.floor(limit);
    // MongoDB reads limit(0) as "no limit".
    if (!(max > 0)) return [];
    const docs = await this.#db.images
      .find({ eventId, feedState: 'pending' })
      .sort({ createdAt: 1, _id: 1 })
      .limit(max)
      .toArray();
    return docs.map(stripId);
  }

  async listEventsWithPendingImages(): Promise<string[]> {
    const ids = await this.#db.images.distinct('eventId', { feedState: 'pending' });
    return ids.sort();
  }

  async markImageAppended(id: string, feed: BlobCoordinates, seq: number): Promise<boolean> {
    const result = await this.#db.images.updateOne(
      { _id: id, feedState: 'pending' },
      { $set: { feedState: 'appended', feed, seq } },
    );
    return result.matchedCount === 1;
  }

  async putMedia(key: string, media: MediaObject): Promise<void> {
    await this.#ready.media.put(key, media);
  }

  async getMedia(key: string): Promise<MediaObject | null> {
    return this.#ready.media.get(key);
  }

  async deleteMedia(key: string): Promise<void> {
    await this.#ready.media.delete(key);
  }

  async listMediaKeys(prefix: string, afterKey: string | null, limit: number): Promise<string[]> {
    return this.#ready.media.listKeys(prefix, afterKey, limit);
  }

  async insertOrder(order: OrderRecord): Promise<void> {
    await this.#insertUnique(`order ${order.id} or order code ${order.code}`, () =>
      this.#db.orders.insertOne({ ...order, _id: order.id }),
    );
  }

  async getOrder(id: string): Promise<OrderRecord | null> {
    return this.#orderOps.get(id);
  }

  async getOrderByCode(code: string): Promise<OrderRecord | null> {
    return this.#orderOps.getByCode(code);
  }

  async transitionOrder(id: string, event: OrderEvent, patch?: TransitionPatch): Promise<OrderRecord | null> {
    return this.#orderOps.transition(id, event, patch);
  }

  async claimOrder(id: string, printerId: string, now: number, claimTtlMs: number): Promise<ClaimOutcome> {
    return this.#orderOps.claim(id, printerId, now, claimTtlMs);
  }

  async redeemOrderByCode(...args: Parameters<Store['redeemOrderByCode']>): Promise<RedemptionClaim> {
    return redeemBySteps(this, ...args);
  }

  async confirmPrinted(
    id: string,
    printerId: string,
    unit: number,
    now: number,
    claimTtlMs: number,
  ): Promise<ConfirmOutcome> {
    return this.#orderOps.confirm(id, printerId, unit, now, claimTtlMs);
  }

  async releaseClaim(id: string, expectedPrinterId: string | null): Promise<OrderRecord | null> {
    return this.#orderOps.release(id, expectedPrinterId);
  }

  async countOrdersByState(): Promise<Record<OrderState, number>> {
    return this.#orderOps.countByState();
  }

  async salesSince(since: number): Promise<SalesLine[]> {
    return this.#orderOps.salesSince(since);
  }

  async listOrders(filter: { eventId: string; states: readonly OrderState[] }, limit: number): Promise<OrderRecord[]> {
    return this.#orderOps.list(filter.eventId, filter.states, limit);
  }

  async recordPaymentEvent(event: PaymentEventRecord): Promise<boolean> {
    try {
      await this.#db.paymentEvents.insertOne({ ...event, _id: event.id });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async insertPrinter(printer: PrinterRecord): Promise<void> {
    await this.#insertUnique(`printer ${printer.id}`, () =>
      this.#db.printers.insertOne({ ...printer, _id: printer.id }),
    );
  }

  async getPrinter(id: string): Promise<PrinterRecord | null> {
    const doc = await this.#db.printers.findOne({ _id: id });
    return doc ? stripId(doc) : null;
  }

  async listPrinters(filter?: { venueId?: string }): Promise<PrinterRecord[]> {
    const query = filter?.venueId !== undefined ? { venueId: filter.venueId } : {};
    return (await this.#db.printers.find(query).sort({ pairedAt: 1, _id: 1 }).toArray()).map(stripId);
  }

  async revokePrinter(id: string, at: number): Promise<PrinterRecord | null> {
    // The first revocation time stands: revoking twice must not move it.
    const revoked = await this.#db.printers.findOneAndUpdate(
      { _id: id, revokedAt: null },
      { $set: { revokedAt: at, cardReaderId: null } },
      { returnDocument: 'after' },
    );
    return revoked ? stripId(revoked) : this.getPrinter(id);
  }

  async setPrinterCardReader(id: string, cardReaderId: string | null): Promise<PrinterRecord | null> {
    try {
      const doc = await this.#db.printers.findOneAndUpdate(
        { _id: id },
        { $set: { cardReaderId } },
        { returnDocument: 'after' },
      );
      return doc ? stripId(doc) : null;
    } catch (err) {
      if (isDuplicateKeyError(err)) throw storeConflict(`card reader ${cardReaderId} on another printer`);
      throw err;
    }
  }

  async touchPrinter(id: string, at: number): Promise<void> {
    await this.#db.printers.updateOne({ _id: id }, { $max: { lastSeenAt: at } });
  }

  async putPrinterReport(report: PrinterReportRecord): Promise<void> {
    await this.#upsert(() =>
      this.#db.printerReports.replaceOne({ _id: report.printerId }, { ...report }, { upsert: true }),
    );
  }

  async listPrinterReports(filter: { venueId?: string } = {}): Promise<PrinterReportRecord[]> {
    const query = filter.venueId === undefined ? {} : { venueId: filter.venueId };
    return (await this.#db.printerReports.find(query).sort({ printerId: 1 }).toArray()).map(stripId);
  }

  async putHoldings(holdings: HoldingsRecord): Promise<void> {
    const _id = holdingsId(holdings.printerId, holdings.eventId);
    await this.#upsert(() => this.#db.holdings.replaceOne({ _id }, { ...holdings }, { upsert: true }));
  }

  async getHoldings(printerId: string, eventId: string): Promise<HoldingsRecord | null> {
    const doc = await this.#db.holdings.findOne({ _id: holdingsId(printerId, eventId) });
    return doc ? stripId(doc) : null;
  }

  async listHoldings(eventId: string): Promise<HoldingsRecord[]> {
    return (await this.#db.holdings.find({ eventId }).sort({ printerId: 1 }).toArray()).map(stripId);
  }

  async insertCredential(credential: CredentialRecord): Promise<void> {
    await this.#insertUnique('a credential with this token', () =>
      this.#db.credentials.insertOne({ ...credential, _id: credential.tokenHash }),
    );
  }

  async getCredential(tokenHash: string): Promise<CredentialRecord | null> {
    const doc = await this.#db.credentials.findOne({ _id: tokenHash });
    return doc ? stripId(doc) : null;
  }

  async listCredentials(): Promise<CredentialRecord[]> {
    return (await this.#db.credentials.find({}).sort({ createdAt: 1, _id: 1 }).toArray()).map(stripId);
  }

  async revokeCredential(tokenHash: string, at: number): Promise<CredentialRecord | null> {
    // The first revocation time stands: revoking twice must not move it.
    const revoked = await this.#db.credentials.findOneAndUpdate(
      { _id: tokenHash, revokedAt: null },
      { $set: { revokedAt: at } },
      { returnDocument: 'after' },
    );
    return revoked ? stripId(revoked) : this.getCredential(tokenHash);
  }

  async acquireLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    try {
      await this.#db.leases.updateOne(
        leaseFilter(name, holder, now),
        { $set: { holder, expiresAt: now + ttlMs } },
        { upsert: true },
      );
      return true;
    } catch (err) {
      // The filter missed because someone else holds a live lease, so the upsert tried to insert
      // a second document with the same _id: that is a refusal, not a failure.
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#db.leases.deleteOne({ _id: name, holder });
  }

  async touchCoordinatorNode(node: CoordinatorNodeRecord): Promise<void> {
    await this.#upsert(() => this.#db.coordinatorNodes.replaceOne({ _id: node.id }, { ...node }, { upsert: true }));
  }

  async listCoordinatorNodes(since: number): Promise<CoordinatorNodeRecord[]> {
    const docs = await this.#db.coordinatorNodes
      .find({ lastSeenAt: { $gte: since } })
      .sort({ _id: 1 })
      .toArray();
    return docs.map(stripId);
  }

  /** The offline part (issue #6): OfflineStoreDelegate forwards to it. */
  protected offlinePart(): MongoOffline {
    return this.#ready.offline;
  }

  /** Own-photo print jobs (issue #13 item 3), in their own collection. */
  ownPhotoJobs(): MongoOwnPhotos {
    return this.#ready.ownPhotos;
  }
}
