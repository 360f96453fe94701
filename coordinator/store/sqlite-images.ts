import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import type { ImageRecord } from './records.ts';
import { parseDoc, parseDocs, type SqliteConnection } from './sqlite-connection.ts';

/**
 * Images on SQLite: uploads waiting for the event feed, then appended to it. The columns next to
 * `doc` carry the feed state and seq, so the appender's queue and the feed order are index scans.
 */
export class SqliteImages {
  readonly #c: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
  }

  async insert(image: ImageRecord): Promise<{ inserted: true } | { inserted: false; existing: ImageRecord }> {
    return this.#c.locked(() => {
      const existing = parseDoc<ImageRecord>(
        this.#c.sql('SELECT doc FROM images WHERE event_id = ? AND sha256 = ?').get(image.eventId, image.sha256),
      );
      if (existing) return { inserted: false as const, existing };
      this.#c.insert(
        'INSERT INTO images (id, event_id, sha256, feed_state, seq, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [image.id, image.eventId, image.sha256, image.feedState, image.seq, image.createdAt, JSON.stringify(image)],
        `image ${image.id}`,
      );
      return { inserted: true as const };
    });
  }

  async get(id: string): Promise<ImageRecord | null> {
    return parseDoc(this.#c.sql('SELECT doc FROM images WHERE id = ?').get(id));
  }

  async list(eventId: string): Promise<ImageRecord[]> {
    return parseDocs(
      this.#c
        .sql(
          `SELECT doc FROM images WHERE event_id = ?
           ORDER BY CASE feed_state WHEN 'appended' THEN 0 ELSE 1 END, seq, created_at, id`,
        )
        .all(eventId),
    );
  }

  async listPending(eventId: string, limit: number): Promise<ImageRecord[]> {
    return parseDocs(
      this.#c
        .sql(`SELECT doc FROM images WHERE event_id = ? AND feed_state = 'pending' ORDER BY created_at, id LIMIT ?`)
        .all(eventId, Math.max(0, Math.floor(limit))),
    );
  }

  async listEventsWithPending(): Promise<string[]> {
    const rows = this.#c
      .sql(`SELECT DISTINCT event_id FROM images WHERE feed_state = 'pending' ORDER BY event_id`)
      .all() as Array<{ event_id: string }>;
    return rows.map((row) => row.event_id);
  }

  async markAppended(id: string, feed: BlobCoordinates, seq: number): Promise<boolean> {
    return this.#c.locked(() => {
      const image = parseDoc<ImageRecord>(
        this.#c.sql(`SELECT doc FROM images WHERE id = ? AND feed_state = 'pending'`).get(id),
      );
      if (!image) return false;
      const appended: ImageRecord = { ...image, feedState: 'appended', feed: { ...feed }, seq };
      this.#c
        .sql('UPDATE images SET feed_state = ?, seq = ?, doc = ? WHERE id = ?')
        .run(appended.feedState, seq, JSON.stringify(appended), id);
      return true;
    });
  }
}
