import { AppError } from '../../shared/errors.ts';
import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import type { OrderEvent, OrderState } from '../../shared/policy/order-state.ts';
import type { PriceList } from '../../shared/policy/pricing.ts';
import type { Collections } from './mongo-collections.ts';
import { connectMongo, type MongoParts } from './mongo-connection.ts';
import type { MongoOffline } from './mongo-offline.ts';
import type { MongoOrders } from './mongo-orders.ts';
import type { MongoOwnPhotos } from './mongo-own-photos.ts';
import { databaseNameFromUri, holdingsId, isDuplicateKeyError, leaseFilter, stripId } from './mongo-queries.ts';
import { insertIfAbsent, insertUnique, upsertRetried } from './mongo-writes.ts';
import { OfflineStoreDelegate } from './offline-delegate.ts';
import type { TransitionPatch } from './order-rules.ts';
import type { ClaimOutcome, ConfirmOutcome, RedemptionClaim, SalesLine, Store } from './port.ts';
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

/** The store on MongoDB, shared by any number of coordinator processes. */
export class MongoStore extends OfflineStoreDelegate implements Store {
  readonly #uri: string;
  readonly #dbName: string;
  #open: MongoParts | null = null;

  constructor(options: MongoStoreOptions) {
    super();
    this.#uri = options.uri;
    this.#dbName = options.dbName ?? databaseNameFromUri(options.uri);
  }

  protected async _open(): Promise<void> {
    const parts = await connectMongo(this.#uri, this.#dbName);
    this.#open = parts;
    this.defer(async () => {
      this.#open = null;
      await parts.client.close();
    });
  }

  get #ready(): MongoParts {
    if (!this.#open) throw new AppError('store_not_ready', 'the MongoDB store is not open: call ready() first');
    return this.#open;
  }

  get #db(): Collections {
    return this.#ready.c;
  }

  get #orderOps(): MongoOrders {
    return this.#ready.orders;
  }

  async insertVenue(venue: VenueRecord): Promise<void> {
    await insertUnique(`venue ${venue.id}`, () => this.#db.venues.insertOne({ ...venue, _id: venue.id }));
  }

  async getVenue(id: string): Promise<VenueRecord | null> {
    const doc = await this.#db.venues.findOne({ _id: id });
    return doc ? stripId(doc) : null;
  }

  async listVenues(): Promise<VenueRecord[]> {
    return (await this.#db.venues.find().sort({ createdAt: 1, _id: 1 }).toArray()).map(stripId);
  }

  async insertEvent(event: EventRecord): Promise<void> {
    await insertUnique(`event ${event.id}`, () => this.#db.events.insertOne({ ...event, _id: event.id }));
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
    return this.#ready.images.insert(image);
  }

  async getImage(id: string): Promise<ImageRecord | null> {
    return this.#ready.images.get(id);
  }

  async listImages(eventId: string): Promise<ImageRecord[]> {
    return this.#ready.images.list(eventId);
  }

  async listPendingImages(eventId: string, limit: number): Promise<ImageRecord[]> {
    return this.#ready.images.listPending(eventId, limit);
  }

  async listEventsWithPendingImages(): Promise<string[]> {
    return this.#ready.images.listEventsWithPending();
  }

  async markImageAppended(id: string, feed: BlobCoordinates, seq: number): Promise<boolean> {
    return this.#ready.images.markAppended(id, feed, seq);
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
    await insertUnique(`order ${order.id} or order code ${order.code}`, () =>
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
    return insertIfAbsent(() => this.#db.paymentEvents.insertOne({ ...event, _id: event.id }));
  }

  async insertPrinter(printer: PrinterRecord): Promise<void> {
    await this.#ready.printers.insert(printer);
  }

  async getPrinter(id: string): Promise<PrinterRecord | null> {
    return this.#ready.printers.get(id);
  }

  async listPrinters(filter?: { venueId?: string }): Promise<PrinterRecord[]> {
    return this.#ready.printers.list(filter);
  }

  async revokePrinter(id: string, at: number): Promise<PrinterRecord | null> {
    return this.#ready.printers.revoke(id, at);
  }

  async setPrinterCardReader(id: string, cardReaderId: string | null): Promise<PrinterRecord | null> {
    return this.#ready.printers.setCardReader(id, cardReaderId);
  }

  async touchPrinter(id: string, at: number): Promise<void> {
    await this.#ready.printers.touch(id, at);
  }

  async putPrinterReport(report: PrinterReportRecord): Promise<void> {
    await this.#ready.printers.putReport(report);
  }

  async listPrinterReports(filter: { venueId?: string } = {}): Promise<PrinterReportRecord[]> {
    return this.#ready.printers.listReports(filter);
  }

  async putHoldings(holdings: HoldingsRecord): Promise<void> {
    const _id = holdingsId(holdings.printerId, holdings.eventId);
    await upsertRetried(() => this.#db.holdings.replaceOne({ _id }, { ...holdings }, { upsert: true }));
  }

  async getHoldings(printerId: string, eventId: string): Promise<HoldingsRecord | null> {
    const doc = await this.#db.holdings.findOne({ _id: holdingsId(printerId, eventId) });
    return doc ? stripId(doc) : null;
  }

  async listHoldings(eventId: string): Promise<HoldingsRecord[]> {
    return (await this.#db.holdings.find({ eventId }).sort({ printerId: 1 }).toArray()).map(stripId);
  }

  async insertCredential(credential: CredentialRecord): Promise<void> {
    await insertUnique('a credential with this token', () =>
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
    await upsertRetried(() => this.#db.coordinatorNodes.replaceOne({ _id: node.id }, { ...node }, { upsert: true }));
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
