import type { OrderState } from '../../shared/policy/order-state.ts';
import type { OrderRecord } from '../store/records.ts';

/**
 * What the order page tells the fan, worded once, here: the page renders it, and the live stream
 * sends the same object, so the words never depend on JavaScript in the browser.
 */
export type StatusTone = 'waiting' | 'ready' | 'printing' | 'done' | 'problem';

/** Which recovery the page offers: pay this order again, or order the same photos anew. */
export type StatusAction = 'pay_again' | 'order_again' | null;

export interface OrderStatusView {
  state: OrderState;
  tone: StatusTone;
  /** A word or two for lists ("Printed", "Cancelled"): the fan's orders on the start page. */
  label: string;
  headline: string;
  detail: string;
  printerName: string | null;
  printedCount: number;
  unitCount: number;
  /** Show the QR code (a printer would accept it now). */
  redeemable: boolean;
  /** The short code while it can be used: typed at a printer, or read out to staff. */
  code: string | null;
  /** Nothing more will happen: the page stops listening. */
  final: boolean;
  action: StatusAction;
}

export interface StatusContext {
  /** Name of the printer holding the claim or, once fulfilled, the one that printed. */
  printerName: string | null;
  /** When the redemption code stops working. */
  codeExpiresAt: number;
  now: number;
  /** A payment that arrived after the cancellation: refunded (refunded true) or to be refunded by staff. */
  latePayment?: { refunded: boolean } | null;
}

/** Once everything is printed the code has no use left, so the page stops offering it. */
const CODE_STATES: ReadonlySet<OrderState> = new Set(['paid', 'redeeming']);

function prints(n: number): string {
  return n === 1 ? '1 print' : `${n} prints`;
}

export function describeOrderStatus(order: OrderRecord, c: StatusContext): OrderStatusView {
  const base = {
    state: order.state,
    printerName: c.printerName,
    printedCount: order.printedCount,
    unitCount: order.unitCount,
    redeemable: false,
    code: CODE_STATES.has(order.state) ? order.code : null,
    final: false,
    action: null,
  } satisfies Partial<OrderStatusView>;
  const printer = c.printerName ?? 'a venue printer';
  const expired = c.now >= c.codeExpiresAt;
  switch (order.state) {
    case 'awaiting_payment':
      return {
        ...base,
        tone: 'waiting',
        label: 'Awaiting payment',
        headline: 'Waiting for your payment',
        detail:
          'If you have paid, this page updates by itself within a few seconds. If you left the payment page, you can go back to it.',
        action: 'pay_again',
      };
    case 'payment_failed':
      return {
        ...base,
        tone: 'problem',
        label: 'Payment failed',
        headline: 'Payment declined',
        detail: 'Your card was not charged. Try again, or use another card.',
        action: 'pay_again',
      };
    case 'cancelled':
      if (c.latePayment) return latePaymentView(base, c.latePayment.refunded);
      return {
        ...base,
        tone: 'problem',
        label: 'Cancelled',
        headline: 'Payment cancelled',
        detail: 'Nothing was charged. You can order the same photos again.',
        final: true,
        action: 'order_again',
      };
    case 'paid':
      if (expired) return expiredView(base);
      return {
        ...base,
        tone: 'ready',
        label: 'Paid',
        headline: 'Paid: ready to print',
        detail: `Show the QR code below at any photo printer at the venue. ${prints(order.unitCount)} will be printed.`,
        redeemable: true,
      };
    case 'redeeming': {
      const stalled = order.claim !== null && c.now >= order.claim.expiresAt;
      if (stalled) {
        return {
          ...base,
          tone: 'problem',
          label: 'Printing stopped',
          headline: `${printer} stopped responding`,
          detail: `Printed ${order.printedCount} of ${order.unitCount}. Show your code at another photo printer to print the rest, or ask the staff.`,
          redeemable: !expired,
        };
      }
      return {
        ...base,
        tone: 'printing',
        label: `Printing ${order.printedCount}/${order.unitCount}`,
        headline: `Printing at ${printer}`,
        detail: `Printed ${order.printedCount} of ${order.unitCount}. Collect your prints at ${printer}.`,
        redeemable: !expired,
      };
    }
    case 'fulfilled':
      return {
        ...base,
        tone: 'done',
        label: 'Printed',
        headline: `Printed ${order.printedCount} of ${order.unitCount}`,
        detail: `All done: collect your prints at ${printer}.`,
        final: true,
      };
  }
}

function latePaymentView(
  base: Omit<OrderStatusView, 'tone' | 'label' | 'headline' | 'detail'>,
  refunded: boolean,
): OrderStatusView {
  return {
    ...base,
    tone: 'problem',
    label: refunded ? 'Refunded' : 'Refund due',
    headline: refunded ? 'Payment refunded' : 'Your payment will be refunded',
    detail: refunded
      ? 'Your payment arrived after this order had been cancelled, so nothing will be printed and the money was sent back: it shows on your statement within a few days. You can order the same photos again.'
      : 'Your payment arrived after this order had been cancelled, so nothing will be printed. The staff have been told and will refund it; show them this page if you are still at the venue. You can order the same photos again.',
    final: true,
    action: 'order_again',
  };
}

function expiredView(base: Omit<OrderStatusView, 'tone' | 'label' | 'headline' | 'detail'>): OrderStatusView {
  return {
    ...base,
    tone: 'problem',
    label: 'Code expired',
    headline: 'Your code has expired',
    detail: 'Codes stop working a while after the event. Ask the staff at the photo desk, with the code below.',
    // The short code stays visible so staff can look the order up; the QR would only be refused.
  };
}
