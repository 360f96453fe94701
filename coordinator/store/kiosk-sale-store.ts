import Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import {
  KIOSK_SALE_FINAL_STATES,
  KIOSK_SALE_STATES,
  type KioskSaleChannel,
  type KioskSaleEvent,
  type KioskSaleState,
  nextSaleState,
} from '../../shared/policy/kiosk-sale-state.ts';
import type { OrderItem } from '../../shared/policy/order-state.ts';
import type { CardFailure } from '../payment/card-terminal-port.ts';
import { configureConnection, SQLITE_BUSY_TIMEOUT_MS } from './sqlite-schema.ts';

/** A basket bought at a printer's kiosk (issue #13); its print side is an ordinary order (`orderId`). */
export interface KioskSaleRecord {
  id: string;
  /** The kiosk's own key for this basket: a retried or double-tapped "Pay" finds the same sale. */
  idempotencyKey: string;
  printerId: string;
  venueId: string;
  eventId: string;
  channel: KioskSaleChannel;
  /** Issue #14: a framed line carries its template with the fee frozen when the sale was priced. */
  items: OrderItem[];
  unitCount: number;
  totalCents: number;
  currency: string;
  taxCents: number;
  taxRatePercent: number;
  orderId: string;
  state: KioskSaleState;
  /** Card: the station's reader and the provider's payment. */
  readerId: string | null;
  paymentId: string | null;
  /** How many times the card was asked for (a retry after a decline asks again). */
  attempts: number;
  lastFailure: CardFailure | null;
  card: { brand: string; last4: string } | null;
  authorisationCode: string | null;
  /** Phone: the hosted checkout. */
  checkoutUrl: string | null;
  createdAt: number;
  updatedAt: number;
  authorisedAt: number | null;
  capturedAt: number | null;
  voidedAt: number | null;
  refundId: string | null;
}

export type KioskSalePatch = Partial<
  Pick<
    KioskSaleRecord,
    | 'paymentId'
    | 'attempts'
    | 'lastFailure'
    | 'card'
    | 'authorisationCode'
    | 'checkoutUrl'
    | 'authorisedAt'
    | 'capturedAt'
    | 'voidedAt'
    | 'refundId'
  >
>;

/** Sales per channel and station since a moment: the dashboard's lines. */
export interface KioskSalesLine {
  channel: KioskSaleChannel;
  printerId: string;
  currency: string;
  sales: number;
  revenueCents: number;
}

/**
 * Where kiosk sales live. Every transition is one atomic conditional update (state in the event's
 * from-states, shared/policy/kiosk-sale-state.ts), so two coordinator processes, or a restarted one
 * repeating its last step, never apply an event twice.
 */
export interface KioskSaleStore {
  ready(): Promise<void>;
  close(): Promise<void>;
  /** Inserts, or returns the sale already stored under this printer's idempotency key. */
  insertOrGet(sale: KioskSaleRecord): Promise<{ inserted: boolean; sale: KioskSaleRecord }>;
  get(id: string): Promise<KioskSaleRecord | null>;
  /** Applies `event` when allowed from the sale's state; patches only; null when not allowed. */
  transition(id: string, event: KioskSaleEvent, now: number, patch?: KioskSalePatch): Promise<KioskSaleRecord | null>;
  /** Patches fields without a state change (a failed card attempt, a new attempt). */
  patch(
    id: string,
    now: number,
    patch: KioskSalePatch,
    onlyInStates: readonly KioskSaleState[],
  ): Promise<KioskSaleRecord | null>;
  /** Sales not in a final state, oldest first: what the sweeper settles. */
  listOpen(limit: number): Promise<KioskSaleRecord[]>;
  /** Newest first. */
  listRecent(limit: number, filter?: { printerId?: string }): Promise<KioskSaleRecord[]>;
  /** Money taken (captured card sales; paid, printing or fulfilled phone sales) since `since`. */
  salesSince(since: number): Promise<KioskSalesLine[]>;
  /** Sales created at or after `since`, newest first, at most `limit`. */
  listSince(since: number, limit: number): Promise<KioskSaleRecord[]>;
}

/** Both stores list the same sales as open (every state a sale may still leave) and count the same ones as revenue. */
export const OPEN_SALE_STATES: readonly KioskSaleState[] = KIOSK_SALE_STATES.filter(
  (state) => !KIOSK_SALE_FINAL_STATES.has(state),
);
export const REVENUE_SALE_STATES: readonly KioskSaleState[] = ['captured', 'paid', 'printing', 'fulfilled'];

/**
 * The sale after `event`, or null when the state machine refuses it. Pure, so the SQLite and
 * Mongo stores apply the same rule inside their own atomic update.
 */
export function saleAfterEvent(
  sale: KioskSaleRecord,
  event: KioskSaleEvent,
  now: number,
  patch: KioskSalePatch = {},
): KioskSaleRecord | null {
  const to = nextSaleState(sale.channel, sale.state, event);
  return to ? { ...sale, ...patch, state: to, updatedAt: now } : null;
}

/** The sale with `patch` applied, or null when it is no longer in one of `onlyInStates`. */
export function salePatchedIn(
  sale: KioskSaleRecord,
  now: number,
  patch: KioskSalePatch,
  onlyInStates: readonly KioskSaleState[],
): KioskSaleRecord | null {
  return onlyInStates.includes(sale.state) ? { ...sale, ...patch, updatedAt: now } : null;
}

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS kiosk_sales (
  id TEXT PRIMARY KEY,
  printer_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL,
  UNIQUE (printer_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS kiosk_sales_by_state ON kiosk_sales (state, created_at);
CREATE INDEX IF NOT EXISTS kiosk_sales_by_created ON kiosk_sales (created_at);
`;

/**
 * The SQLite adapter: its own connection to the coordinator's database file (WAL lets both write),
 * a table of its own, each record whole as JSON. The MongoDB adapter is mongo-kiosk-sales.ts.
 */
export class SqliteKioskSaleStore implements KioskSaleStore {
  readonly #path: string;
  #db: Database.Database | null = null;

  constructor(opts: { path: string }) {
    this.#path = opts.path;
  }

  async ready(): Promise<void> {
    if (this.#db) return;
    const db = new Database(this.#path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    configureConnection(db);
    db.exec(SCHEMA_SQL);
    this.#db = db;
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = null;
  }

  get #conn(): Database.Database {
    if (!this.#db) throw new AppError('store_unavailable', 'The kiosk sale store is closed.');
    return this.#db;
  }

  async insertOrGet(sale: KioskSaleRecord): Promise<{ inserted: boolean; sale: KioskSaleRecord }> {
    const db = this.#conn;
    return db
      .transaction(() => {
        const existing = db
          .prepare('SELECT doc FROM kiosk_sales WHERE printer_id = ? AND idempotency_key = ?')
          .get(sale.printerId, sale.idempotencyKey) as { doc: string } | undefined;
        if (existing) return { inserted: false, sale: JSON.parse(existing.doc) as KioskSaleRecord };
        db.prepare(
          'INSERT INTO kiosk_sales (id, printer_id, idempotency_key, state, created_at, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(
          sale.id,
          sale.printerId,
          sale.idempotencyKey,
          sale.state,
          sale.createdAt,
          sale.updatedAt,
          JSON.stringify(sale),
        );
        return { inserted: true, sale: structuredClone(sale) };
      })
      .immediate();
  }

  async get(id: string): Promise<KioskSaleRecord | null> {
    const row = this.#conn.prepare('SELECT doc FROM kiosk_sales WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as KioskSaleRecord) : null;
  }

  async transition(
    id: string,
    event: KioskSaleEvent,
    now: number,
    patch: KioskSalePatch = {},
  ): Promise<KioskSaleRecord | null> {
    return this.#update(id, (sale) => saleAfterEvent(sale, event, now, patch));
  }

  async patch(
    id: string,
    now: number,
    patch: KioskSalePatch,
    onlyInStates: readonly KioskSaleState[],
  ): Promise<KioskSaleRecord | null> {
    return this.#update(id, (sale) => salePatchedIn(sale, now, patch, onlyInStates));
  }

  #update(id: string, change: (sale: KioskSaleRecord) => KioskSaleRecord | null): KioskSaleRecord | null {
    const db = this.#conn;
    return db
      .transaction(() => {
        const row = db.prepare('SELECT doc FROM kiosk_sales WHERE id = ?').get(id) as { doc: string } | undefined;
        if (!row) return null;
        const next = change(JSON.parse(row.doc) as KioskSaleRecord);
        if (!next) return null;
        db.prepare('UPDATE kiosk_sales SET state = ?, updated_at = ?, doc = ? WHERE id = ?').run(
          next.state,
          next.updatedAt,
          JSON.stringify(next),
          id,
        );
        return next;
      })
      .immediate();
  }

  async listOpen(limit: number): Promise<KioskSaleRecord[]> {
    const marks = OPEN_SALE_STATES.map(() => '?').join(',');
    const rows = this.#conn
      .prepare(`SELECT doc FROM kiosk_sales WHERE state IN (${marks}) ORDER BY created_at LIMIT ?`)
      .all(...OPEN_SALE_STATES, limit) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as KioskSaleRecord);
  }

  async listRecent(limit: number, filter: { printerId?: string } = {}): Promise<KioskSaleRecord[]> {
    const rows = (
      filter.printerId
        ? this.#conn
            .prepare('SELECT doc FROM kiosk_sales WHERE printer_id = ? ORDER BY created_at DESC LIMIT ?')
            .all(filter.printerId, limit)
        : this.#conn.prepare('SELECT doc FROM kiosk_sales ORDER BY created_at DESC LIMIT ?').all(limit)
    ) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as KioskSaleRecord);
  }

  async listSince(since: number, limit: number): Promise<KioskSaleRecord[]> {
    const rows = this.#conn
      .prepare('SELECT doc FROM kiosk_sales WHERE created_at >= ? ORDER BY created_at DESC LIMIT ?')
      .all(since, limit) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as KioskSaleRecord);
  }

  async salesSince(since: number): Promise<KioskSalesLine[]> {
    const marks = REVENUE_SALE_STATES.map(() => '?').join(',');
    const rows = this.#conn
      .prepare(
        `SELECT json_extract(doc, '$.channel') AS channel, printer_id AS printerId, json_extract(doc, '$.currency') AS currency,
                COUNT(*) AS sales, SUM(json_extract(doc, '$.totalCents')) AS revenueCents
           FROM kiosk_sales WHERE state IN (${marks}) AND created_at >= ?
          GROUP BY channel, printer_id, currency ORDER BY printer_id, channel`,
      )
      .all(...REVENUE_SALE_STATES, since) as KioskSalesLine[];
    return rows;
  }
}
