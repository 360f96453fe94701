import type { PriceList } from '../../shared/policy/pricing.ts';
import type { EventRecord, FeedHead } from './records.ts';
import { parseDoc, parseDocs, type SqliteConnection } from './sqlite-connection.ts';

/**
 * Events on SQLite. The feed head and the price list live in the document only, so each change is
 * a read and a rewrite of it under the write lock.
 */
export class SqliteEvents {
  readonly #c: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
  }

  async insert(event: EventRecord): Promise<void> {
    this.#c.insert(
      'INSERT INTO events (id, venue_id, created_at, doc) VALUES (?, ?, ?, ?)',
      [event.id, event.venueId, event.createdAt, JSON.stringify(event)],
      `event ${event.id}`,
    );
  }

  #read(id: string): EventRecord | null {
    return parseDoc(this.#c.sql('SELECT doc FROM events WHERE id = ?').get(id));
  }

  #write(id: string, event: EventRecord): void {
    this.#c.sql('UPDATE events SET doc = ? WHERE id = ?').run(JSON.stringify(event), id);
  }

  async get(id: string): Promise<EventRecord | null> {
    return this.#read(id);
  }

  async list(filter?: { venueId?: string }): Promise<EventRecord[]> {
    return parseDocs(
      this.#c
        .sql('SELECT doc FROM events WHERE @venueId IS NULL OR venue_id = @venueId ORDER BY created_at DESC, id DESC')
        .all({ venueId: filter?.venueId ?? null }),
    );
  }

  async raiseFeedHead(eventId: string, head: FeedHead): Promise<void> {
    this.#c.locked(() => {
      const event = this.#read(eventId);
      if (!event) return;
      const raised: FeedHead = {
        blobsLength: Math.max(event.feedHead.blobsLength, head.blobsLength),
        catalogLength: Math.max(event.feedHead.catalogLength, head.catalogLength),
      };
      if (raised.blobsLength === event.feedHead.blobsLength && raised.catalogLength === event.feedHead.catalogLength) {
        return;
      }
      this.#write(eventId, { ...event, feedHead: raised });
    });
  }

  async setPriceList(eventId: string, priceList: PriceList): Promise<EventRecord | null> {
    return this.#c.locked(() => {
      const event = this.#read(eventId);
      if (!event) return null;
      const next: EventRecord = { ...event, priceList: structuredClone(priceList) };
      this.#write(eventId, next);
      return next;
    });
  }
}
