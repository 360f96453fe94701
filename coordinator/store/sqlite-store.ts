import type Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import type { OrderEvent, OrderState } from '../../shared/policy/order-state.ts';
import type { PriceList } from '../../shared/policy/pricing.ts';
import { OfflineStoreDelegate } from './offline-delegate.ts';
import type { TransitionPatch } from './order-rules.ts';
import type { OwnPhotoJobStore } from './own-photo-port.ts';
import {
  type ClaimOutcome,
  type ConfirmOutcome,
  type RedemptionClaim,
  type SalesLine,
  type Store,
  storeConflict,
} from './port.ts';
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
import { isUniqueViolation, parseDoc, parseDocs, SqliteConnection } from './sqlite-connection.ts';
import { SqliteOffline } from './sqlite-offline.ts';
import { SqliteOrders } from './sqlite-orders.ts';
import { SqliteOwnPhotos } from './sqlite-own-photos.ts';
import { redeemOnSqlite } from './sqlite-redemption.ts';

interface SqliteParts {
  connection: SqliteConnection;
  orders: SqliteOrders;
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
      orders: new SqliteOrders(connection),
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
    this.#insert(
      'INSERT INTO events (id, venue_id, created_at, doc) VALUES (?, ?, ?, ?)',
      [event.id, event.venueId, event.createdAt, JSON.stringify(event)],
      `event ${event.id}`,
    );
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    return parseDoc(this.#sql('SELECT doc FROM events WHERE id = ?').get(id));
  }

  async listEvents(filter?: { venueId?: string }): Promise<EventRecord[]> {
    return parseDocs(
      this.#sql(
        'SELECT doc FROM events WHERE @venueId IS NULL OR venue_id = @venueId ORDER BY created_at DESC, id DESC',
      ).all({
        venueId: filter?.venueId ?? null,
      }),
    );
  }

  async raiseFeedHead(eventId: string, head: FeedHead): Promise<void> {
    this.#locked(() => {
      const event = parseDoc<EventRecord>(this.#sql('SELECT doc FROM events WHERE id = ?').get(eventId));
      if (!event) return;
      const raised: FeedHead = {
        blobsLength: Math.max(event.feedHead.blobsLength, head.blobsLength),
        catalogLength: Math.max(event.feedHead.catalogLength, head.catalogLength),
      };
      if (raised.blobsLength === event.feedHead.blobsLength && raised.catalogLength === event.feedHead.catalogLength) {
        return;
      }
      this.#sql('UPDATE events SET doc = ? WHERE id = ?').run(JSON.stringify({ ...event, feedHead: raised }), eventId);
    });
  }

  async setEventPriceList(eventId: string, priceList: PriceList): Promise<EventRecord | null> {
    return this.#locked(() => {
      const event = parseDoc<EventRecord>(this.#sql('SELECT doc FROM events WHERE id = ?').get(eventId));
      if (!event) return null;
      const next: EventRecord = { ...event, priceList: structuredClone(priceList) };
      this.#sql('UPDATE events SET doc = ? WHERE id = ?').run(JSON.stringify(next), eventId);
      return next;
    });
  }

  async insertImage(image: ImageRecord): Promise<{ inserted: true } | { inserted: false; existing: ImageRecord }> {
    return this.#locked(() => {
      const existing = parseDoc<ImageRecord>(
        this.#sql('SELECT doc FROM images WHERE event_id = ? AND sha256 = ?').get(image.eventId, image.sha256),
      );
      if (existing) return { inserted: false as const, existing };
      this.#insert(
        'INSERT INTO images (id, event_id, sha256, feed_state, seq, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [image.id, image.eventId, image.sha256, image.feedState, image.seq, image.createdAt, JSON.stringify(image)],
        `image ${image.id}`,
      );
      return { inserted: true as const };
    });
  }

  async getImage(id: string): Promise<ImageRecord | null> {
    return parseDoc(this.#sql('SELECT doc FROM images WHERE id = ?').get(id));
  }

  async listImages(eventId: string): Promise<ImageRecord[]> {
    return parseDocs(
      this.#sql(
        `SELECT doc FROM images WHERE event_id = ?
         ORDER BY CASE feed_state WHEN 'appended' THEN 0 ELSE 1 END, seq, created_at, id`,
      ).all(eventId),
    );
  }

  async listPendingImages(eventId: string, limit: number): Promise<ImageRecord[]> {
    return parseDocs(
      this.#sql(
        `SELECT doc FROM images WHERE event_id = ? AND feed_state = 'pending' ORDER BY created_at, id LIMIT ?`,
      ).all(eventId, Math.max(0, Math.floor(limit))),
    );
  }

  async listEventsWithPendingImages(): Promise<string[]> {
    const rows = this.#sql(
      `SELECT DISTINCT event_id FROM images WHERE feed_state = 'pending' ORDER BY event_id`,
    ).all() as Array<{ event_id: string }>;
    return rows.map((row) => row.event_id);
  }

  async markImageAppended(id: string, feed: BlobCoordinates, seq: number): Promise<boolean> {
    return this.#locked(() => {
      const image = parseDoc<ImageRecord>(
        this.#sql(`SELECT doc FROM images WHERE id = ? AND feed_state = 'pending'`).get(id),
      );
      if (!image) return false;
      const appended: ImageRecord = { ...image, feedState: 'appended', feed: { ...feed }, seq };
      this.#sql('UPDATE images SET feed_state = ?, seq = ?, doc = ? WHERE id = ?').run(
        appended.feedState,
        seq,
        JSON.stringify(appended),
        id,
      );
      return true;
    });
  }

  async putMedia(key: string, media: MediaObject): Promise<void> {
    this.#sql(
      `INSERT INTO media (key, content_type, bytes) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes`,
    ).run(key, media.contentType, media.bytes);
  }

  async getMedia(key: string): Promise<MediaObject | null> {
    const row = this.#sql('SELECT content_type, bytes FROM media WHERE key = ?').get(key) as
      | { content_type: string; bytes: Buffer }
      | undefined;
    return row ? { bytes: row.bytes, contentType: row.content_type } : null;
  }

  async deleteMedia(key: string): Promise<void> {
    this.#sql('DELETE FROM media WHERE key = ?').run(key);
  }

  async listMediaKeys(prefix: string, afterKey: string | null, limit: number): Promise<string[]> {
    // A range on the primary key, not LIKE: prefixes may hold "_" or "%".
    const rows = this.#sql('SELECT key FROM media WHERE key > ? AND key >= ? AND key < ? ORDER BY key LIMIT ?').all(
      afterKey ?? '',
      prefix,
      `${prefix}\uffff`,
      Math.max(0, Math.floor(limit)),
    ) as Array<{ key: string }>;
    return rows.map((r) => r.key);
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
    this.#insert(
      'INSERT INTO printers (id, venue_id, paired_at, card_reader_id, doc) VALUES (?, ?, ?, ?, ?)',
      [printer.id, printer.venueId, printer.pairedAt, printer.cardReaderId ?? null, JSON.stringify(printer)],
      `printer ${printer.id}`,
    );
  }

  async getPrinter(id: string): Promise<PrinterRecord | null> {
    return this.#ready.connection.readDocGrouped('SELECT doc FROM printers WHERE id = ?', id);
  }

  async listPrinters(filter?: { venueId?: string }): Promise<PrinterRecord[]> {
    return parseDocs(
      this.#sql('SELECT doc FROM printers WHERE @venueId IS NULL OR venue_id = @venueId ORDER BY paired_at, id').all({
        venueId: filter?.venueId ?? null,
      }),
    );
  }

  #updatePrinter(id: string, change: (printer: PrinterRecord) => PrinterRecord): PrinterRecord | null {
    return this.#locked(() => {
      const printer = parseDoc<PrinterRecord>(this.#sql('SELECT doc FROM printers WHERE id = ?').get(id));
      if (!printer) return null;
      const next = change(printer);
      if (next === printer) return next;
      this.#sql('UPDATE printers SET card_reader_id = ?, doc = ? WHERE id = ?').run(
        next.cardReaderId ?? null,
        JSON.stringify(next),
        id,
      );
      return next;
    });
  }

  async revokePrinter(id: string, at: number): Promise<PrinterRecord | null> {
    // The first revocation time stands: revoking twice must not move it.
    return this.#updatePrinter(id, (p) => (p.revokedAt === null ? { ...p, revokedAt: at, cardReaderId: null } : p));
  }

  async setPrinterCardReader(id: string, cardReaderId: string | null): Promise<PrinterRecord | null> {
    try {
      return this.#updatePrinter(id, (printer) => ({ ...printer, cardReaderId }));
    } catch (err) {
      if (isUniqueViolation(err)) throw storeConflict(`card reader ${cardReaderId} on another printer`);
      throw err;
    }
  }

  async touchPrinter(id: string, at: number): Promise<void> {
    this.#updatePrinter(id, (printer) =>
      printer.lastSeenAt === null || printer.lastSeenAt < at ? { ...printer, lastSeenAt: at } : printer,
    );
  }

  async putPrinterReport(report: PrinterReportRecord): Promise<void> {
    this.#sql(
      `INSERT INTO printer_reports (printer_id, venue_id, doc) VALUES (?, ?, ?)
       ON CONFLICT (printer_id) DO UPDATE SET venue_id = excluded.venue_id, doc = excluded.doc`,
    ).run(report.printerId, report.venueId, JSON.stringify(report));
  }

  async listPrinterReports(filter: { venueId?: string } = {}): Promise<PrinterReportRecord[]> {
    return filter.venueId === undefined
      ? parseDocs(this.#sql('SELECT doc FROM printer_reports ORDER BY printer_id').all())
      : parseDocs(
          this.#sql('SELECT doc FROM printer_reports WHERE venue_id = ? ORDER BY printer_id').all(filter.venueId),
        );
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
