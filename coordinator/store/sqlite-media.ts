import type { MediaObject } from './records.ts';
import type { SqliteConnection } from './sqlite-connection.ts';

/** Media bytes on SQLite: one row per key, overwritten in place (one statement, so atomic). */
export class SqliteMedia {
  readonly #c: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
  }

  async put(key: string, media: MediaObject): Promise<void> {
    this.#c
      .sql(
        `INSERT INTO media (key, content_type, bytes) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes`,
      )
      .run(key, media.contentType, media.bytes);
  }

  async get(key: string): Promise<MediaObject | null> {
    const row = this.#c.sql('SELECT content_type, bytes FROM media WHERE key = ?').get(key) as
      | { content_type: string; bytes: Buffer }
      | undefined;
    return row ? { bytes: row.bytes, contentType: row.content_type } : null;
  }

  async delete(key: string): Promise<void> {
    this.#c.sql('DELETE FROM media WHERE key = ?').run(key);
  }

  async listKeys(prefix: string, afterKey: string | null, limit: number): Promise<string[]> {
    // A range on the primary key, not LIKE: prefixes may hold "_" or "%".
    const rows = this.#c
      .sql('SELECT key FROM media WHERE key > ? AND key >= ? AND key < ? ORDER BY key LIMIT ?')
      .all(afterKey ?? '', prefix, `${prefix}\uffff`, Math.max(0, Math.floor(limit))) as Array<{ key: string }>;
    return rows.map((r) => r.key);
  }
}
