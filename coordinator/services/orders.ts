import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { ORDER_STATES, type OrderState } from '../../shared/policy/order-state.ts';
import { MAX_COPIES_PER_IMAGE, type OrderLine, priceOrder, quoteBreakdown } from '../../shared/policy/pricing.ts';
import { randomId } from '../../shared/ports/random.ts';
import { signRedemptionToken } from '../../shared/token/redemption-token.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { publishOrder } from '../feed/order-publication.ts';
import { refundLatePayment } from '../payment/late-payment.ts';
import type { PaymentWebhookEvent } from '../payment/port.ts';
import type { EventRecord, OrderRecord } from '../store/records.ts';
import { type ChosenLine, lineKey, priceTemplateLines, templateChoiceSchema } from '../templates/template-pricing.ts';
import type { TemplateService } from '../templates/template-service.ts';
import { qrPng, qrSvg } from '../tokens/qr.ts';
import { insertUnpaidOrder } from './order-insert.ts';
import { describeOrderStatus, type OrderStatusView } from './order-status.ts';
import { orderView } from './projections.ts';

const MAX_LINES_PER_ORDER = 100;
const REDEEMABLE_STATES = new Set(['paid', 'redeeming', 'fulfilled']);
/** Orders of one event listed at once (operators' views). */
export const MAX_ORDERS_LISTED = 200;
/** Paid and not yet fully printed: what fans are waiting for. */
export const IN_FLIGHT_STATES: readonly OrderState[] = ['paid', 'redeeming'];

export const orderInput = z
  .object({
    eventId: z.string().min(1).max(64),
    items: z
      .array(
        z
          .object({
            imageId: z.string().min(1).max(64),
            copies: z.number().int().min(1).max(MAX_COPIES_PER_IMAGE),
            template: templateChoiceSchema.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_LINES_PER_ORDER),
    /**
     * The total the fan was shown (issue #14): template fees follow usage, so an order whose price
     * moved since that quote is refused with the new total rather than charged differently.
     */
    expectedTotalCents: z.number().int().min(0).optional(),
  })
  .strict();

/** `?state=paid,redeeming`; the in-flight states when absent. */
export const orderStateQuery = z
  .object({
    state: z
      .string()
      .optional()
      .transform((s) => (s ? s.split(',') : [...IN_FLIGHT_STATES]))
      .pipe(z.array(z.enum(ORDER_STATES)).min(1).max(ORDER_STATES.length)),
  })
  .strip();

export type OrderInput = z.infer<typeof orderInput>;
export type QrFile = 'qr.png' | 'qr.svg';

/** When a paid order's code stops redeeming: the window after the event ends (or after payment, if later). */
export function redemptionExpiry(
  deps: Pick<CoordinatorDeps, 'settings'>,
  event: EventRecord,
  order: OrderRecord,
): number {
  const from = Math.max(event.endsAt, order.paidAt ?? order.createdAt);
  return Math.floor((from + deps.settings.redemptionWindowMs) / 60_000) * 60_000;
}

export interface OrderSnapshot {
  order: OrderRecord;
  event: EventRecord;
  status: OrderStatusView;
  codeExpiresAt: number;
}

/** Reads an order with everything its page shows; null when there is no such order. */
export async function loadOrderSnapshot(
  deps: Pick<CoordinatorDeps, 'store' | 'clock' | 'settings'>,
  orderId: string,
): Promise<OrderSnapshot | null> {
  const order = await deps.store.getOrder(orderId);
  const event = order ? await deps.store.getEvent(order.eventId) : null;
  if (!order || !event) return null;
  const printerId = order.claim?.printerId ?? Object.values(order.printed).at(-1)?.printerId ?? null;
  const printer = printerId ? await deps.store.getPrinter(printerId) : null;
  const codeExpiresAt = redemptionExpiry(deps, event, order);
  // A payment that arrived after the fan cancelled: the page says it was (or will be) refunded.
  const late =
    order.state === 'cancelled'
      ? (await deps.store.listConflicts({ orderId: order.id }, 10)).find((c) => c.kind === 'paid_after_cancel')
      : undefined;
  const status = describeOrderStatus(order, {
    printerName: printer?.name ?? null,
    codeExpiresAt,
    now: deps.clock.now(),
    latePayment: late ? { refunded: late.refundId !== null && late.refundId !== undefined } : null,
  });
  return { order, event, status, codeExpiresAt };
}

/** What a payment handed over (not an order's) answers the webhook with. */
export interface HandedOver {
  received: boolean;
  duplicate: boolean;
  state: string;
}

/** Quotes, checkout, the fan's order and its QR code, payment webhooks, and operators' order lists. */
export class OrderService {
  readonly #deps: CoordinatorDeps;
  /** Payments for things that are not orders (reorders, own-photo jobs), by the prefix of their reference. */
  readonly #otherPayments: Array<{ prefix: string; apply: (event: PaymentWebhookEvent) => Promise<HandedOver> }> = [];
  readonly #templates: TemplateService | null;

  constructor(deps: CoordinatorDeps, templates: TemplateService | null = null) {
    this.#deps = deps;
    this.#templates = templates;
  }

  /**
   * Verified webhooks whose reference starts with `prefix` go to `apply` instead of the orders (one
   * mechanism for every kind of payment on the same gateway). What `apply` answers is counted in
   * `vpm_payment_webhooks_total` as applied or duplicate; a refusal it throws is answered as is.
   * Prefixes must not overlap (the first registered would win): `r-` reorders, `ownjob_` own photos.
   */
  handOverPayments(prefix: string, apply: (event: PaymentWebhookEvent) => Promise<HandedOver>): void {
    this.#otherPayments.push({ prefix, apply });
  }

  /** Merges repeated lines (same photo, same template) and checks every image belongs to the event. */
  async #lines(input: OrderInput): Promise<{ event: EventRecord; lines: ChosenLine[] }> {
    const { store } = this.#deps;
    const event = await store.getEvent(input.eventId);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    const merged = new Map<string, ChosenLine>();
    for (const item of input.items) {
      const key = lineKey(item);
      const line = merged.get(key);
      if (line) line.copies += item.copies;
      else merged.set(key, { ...item });
    }
    const lines: ChosenLine[] = [];
    for (const { imageId, copies: n, template } of merged.values()) {
      const image = await store.getImage(imageId);
      if (!image || image.eventId !== event.id) {
        throw new AppError('image_not_in_event', `Image ${imageId} is not for sale at this event.`, { imageId });
      }
      if (n > MAX_COPIES_PER_IMAGE) {
        throw new AppError('too_many_copies', `At most ${MAX_COPIES_PER_IMAGE} copies of one photo.`, { imageId });
      }
      lines.push(template ? { imageId, copies: n, template } : { imageId, copies: n });
    }
    return { event, lines };
  }

  /** Issue #14: each line's template priced now for this customer (frozen on the order's items). */
  async #withTemplates(event: EventRecord, lines: ChosenLine[], customerId: string | null) {
    if (!this.#templates) {
      if (lines.some((l) => l.template)) throw new AppError('template_not_found', 'Templates are not offered here.');
      return { items: lines.map((l) => ({ imageId: l.imageId, copies: l.copies })), fees: [], feesCents: 0 };
    }
    return priceTemplateLines(this.#templates, this.#deps, event, lines, customerId);
  }

  #price(event: EventRecord, lines: OrderLine[]) {
    try {
      return priceOrder(event.priceList, lines);
    } catch (err) {
      throw new AppError('order_too_large', (err as Error).message);
    }
  }

  async quote(input: OrderInput, customerId: string | null = null) {
    const { event, lines } = await this.#lines(input);
    const quote = this.#price(event, lines);
    const templates = await this.#withTemplates(event, lines, customerId);
    // The cart shows bundles and savings as the server priced them, never recomputed in the browser.
    return {
      quote,
      breakdown: quoteBreakdown(event.priceList, quote),
      templateFees: { lines: templates.fees, totalCents: templates.feesCents },
      totalCents: quote.totalCents + templates.feesCents,
    };
  }

  async place(input: OrderInput, customerId: string | null = null) {
    const { store, payments, clock, random, settings } = this.#deps;
    const { event, lines } = await this.#lines(input);
    const price = this.#price(event, lines);
    const templates = await this.#withTemplates(event, lines, customerId);
    const totalCents = price.totalCents + templates.feesCents;
    if (input.expectedTotalCents !== undefined && input.expectedTotalCents !== totalCents) {
      throw new AppError(
        'price_changed',
        'The price changed since your cart was priced (a frame got more popular or a table was switched); check the new total and pay again.',
        { totalCents, currency: price.currency },
      );
    }
    const id = randomId(random, 16);
    if (customerId) await this.#templates?.store.putOrderCustomer(id, customerId);
    const session = await payments.createCheckout({
      orderId: id,
      amountCents: totalCents,
      currency: price.currency,
      description: `${price.printCount} print(s) from ${event.name}`,
      // The fan's order page (web/shop): it shows the outcome, the QR code and the printing status.
      returnUrl: `${settings.publicUrl}/o/${id}`,
    });
    const order = await insertUnpaidOrder(store, {
      id,
      eventId: event.id,
      venueId: event.venueId,
      items: templates.items,
      unitCount: price.printCount,
      totalCents,
      currency: price.currency,
      paymentSessionId: session.sessionId,
      createdAt: clock.now(),
    });
    return {
      order: orderView(order),
      quote: price,
      templateFees: { lines: templates.fees, totalCents: templates.feesCents },
      checkoutUrl: session.checkoutUrl,
    };
  }

  async #load(id: string): Promise<{ order: OrderRecord; event: EventRecord }> {
    const { store } = this.#deps;
    const order = await store.getOrder(id);
    const event = order ? await store.getEvent(order.eventId) : null;
    if (!order || !event) throw new AppError('order_not_found', 'This order does not exist.');
    return { order, event };
  }

  #tokenFor(order: OrderRecord, event: EventRecord) {
    const expiresAt = redemptionExpiry(this.#deps, event, order);
    return { token: signRedemptionToken(order.code, expiresAt, this.#deps.tokenKeys.current), expiresAt };
  }

  /** The order id is the fan's capability: 128 random bits, never listed anywhere. */
  async details(orderId: string) {
    const { order, event } = await this.#load(orderId);
    const redemption = REDEEMABLE_STATES.has(order.state)
      ? {
          ...this.#tokenFor(order, event),
          qrPngUrl: `/api/orders/${order.id}/qr.png`,
          qrSvgUrl: `/api/orders/${order.id}/qr.svg`,
        }
      : null;
    return { order: orderView(order), redemption };
  }

  async qr(orderId: string, file: QrFile): Promise<{ contentType: string; body: Buffer | string }> {
    const { order, event } = await this.#load(orderId);
    if (!REDEEMABLE_STATES.has(order.state)) {
      throw new AppError('order_not_paid', 'The QR code is issued once the payment is confirmed.');
    }
    const { token } = this.#tokenFor(order, event);
    return file === 'qr.png'
      ? { contentType: 'image/png', body: await qrPng(token) }
      : { contentType: 'image/svg+xml', body: await qrSvg(token) };
  }

  /** The order with everything its page shows, or a 404. */
  async snapshot(orderId: string): Promise<OrderSnapshot> {
    const snapshot = await loadOrderSnapshot(this.#deps, orderId);
    if (!snapshot) throw new AppError('order_not_found', 'This order does not exist.');
    return snapshot;
  }

  async status(orderId: string) {
    return { status: (await this.snapshot(orderId)).status };
  }

  /** In-flight (or the given states') orders of an event, newest first, at most MAX_ORDERS_LISTED. */
  async listForEvent(event: EventRecord, states: readonly OrderState[]) {
    const orders = await this.#deps.store.listOrders({ eventId: event.id, states }, MAX_ORDERS_LISTED);
    return { orders: orders.map(orderView), limit: MAX_ORDERS_LISTED };
  }

  async applyWebhook(raw: Buffer, headers: IncomingHttpHeaders) {
    const { store, payments, clock, metrics, logger } = this.#deps;
    let event: PaymentWebhookEvent;
    try {
      event = payments.verifyWebhook(raw, headers);
    } catch (err) {
      // An event acknowledged without action (webhook_ignored, 200) is not a rejection.
      metrics.webhooks.inc({
        result: err instanceof AppError && err.code === 'webhook_ignored' ? 'ignored' : 'rejected',
      });
      throw err;
    }
    // A venue order is looked up first: its id is random base64url, so one in 4,096 starts with a
    // reorder's "r-", and routing by prefix alone would refuse that fan's payment.
    const found = await store.getOrder(event.orderId);
    const order = found?.paymentSessionId === event.sessionId ? found : null;
    // A reorder after the event, an own-photo job: same gateway, same signature, their own records.
    const other = order ? undefined : this.#otherPayments.find((h) => event.orderId.startsWith(h.prefix));
    if (other) {
      const applied = await other.apply(event);
      metrics.webhooks.inc({ result: applied.duplicate ? 'duplicate' : 'applied' });
      return applied;
    }
    if (!order) {
      metrics.webhooks.inc({ result: 'unknown_order' });
      throw new AppError('order_not_found', 'The webhook names an order or session this shop does not know.');
    }
    if (event.amountCents !== order.totalCents || event.currency !== order.currency) {
      metrics.webhooks.inc({ result: 'amount_mismatch' });
      logger.warn({ orderId: order.id, eventId: event.id }, 'payment amount does not match the order');
      throw new AppError('amount_mismatch', 'The paid amount does not match the order total.');
    }
    // Apply first, then remember the event: a crash in between makes the gateway retry, and the
    // state machine makes the retry a no-op, so no payment is ever lost.
    const transition =
      event.type === 'payment.succeeded'
        ? await store.transitionOrder(order.id, 'payment_succeeded', { paidAt: event.createdAt })
        : event.type === 'payment.failed'
          ? await store.transitionOrder(order.id, 'payment_failed')
          : await store.transitionOrder(order.id, 'payment_cancelled');
    // The venue's printers learn of the paid order ahead of time (offline redemption). Before the
    // event is remembered: a crash in between makes the gateway retry, which publishes again.
    if (event.type === 'payment.succeeded') {
      const paid = transition ?? (await store.getOrder(order.id));
      if (paid) await publishOrder(this.#deps, paid);
    }
    // Money taken for an order that was cancelled first: never dropped (refunded, shown to operators).
    if (event.type === 'payment.succeeded' && !transition) {
      const now = await store.getOrder(order.id);
      if (now?.state === 'cancelled') await refundLatePayment(this.#deps, now, event);
    }
    const firstTime = await store.recordPaymentEvent({
      id: event.id,
      orderId: order.id,
      type: event.type,
      receivedAt: clock.now(),
    });
    metrics.webhooks.inc({ result: firstTime ? 'applied' : 'duplicate' });
    if (!transition && firstTime) {
      logger.info(
        { orderId: order.id, type: event.type, state: order.state },
        'webhook did not change the order state',
      );
    }
    const current = transition ?? (await store.getOrder(order.id));
    return { received: true, duplicate: !firstTime, state: current?.state ?? order.state };
  }
}
