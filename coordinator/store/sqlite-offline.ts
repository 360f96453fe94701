import type { ConflictFilter, OfflineStore } from './offline-port.ts';
import type {
  ConflictAcknowledgement,
  ConflictRecord,
  OfflineRedemptionRecord,
  OrderFeedQueueEntry,
} from './offline-records.ts';
import { parseDoc, parseDocs, type SqliteConnection } from './sqlite-connection.ts';

/** OfflineStore.queueOrderForFeed's write, inside a transaction the caller holds (a claim's, too). */
export function queueForFeedLocked(connection: SqliteConnection, entry: OrderFeedQueueEntry): void {
  connection
    .sql(
      `INSERT INTO order_feed_queue (order_id, venue_id, queued_at, token) VALUES (?, ?, ?, ?)
       ON CONFLICT (order_id) DO UPDATE SET venue_id = excluded.venue_id, queued_at = excluded.queued_at,
       token = excluded.token`,
    )
    .run(entry.orderId, entry.venueId, entry.queuedAt, entry.token);
}

/** The offline part of the store on SQLite (tables in sqlite-schema.ts); each write is one statement. */
export class SqliteOffline implements OfflineStore {
  readonly #c: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
  }

  async queueOrderForFeed(entry: OrderFeedQueueEntry): Promise<void> {
    // Group commit (issue #16): a claim's outbox write shares the fsync of the claims committed in
    // the same turn instead of blocking the event loop for one of its own.
    await this.#c.lockedGrouped(() => queueForFeedLocked(this.#c, entry));
  }

  async listQueuedOrders(venueId: string, limit: number): Promise<OrderFeedQueueEntry[]> {
    const rows = this.#c
      .sql(
        `SELECT order_id, venue_id, queued_at, token FROM order_feed_queue WHERE venue_id = ?
         ORDER BY queued_at, order_id LIMIT ?`,
      )
      .all(venueId, Math.max(0, Math.floor(limit))) as Array<{
      order_id: string;
      venue_id: string;
      queued_at: number;
      token: string;
    }>;
    return rows.map((r) => ({ orderId: r.order_id, venueId: r.venue_id, queuedAt: r.queued_at, token: r.token }));
  }

  async listVenuesWithQueuedOrders(): Promise<string[]> {
    const rows = this.#c.sql('SELECT DISTINCT venue_id FROM order_feed_queue ORDER BY venue_id').all() as Array<{
      venue_id: string;
    }>;
    return rows.map((r) => r.venue_id);
  }

  async dequeueOrders(entries: ReadonlyArray<Pick<OrderFeedQueueEntry, 'orderId' | 'token'>>): Promise<void> {
    const remove = this.#c.sql('DELETE FROM order_feed_queue WHERE order_id = ? AND token = ?');
    this.#c.locked(() => {
      for (const e of entries) remove.run(e.orderId, e.token);
    });
  }

  async raiseOrdersFeedHead(venueId: string, length: number): Promise<void> {
    this.#c
      .sql(
        `INSERT INTO orders_feed_heads (venue_id, length) VALUES (?, ?)
         ON CONFLICT (venue_id) DO UPDATE SET length = MAX(length, excluded.length)`,
      )
      .run(venueId, length);
  }

  async getOrdersFeedHead(venueId: string): Promise<number> {
    const row = this.#c.sql('SELECT length FROM orders_feed_heads WHERE venue_id = ?').get(venueId) as
      | { length: number }
      | undefined;
    return row?.length ?? 0;
  }

  async recordOfflineRedemption(record: OfflineRedemptionRecord): Promise<boolean> {
    const result = this.#c
      .sql(
        `INSERT INTO offline_redemptions (id, venue_id, printer_id, received_at, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      )
      .run(record.id, record.venueId, record.printerId, record.receivedAt, JSON.stringify(record));
    return result.changes === 1;
  }

  async listOfflineRedemptions(
    filter: { venueId?: string; printerId?: string } = {},
  ): Promise<OfflineRedemptionRecord[]> {
    return parseDocs(
      this.#c
        .sql(
          `SELECT doc FROM offline_redemptions
           WHERE (@venueId IS NULL OR venue_id = @venueId) AND (@printerId IS NULL OR printer_id = @printerId)
           ORDER BY received_at, id`,
        )
        .all({ venueId: filter.venueId ?? null, printerId: filter.printerId ?? null }),
    );
  }

  async insertConflict(conflict: ConflictRecord): Promise<boolean> {
    const result = this.#c
      .sql(`INSERT INTO conflicts (id, venue_id, detected_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
      .run(conflict.id, conflict.venueId, conflict.detectedAt, JSON.stringify(conflict));
    return result.changes === 1;
  }

  async listConflicts(filter: ConflictFilter, limit: number): Promise<ConflictRecord[]> {
    return parseDocs(
      this.#c
        .sql(
          `SELECT doc FROM conflicts WHERE (@venueId IS NULL OR venue_id = @venueId)
           AND (@orderId IS NULL OR json_extract(doc, '$.orderId') = @orderId)
           AND (@acknowledged IS NULL OR (json_extract(doc, '$.acknowledged') IS NOT NULL) = @acknowledged)
           ORDER BY detected_at DESC, id DESC LIMIT @limit`,
        )
        .all({
          venueId: filter.venueId ?? null,
          orderId: filter.orderId ?? null,
          // better-sqlite3 binds no booleans.
          acknowledged: filter.acknowledged === undefined ? null : Number(filter.acknowledged),
          limit: Math.max(0, Math.floor(limit)),
        }),
    );
  }

  async acknowledgeConflict(id: string, acknowledgement: ConflictAcknowledgement): Promise<ConflictRecord | null> {
    // One conditional statement: of two operators acknowledging at once, the first one stands.
    this.#c
      .sql(
        `UPDATE conflicts SET doc = json_set(doc, '$.acknowledged', json(?))
         WHERE id = ? AND json_extract(doc, '$.acknowledged') IS NULL`,
      )
      .run(JSON.stringify(acknowledgement), id);
    return parseDoc<ConflictRecord>(this.#c.sql('SELECT doc FROM conflicts WHERE id = ?').get(id));
  }
}
