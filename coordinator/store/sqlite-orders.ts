import { fromStates, ORDER_STATES, type OrderEvent, type OrderState } from '../../shared/policy/order-state.ts';
import {
  canRelease,
  claimBlocker,
  decideConfirm,
  isRenewal,
  type TransitionPatch,
  transitionFields,
  withClaim,
  withPrinted,
  withReleased,
  withRenewedClaim,
} from './order-rules.ts';
import type { ClaimOutcome, ConfirmOutcome, RedemptionClaim, SalesLine } from './port.ts';
import type { OrderRecord } from './records.ts';
import { parseDoc, parseDocs, type SqliteConnection } from './sqlite-connection.ts';

/** What claimByCodeLocked answers: a redemption's claim, before its print job is read. */
export type CodeClaim =
  | Omit<Extract<RedemptionClaim, { outcome: 'claimed' }>, 'holdings' | 'images'>
  | Exclude<RedemptionClaim, { outcome: 'claimed' }>;

/**
 * Orders on SQLite. Each step reads the order, applies a rule from order-rules.ts and writes the
 * result inside one BEGIN IMMEDIATE transaction: no other process can write in between.
 */
export class SqliteOrders {
  readonly #c: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
  }

  async insert(order: OrderRecord): Promise<void> {
    this.#c.insert(
      'INSERT INTO orders (id, code, event_id, state, doc) VALUES (?, ?, ?, ?, ?)',
      [order.id, order.code, order.eventId, order.state, JSON.stringify(order)],
      `order ${order.id} or order code ${order.code}`,
    );
  }

  #readOrder(id: string): OrderRecord | null {
    return parseDoc(this.#c.sql('SELECT doc FROM orders WHERE id = ?').get(id));
  }

  #writeOrder(order: OrderRecord): void {
    this.#c.sql('UPDATE orders SET state = ?, doc = ? WHERE id = ?').run(order.state, JSON.stringify(order), order.id);
  }

  async get(id: string): Promise<OrderRecord | null> {
    return this.#readOrder(id);
  }

  async getByCode(code: string): Promise<OrderRecord | null> {
    return parseDoc(this.#c.sql('SELECT doc FROM orders WHERE code = ?').get(code));
  }

  async transition(id: string, event: OrderEvent, patch?: TransitionPatch): Promise<OrderRecord | null> {
    return this.#c.lockedGrouped(() => {
      const order = this.#readOrder(id);
      if (!order || !fromStates(event).includes(order.state)) return null;
      const next: OrderRecord = { ...order, ...transitionFields(event, patch) };
      this.#writeOrder(next);
      return next;
    });
  }

  async claim(id: string, printerId: string, now: number, claimTtlMs: number): Promise<ClaimOutcome> {
    return this.#c.lockedGrouped((): ClaimOutcome => {
      const order = this.#readOrder(id);
      if (!order) return { outcome: 'not_found' };
      return this.#claimRead(order, printerId, now, claimTtlMs);
    });
  }

  /** Claims `order`, just read inside the caller's transaction, for `printerId`. */
  #claimRead(order: OrderRecord, printerId: string, now: number, claimTtlMs: number): ClaimOutcome {
    const blocker = claimBlocker(order, printerId, now);
    if (blocker) return { outcome: blocker, order };
    const claimed = withClaim(order, printerId, now, claimTtlMs);
    this.#writeOrder(claimed);
    return { outcome: 'claimed', order: claimed };
  }

  /**
   * redeemOrderByCode's claim, inside a transaction the caller holds (sqlite-redemption.ts): the
   * order with `code`, left alone when it belongs to another venue than `venueId`.
   */
  claimByCodeLocked(code: string, printerId: string, venueId: string, now: number, claimTtlMs: number): CodeClaim {
    const order = parseDoc<OrderRecord>(this.#c.sql('SELECT doc FROM orders WHERE code = ?').get(code));
    if (!order) return { outcome: 'not_found' };
    if (order.venueId !== venueId) return { outcome: 'other_venue', order };
    const claim = this.#claimRead(order, printerId, now, claimTtlMs);
    if (claim.outcome !== 'claimed') return claim;
    // Literals, not { ...claim, renewed }: spreading and adding a field takes a slow path in V8.
    return { outcome: 'claimed', order: claim.order, renewed: isRenewal(order, claim.order, printerId) };
  }

  async confirm(id: string, printerId: string, unit: number, now: number, claimTtlMs: number): Promise<ConfirmOutcome> {
    return this.#c.lockedGrouped((): ConfirmOutcome => {
      const order = this.#readOrder(id);
      if (!order) return { outcome: 'not_found' };
      const decision = decideConfirm(order, printerId, unit);
      if (decision.kind === 'refuse') return { outcome: decision.outcome, order };
      const next =
        decision.kind === 'print'
          ? withPrinted(order, printerId, unit, now, claimTtlMs)
          : withRenewedClaim(order, printerId, now, claimTtlMs);
      if (next !== order) this.#writeOrder(next);
      return { outcome: 'confirmed', order: next };
    });
  }

  async release(id: string, expectedPrinterId: string | null): Promise<OrderRecord | null> {
    return this.#c.lockedGrouped(() => {
      const order = this.#readOrder(id);
      if (!order || !canRelease(order, expectedPrinterId)) return null;
      const released = withReleased(order);
      this.#writeOrder(released);
      return released;
    });
  }

  async list(eventId: string, states: readonly OrderState[], limit: number): Promise<OrderRecord[]> {
    if (states.length === 0) return [];
    return parseDocs(
      this.#c
        .sql(
          `SELECT doc FROM orders WHERE event_id = ? AND state IN (SELECT value FROM json_each(?))
           ORDER BY json_extract(doc, '$.createdAt'), id LIMIT ?`,
        )
        .all(eventId, JSON.stringify(states), Math.max(0, Math.floor(limit))),
    );
  }

  async salesSince(since: number): Promise<SalesLine[]> {
    // The state index narrows the scan to paid orders; paidAt lives in the document.
    return this.#c
      .sql(
        `SELECT json_extract(doc, '$.currency') AS currency, COUNT(*) AS orders,
                SUM(json_extract(doc, '$.unitCount')) AS prints, SUM(json_extract(doc, '$.totalCents')) AS revenueCents
           FROM orders WHERE state IN ('paid', 'redeeming', 'fulfilled') AND json_extract(doc, '$.paidAt') >= ?
           GROUP BY currency ORDER BY currency`,
      )
      .all(since) as SalesLine[];
  }

  async countByState(): Promise<Record<OrderState, number>> {
    const counts = Object.fromEntries(ORDER_STATES.map((state) => [state, 0])) as Record<OrderState, number>;
    const rows = this.#c.sql('SELECT state, COUNT(*) AS n FROM orders GROUP BY state').all() as Array<{
      state: OrderState;
      n: number;
    }>;
    for (const row of rows) if (row.state in counts) counts[row.state] = row.n;
    return counts;
  }
}
