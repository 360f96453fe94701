import { isAppError } from '../../shared/errors.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { type ConflictRecord, NO_PRINTER_ID } from '../store/offline-records.ts';
import type { OrderRecord } from '../store/records.ts';
import type { PaymentWebhookEvent } from './port.ts';

/** The conflict id of a payment that came after its order's cancellation: one per order and session. */
export function latePaymentConflictId(orderId: string): string {
  return `paid_after_cancel:${orderId}:${NO_PRINTER_ID}`;
}

export interface LatePaymentOutcome {
  refundId: string | null;
}

/**
 * A successful payment for an order that was cancelled first (the fan gave up, then a delayed
 * charge went through). The order stays cancelled — its code was never issued — and the money goes
 * back through the gateway; operators see a conflict, and the fan's order page says it was refunded
 * (or that staff will refund it, when the gateway refused). The refund is idempotent on the order,
 * so the gateway's retries of the same webhook refund once.
 */
export async function refundLatePayment(
  deps: Pick<CoordinatorDeps, 'store' | 'payments' | 'clock' | 'logger'>,
  order: OrderRecord,
  event: PaymentWebhookEvent,
): Promise<LatePaymentOutcome> {
  let refundId: string | null = null;
  try {
    ({ refundId } = await deps.payments.refund({
      sessionId: event.sessionId,
      orderId: order.id,
      amountCents: event.amountCents,
      currency: event.currency,
      reason: 'paid after the order was cancelled',
      idempotencyKey: `late-payment:${order.id}:${event.sessionId}`,
    }));
  } catch (err) {
    if (!isAppError(err)) throw err;
    deps.logger.error({ err, orderId: order.id }, 'refund of a payment after cancellation failed; refund it by hand');
  }
  const conflict: ConflictRecord = {
    id: latePaymentConflictId(order.id),
    kind: 'paid_after_cancel',
    venueId: order.venueId,
    orderId: order.id,
    printerId: NO_PRINTER_ID,
    otherPrinterIds: [],
    units: [],
    detail:
      refundId !== null
        ? `${formatAmount(event.amountCents, event.currency)} was refunded automatically (refund ${refundId}).`
        : `the automatic refund of ${formatAmount(event.amountCents, event.currency)} failed — refund it by hand in the payment provider.`,
    detectedAt: deps.clock.now(),
    refundId,
  };
  await deps.store.insertConflict(conflict);
  deps.logger.warn({ orderId: order.id, refundId }, 'payment after cancellation: recorded as a conflict');
  return { refundId };
}

function formatAmount(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}
