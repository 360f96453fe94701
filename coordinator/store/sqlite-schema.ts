import type Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';

/**
 * Schema of the embedded store. Each record is kept whole as JSON in `doc` (so records round-trip
 * exactly); the columns next to it are copies of the fields the store looks up, sorts or constrains
 * on, written in the same statement as the document so they never drift.
 */
export const SQLITE_SCHEMA_VERSION = 2;

/** How long a writer waits for another process's write lock before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS venues (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  venue_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_venue ON events (venue_id, created_at);
CREATE INDEX IF NOT EXISTS events_by_created ON events (created_at);
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  feed_state TEXT NOT NULL,
  seq INTEGER,
  created_at INTEGER NOT NULL,
  doc TEXT NOT NULL,
  UNIQUE (event_id, sha256)
);
CREATE INDEX IF NOT EXISTS images_by_state ON images (event_id, feed_state, seq, created_at);
CREATE INDEX IF NOT EXISTS images_pending ON images (feed_state, event_id);
CREATE TABLE IF NOT EXISTS media (
  key TEXT PRIMARY KEY,
  content_type TEXT NOT NULL,
  bytes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  event_id TEXT NOT NULL,
  state TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_state ON orders (state);
CREATE INDEX IF NOT EXISTS orders_by_event ON orders (event_id);
CREATE TABLE IF NOT EXISTS payment_events (
  id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS printers (
  id TEXT PRIMARY KEY,
  venue_id TEXT NOT NULL,
  paired_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS printers_by_venue ON printers (venue_id, paired_at);
CREATE TABLE IF NOT EXISTS holdings (
  printer_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (printer_id, event_id)
);
CREATE INDEX IF NOT EXISTS holdings_by_event ON holdings (event_id, printer_id);
CREATE TABLE IF NOT EXISTS printer_reports (
  printer_id TEXT PRIMARY KEY,
  venue_id TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS printer_reports_by_venue ON printer_reports (venue_id);
CREATE TABLE IF NOT EXISTS credentials (
  token_hash TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS coordinator_nodes (
  id TEXT PRIMARY KEY,
  last_seen_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS coordinator_nodes_by_seen ON coordinator_nodes (last_seen_at);
CREATE TABLE IF NOT EXISTS order_feed_queue (
  order_id TEXT PRIMARY KEY,
  venue_id TEXT NOT NULL,
  queued_at INTEGER NOT NULL,
  token TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS order_feed_queue_by_venue ON order_feed_queue (venue_id, queued_at);
CREATE TABLE IF NOT EXISTS orders_feed_heads (
  venue_id TEXT PRIMARY KEY,
  length INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS offline_redemptions (
  id TEXT PRIMARY KEY,
  venue_id TEXT NOT NULL,
  printer_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS offline_redemptions_by_venue ON offline_redemptions (venue_id, received_at);
CREATE TABLE IF NOT EXISTS conflicts (
  id TEXT PRIMARY KEY,
  venue_id TEXT NOT NULL,
  detected_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conflicts_by_venue ON conflicts (venue_id, detected_at);
`;

/**
 * Settings every connection needs. WAL lets readers run while one process writes; the busy timeout
 * makes a second coordinator process wait for the write lock instead of failing; FULL sync because
 * the store holds payments and claims, where losing a committed write after a power cut costs money.
 */
export function configureConnection(db: Database.Database): void {
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

/**
 * Steps from one schema version to the next, each run once on a database older than its `to`, in
 * order, in createSchema's transaction (a new database runs them all after SCHEMA_SQL). Each checks
 * what is there first, so a step a crashed or concurrent open already applied is not applied twice.
 */
const MIGRATIONS: ReadonlyArray<{ to: number; run: (db: Database.Database) => void }> = [
  {
    // Card readers assigned to printers (issue #13): a column so the store, not process memory,
    // keeps one reader on at most one printer.
    to: 2,
    run: (db) => {
      const has = db.prepare("SELECT 1 FROM pragma_table_info('printers') WHERE name = 'card_reader_id'").get();
      if (!has) db.exec('ALTER TABLE printers ADD COLUMN card_reader_id TEXT');
      db.exec(
        `UPDATE printers SET card_reader_id = json_extract(doc, '$.cardReaderId') WHERE card_reader_id IS NULL;
         CREATE UNIQUE INDEX IF NOT EXISTS printers_by_card_reader ON printers (card_reader_id)
           WHERE card_reader_id IS NOT NULL;`,
      );
    },
  },
];

/** Creates the schema; safe to run from several processes at once (IMMEDIATE takes the write lock). */
export function createSchema(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true });
    if (typeof version === 'number' && version > SQLITE_SCHEMA_VERSION) {
      throw new AppError(
        'store_schema_too_new',
        `the database was written by a newer version (schema ${version}, this build knows ${SQLITE_SCHEMA_VERSION}); upgrade this coordinator`,
      );
    }
    db.exec(SCHEMA_SQL);
    const from = typeof version === 'number' ? version : 0;
    for (const step of MIGRATIONS) if (from < step.to) step.run(db);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
  }).immediate();
}
