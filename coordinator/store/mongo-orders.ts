import type { Collection } from 'mongodb';
import { AppError } from '../../shared/errors.ts';
import { ORDER_STATES, type OrderEvent, type OrderState } from '../../shared/policy/order-state.ts';
import {
  claimFilter,
  claimUpdate,
  fulfilFilter,
  fulfilUpdate,
  type OrderDoc,
  printFilter,
  printUpdate,
  releaseFilter,
  renewFilter,
  renewUpdate,
  stripId,
  transitionFilter,
} from './mongo-queries.ts';
import { claimBlocker, decideConfirm, holdsClaim, type TransitionPatch, transitionFields } from './order-rules.ts';
import type { ClaimOutcome, ConfirmOutcome, SalesLine } from './port.ts';
import type { OrderRecord } from './records.ts';

/**
 * A conditional update that missed is explained by reading the document; when the read shows the
 * update should have matched, another process changed the document in between, and the update is
 * tried again. Each retry means some other caller made progress, so a few always suffice.
 */
export const MAX_CONDITIONAL_ATTEMPTS = 8;

function contended(what: string): AppError {
  return new AppError('store_contended', `${what} kept changing under concurrent updates; retry the request`);
}

/**
 * Orders on MongoDB. Every step is one conditional findOneAndUpdate (mongo-queries.ts); a miss is
 * explained by reading the order and applying the same rule the filter encodes (order-rules.ts).
 */
export class MongoOrders {
  readonly #orders: Collection<OrderDoc>;

  constructor(orders: Collection<OrderDoc>) {
    this.#orders = orders;
  }

  async get(id: string): Promise<OrderRecord | null> {
    const doc = await this.#orders.findOne({ _id: id });
    return doc ? stripId(doc) : null;
  }

  async getByCode(code: string): Promise<OrderRecord | null> {
    const doc = await this.#orders.findOne({ code });
    return doc ? stripId(doc) : null;
  }

  async transition(id: string, event: OrderEvent, patch?: TransitionPatch): Promise<OrderRecord | null> {
    const doc = await this.#orders.findOneAndUpdate(
      transitionFilter(id, event),
      { $set: transitionFields(event, patch) },
      { returnDocument: 'after' },
    );
    return doc ? stripId(doc) : null;
  }

  async claim(id: string, printerId: string, now: number, claimTtlMs: number): Promise<ClaimOutcome> {
    for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt++) {
      const claimed = await this.#orders.findOneAndUpdate(
        claimFilter(id, printerId, now),
        claimUpdate(printerId, now, claimTtlMs),
        { returnDocument: 'after' },
      );
      if (claimed) return { outcome: 'claimed', order: stripId(claimed) };
      const order = await this.get(id);
      if (!order) return { outcome: 'not_found' };
      const blocker = claimBlocker(order, printerId, now);
      if (blocker) return { outcome: blocker, order };
    }
    throw contended(`order ${id}`);
  }

  async confirm(id: string, printerId: string, unit: number, now: number, claimTtlMs: number): Promise<ConfirmOutcome> {
    const orders = this.#orders;
    for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt++) {
      if (Number.isInteger(unit) && unit >= 0) {
        const printed = await orders.findOneAndUpdate(
          printFilter(id, printerId, unit),
          printUpdate(printerId, unit, now, claimTtlMs),
          { returnDocument: 'after' },
        );
        if (printed) return { outcome: 'confirmed', order: await this.#fulfilIfComplete(stripId(printed), now) };
      }
      const order = await this.get(id);
      if (!order) return { outcome: 'not_found' };
      const decision = decideConfirm(order, printerId, unit);
      if (decision.kind === 'refuse') return { outcome: decision.outcome, order };
      if (decision.kind === 'repeat') {
        const renewed = holdsClaim(order, printerId)
          ? await orders.findOneAndUpdate(renewFilter(id, printerId), renewUpdate(now, claimTtlMs), {
              returnDocument: 'after',
            })
          : null;
        return { outcome: 'confirmed', order: await this.#fulfilIfComplete(renewed ? stripId(renewed) : order, now) };
      }
      // 'print': the order changed between the update and the read; try again.
    }
    throw contended(`order ${id}`);
  }

  /**
   * The second step of a confirmation. Also completes an order left redeeming with every unit
   * printed (a process died between the two steps) when any confirmation comes by.
   */
  async #fulfilIfComplete(order: OrderRecord, now: number): Promise<OrderRecord> {
    if (order.state !== 'redeeming' || order.printedCount < order.unitCount) return order;
    const fulfilled = await this.#orders.findOneAndUpdate(fulfilFilter(order.id), fulfilUpdate(now), {
      returnDocument: 'after',
    });
    if (fulfilled) return stripId(fulfilled);
    return (await this.get(order.id)) ?? order;
  }

  async release(id: string, expectedPrinterId: string | null): Promise<OrderRecord | null> {
    const doc = await this.#orders.findOneAndUpdate(
      releaseFilter(id, expectedPrinterId),
      { $set: { state: 'paid', claim: null } },
      { returnDocument: 'after' },
    );
    return doc ? stripId(doc) : null;
  }

  async list(eventId: string, states: readonly OrderState[], limit: number): Promise<OrderRecord[]> {
    // limit(0) means "no limit" to MongoDB.
    const n = Math.max(0, Math.floor(limit));
    if (n === 0 || states.length === 0) return [];
    const docs = await this.#orders
      .find({ eventId, state: { $in: [...states] } })
      .sort({ createdAt: 1, _id: 1 })
      .limit(n)
      .toArray();
    return docs.map(stripId);
  }

  async salesSince(since: number): Promise<SalesLine[]> {
    const rows = this.#orders.aggregate<{ _id: string; orders: number; prints: number; revenueCents: number }>([
      { $match: { state: { $in: ['paid', 'redeeming', 'fulfilled'] }, paidAt: { $gte: since } } },
      {
        $group: {
          _id: '$currency',
          orders: { $sum: 1 },
          prints: { $sum: '$unitCount' },
          revenueCents: { $sum: '$totalCents' },
        },
      },
      { $sort: { _id: 1 } },
    ]);
    const lines: SalesLine[] = [];
    for await (const r of rows)
      lines.push({ currency: r._id, orders: r.orders, prints: r.prints, revenueCents: r.revenueCents });
    return lines;
  }

  async countByState(): Promise<Record<OrderState, number>> {
    const counts = Object.fromEntries(ORDER_STATES.map((state) => [state, 0])) as Record<OrderState, number>;
    const rows = await this.#orders.aggregate<{ _id: OrderState; n: number }>([
      { $group: { _id: '$state', n: { $sum: 1 } } },
    ]);
    for await (const row of rows) if (row._id in counts) counts[row._id] = row.n;
    return counts;
  }
}
