import type Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import type { OrderEvent, OrderState } from '../../shared/policy/order-state.ts';
import type { PriceList } from '../../shared/policy/pricing.ts';
import { OfflineStoreDelegate } from './offline-delegate.ts';
import type { TransitionPatch } from './order-rules.ts';
import type { OwnPhotoJobStore } from './own-photo-port.ts';
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
import { parseDoc, parseDocs, SqliteConnection } from './sqlite-connection.ts';
import { SqliteEvents } from './sqlite-events.ts';
import { SqliteImages } from './sqlite-images.ts';
import { SqliteMedia } from './sqlite-media.ts';
import { SqliteOffline } from './sqlite-offline.ts';
import { SqliteOrders } from './sqlite-orders.ts';
import { SqliteOwnPhotos } from './sqlite-own-photos.ts';
import { SqlitePrinters } from './sqlite-printers.ts';
import { redeemOnSqlite } from './sqlite-redemption.ts';

interface SqliteParts {
  connection: SqliteConnection;
  events: SqliteEvents;
  images: SqliteImages;
  media: SqliteMedia;
  orders: SqliteOrders;
  printers: SqlitePrinters;
  offline: SqliteOffline;
  ownPhotos: SqliteOwnPhotos;
}

export interface SqliteStoreOptions {
  /** Database file; ':memory:' for a private throw-away store. */
  path: string;
}

/**
 * The store on one SQLite file, shared safely by several coordinator processes on one machine.
 * better-sqlite3 is synchronous, so within a process nothing interleaves; across processes every
 * read-check-write runs in a BEGIN IMMEDIATE transaction, which takes the database's write lock
 * before the read, so two processes can never both see an order as claimable.
 */
export class SqliteStore extends OfflineStoreDelegate implements Store {
  readonly #path: string;
  #open: SqliteParts | null = null;

  constructor(options: SqliteStoreOptions) {
    super();
    this.#path = options.path;
  }

  protected async _open(): Promise<void> {
    const connection = SqliteConnection.open(this.#path);
    this.defer(() => {
      this.#open = null;
      connection.close();
    });
    this.#open = {
      connection,
      events: new SqliteEvents(connection),
      images: new SqliteImages(connection),
      media: new SqliteMedia(connection),
      orders: new SqliteOrders(connection),
      printers: new SqlitePrinters(connection),
      offline: new SqliteOffline(connection),
      ownPhotos: new SqliteOwnPhotos(connection),
    };
  }

  get #ready(): SqliteParts {
    if (!this.#open) throw new AppError('store_not_ready', 'the SQLite store is not open: call ready() first');
    return this.#open;
  }

  #sql(sql: string): Database.Statement {
    return this.#ready.connection.sql(sql);
  }

  #locked<T>(fn: () => T): T {
    return this.#ready.connection.locked(fn);
  }

  #insert(sql: string, params: unknown[], what: string): void {
    this.#ready.connection.insert(sql, params, what);
  }

  async insertVenue(venue: VenueRecord): Promise<void> {
    this.#insert(
      'INSERT INTO venues (id, created_at, doc) VALUES (?, ?, ?)',
      [venue.id, venue.createdAt, JSON.stringify(venue)],
      `venue ${venue.id}`,
    );
  }

  async getVenue(id: string): Promise<VenueRecord | null> {
    return parseDoc(this.#sql('SELECT doc FROM venues WHERE id = ?').get(id));
  }

  async listVenues(): Promise<VenueRecord[]> {
    return parseDocs(this.#sql('SELECT doc FROM venues ORDER BY created_at, id').all());
  }

  async insertEvent(event: EventRecord): Promise<void> {
    return this.#ready.events.insert(event);
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    return this.#ready.events.get(id);
  }

  async listEvents(filter?: { venueId?: string }): Promise<EventRecord[]> {
    return this.#ready.events.list(filter);
  }

  async raiseFeedHead(eventId: string, head: FeedHead): Promise<void> {
    return this.#ready.events.raiseFeedHead(eventId, head);
  }

  async setEventPriceList(eventId: string, priceList: PriceList): Promise<EventRecord | null> {
    return this.#ready.events.setPriceList(eventId, priceList);
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
    return this.#ready.media.put(key, media);
  }

  async getMedia(key: string): Promise<MediaObject | null> {
    return this.#ready.media.get(key);
  }

  async deleteMedia(key: string): Promise<void> {
    return this.#ready.media.delete(key);
  }

  async listMediaKeys(prefix: string, afterKey: string | null, limit: number): Promise<string[]> {
    return this.#ready.media.listKeys(prefix, afterKey, limit);
  }

  async insertOrder(order: OrderRecord): Promise<void> {
    return this.#ready.orders.insert(order);
  }

  async getOrder(id: string): Promise<OrderRecord | null> {
    return this.#ready.orders.get(id);
  }

  async getOrderByCode(code: string): Promise<OrderRecord | null> {
    return this.#ready.orders.getByCode(code);
  }

  async transitionOrder(id: string, event: OrderEvent, patch?: TransitionPatch): Promise<OrderRecord | null> {
    return this.#ready.orders.transition(id, event, patch);
  }

  async claimOrder(id: string, printerId: string, now: number, claimTtlMs: number): Promise<ClaimOutcome> {
    return this.#ready.orders.claim(id, printerId, now, claimTtlMs);
  }

  async redeemOrderByCode(...args: Parameters<Store['redeemOrderByCode']>): Promise<RedemptionClaim> {
    return redeemOnSqlite(this.#ready.connection, this.#ready.orders, ...args);
  }

  async confirmPrinted(
    id: string,
    printerId: string,
    unit: number,
    now: number,
    claimTtlMs: number,
  ): Promise<ConfirmOutcome> {
    return this.#ready.orders.confirm(id, printerId, unit, now, claimTtlMs);
  }

  async releaseClaim(id: string, expectedPrinterId: string | null): Promise<OrderRecord | null> {
    return this.#ready.orders.release(id, expectedPrinterId);
  }

  async countOrdersByState(): Promise<Record<OrderState, number>> {
    return this.#ready.orders.countByState();
  }

  async salesSince(since: number): Promise<SalesLine[]> {
    return this.#ready.orders.salesSince(since);
  }

  async listOrders(filter: { eventId: string; states: readonly OrderState[] }, limit: number): Promise<OrderRecord[]> {
    return this.#ready.orders.list(filter.eventId, filter.states, limit);
  }

  async recordPaymentEvent(event: PaymentEventRecord): Promise<boolean> {
    const result = this.#sql('INSERT INTO payment_events (id, doc) VALUES (?, ?) ON CONFLICT (id) DO NOTHING').run(
      event.id,
      JSON.stringify(event),
    );
    return result.changes === 1;
  }

  async insertPrinter(printer: PrinterRecord): Promise<void> {
    return this.#ready.printers.insert(printer);
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
    return this.#ready.printers.touch(id, at);
  }

  async putPrinterReport(report: PrinterReportRecord): Promise<void> {
    return this.#ready.printers.putReport(report);
  }

  async listPrinterReports(filter: { venueId?: string } = {}): Promise<PrinterReportRecord[]> {
    return this.#ready.printers.listReports(filter);
  }

  async putHoldings(holdings: HoldingsRecord): Promise<void> {
    this.#sql(
      `INSERT INTO holdings (printer_id, event_id, doc) VALUES (?, ?, ?)
       ON CONFLICT (printer_id, event_id) DO UPDATE SET doc = excluded.doc`,
    ).run(holdings.printerId, holdings.eventId, JSON.stringify(holdings));
  }

  async getHoldings(printerId: string, eventId: string): Promise<HoldingsRecord | null> {
    return parseDoc(
      this.#sql('SELECT doc FROM holdings WHERE printer_id = ? AND event_id = ?').get(printerId, eventId),
    );
  }

  async listHoldings(eventId: string): Promise<HoldingsRecord[]> {
    return parseDocs(this.#sql('SELECT doc FROM holdings WHERE event_id = ? ORDER BY printer_id').all(eventId));
  }

  async insertCredential(credential: CredentialRecord): Promise<void> {
    this.#insert(
      'INSERT INTO credentials (token_hash, doc) VALUES (?, ?)',
      [credential.tokenHash, JSON.stringify(credential)],
      'a credential with this token',
    );
  }

  async getCredential(tokenHash: string): Promise<CredentialRecord | null> {
    return parseDoc(this.#sql('SELECT doc FROM credentials WHERE token_hash = ?').get(tokenHash));
  }

  async listCredentials(): Promise<CredentialRecord[]> {
    return parseDocs(
      this.#sql(`SELECT doc FROM credentials ORDER BY json_extract(doc, '$.createdAt'), token_hash`).all(),
    );
  }

  async revokeCredential(tokenHash: string, at: number): Promise<CredentialRecord | null> {
    return this.#locked(() => {
      const credential = parseDoc<CredentialRecord>(
        this.#sql('SELECT doc FROM credentials WHERE token_hash = ?').get(tokenHash),
      );
      if (!credential || credential.revokedAt !== null) return credential;
      const revoked: CredentialRecord = { ...credential, revokedAt: at };
      this.#sql('UPDATE credentials SET doc = ? WHERE token_hash = ?').run(JSON.stringify(revoked), tokenHash);
      return revoked;
    });
  }

  async acquireLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    // One statement, so atomic on its own: the upsert only overwrites a row the caller holds or
    // one that expired strictly before `now`.
    const result = this.#sql(
      `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at < ?`,
    ).run(name, holder, now + ttlMs, now);
    return result.changes === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.#sql('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder);
  }

  async touchCoordinatorNode(node: CoordinatorNodeRecord): Promise<void> {
    this.#sql(
      `INSERT INTO coordinator_nodes (id, last_seen_at, doc) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at, doc = excluded.doc`,
    ).run(node.id, node.lastSeenAt, JSON.stringify(node));
  }

  async listCoordinatorNodes(since: number): Promise<CoordinatorNodeRecord[]> {
    return parseDocs(this.#sql('SELECT doc FROM coordinator_nodes WHERE last_seen_at >= ? ORDER BY id').all(since));
  }

  /** The offline part (issue #6): OfflineStoreDelegate forwards to it. */
  protected offlinePart(): SqliteOffline {
    return this.#ready.offline;
  }

  /** Own-photo print jobs (issue #13 item 3), in their own table. */
  ownPhotoJobs(): OwnPhotoJobStore {
    return this.#ready.ownPhotos;
  }
}
