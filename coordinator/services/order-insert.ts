import { newOrderCode } from '../../shared/token/order-code.ts';
import { isStoreConflict, type Store } from '../store/port.ts';
import type { OrderRecord } from '../store/records.ts';

/** A new order draws a fresh code after a conflict at most this many times in all. */
export const ORDER_CODE_ATTEMPTS = 5;

/** What the caller decides about a new order; the code and the unpaid, unprinted rest are set here. */
export type UnpaidOrderFields = Pick<
  OrderRecord,
  'id' | 'eventId' | 'venueId' | 'items' | 'unitCount' | 'totalCents' | 'currency' | 'paymentSessionId' | 'createdAt'
>;

/**
 * Inserts an order awaiting payment under a freshly drawn code: 40-bit codes collide rarely, so a
 * conflict draws a new one. `alreadyThere` (checked after a conflict) ends the loop when the order
 * itself was inserted meanwhile (another process settling the same sale): null is returned then.
 */
export async function insertUnpaidOrder(
  store: Pick<Store, 'insertOrder'>,
  fields: UnpaidOrderFields,
): Promise<OrderRecord>;
export async function insertUnpaidOrder(
  store: Pick<Store, 'insertOrder'>,
  fields: UnpaidOrderFields,
  alreadyThere: () => Promise<boolean>,
): Promise<OrderRecord | null>;
export async function insertUnpaidOrder(
  store: Pick<Store, 'insertOrder'>,
  fields: UnpaidOrderFields,
  alreadyThere?: () => Promise<boolean>,
): Promise<OrderRecord | null> {
  for (let attempt = 1; ; attempt++) {
    const order: OrderRecord = {
      id: fields.id,
      code: newOrderCode(),
      eventId: fields.eventId,
      venueId: fields.venueId,
      items: fields.items,
      unitCount: fields.unitCount,
      totalCents: fields.totalCents,
      currency: fields.currency,
      state: 'awaiting_payment',
      paymentSessionId: fields.paymentSessionId,
      createdAt: fields.createdAt,
      paidAt: null,
      claim: null,
      printed: {},
      printedCount: 0,
      fulfilledAt: null,
    };
    try {
      await store.insertOrder(order);
      return order;
    } catch (err) {
      if (!isStoreConflict(err) || attempt >= ORDER_CODE_ATTEMPTS) throw err;
      if (alreadyThere && (await alreadyThere())) return null;
    }
  }
}
