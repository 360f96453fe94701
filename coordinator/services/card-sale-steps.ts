import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { CardPayment, CardTerminal } from '../payment/card-terminal-port.ts';
import type { KioskSaleRecord, KioskSaleStore } from '../store/kiosk-sale-store.ts';

/**
 * Steps every card sale takes the same way, whether it buys a kiosk basket or an own-photo job:
 * one copy, so the two services cannot drift apart on when money moves.
 */

export function requireKioskSales(deps: CoordinatorDeps): KioskSaleStore {
  if (!deps.kioskSales) throw new AppError('kiosk_sales_unavailable');
  return deps.kioskSales;
}

export function requireCardTerminal(deps: CoordinatorDeps): CardTerminal {
  if (!deps.cardTerminal) throw new AppError('card_terminal_not_configured');
  return deps.cardTerminal;
}

/** The fields of a sale nobody has paid for yet: no payment, no attempt, no card, nothing settled. */
export function unpaidSaleFields(now: number) {
  return {
    state: 'created',
    paymentId: null,
    attempts: 0,
    lastFailure: null,
    card: null,
    authorisationCode: null,
    checkoutUrl: null,
    createdAt: now,
    updatedAt: now,
    authorisedAt: null,
    capturedAt: null,
    voidedAt: null,
    refundId: null,
  } as const satisfies Partial<KioskSaleRecord>;
}

/**
 * Everything printed: mark the sale printed, then capture the authorisation once (the key makes a
 * retry safe). A sale that cannot be marked printed, or a capture not confirmed, stays as it is.
 */
export async function captureWhenPrinted(
  sale: KioskSaleRecord,
  sales: KioskSaleStore,
  terminal: CardTerminal,
  clock: Clock,
): Promise<KioskSaleRecord> {
  const now = clock.now();
  const printed = sale.state === 'printed' ? sale : ((await sales.transition(sale.id, 'all_printed', now)) ?? sale);
  if (printed.state !== 'printed' || !printed.paymentId) return printed;
  const payment: CardPayment = await terminal.capture({
    paymentId: printed.paymentId,
    amountCents: printed.totalCents,
    idempotencyKey: `capture:${printed.id}`,
  });
  if (payment.status !== 'captured') return printed;
  return (await sales.transition(printed.id, 'captured', clock.now(), { capturedAt: now })) ?? printed;
}
