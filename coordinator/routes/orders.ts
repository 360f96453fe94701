import type Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { MAX_COPIES_PER_IMAGE, type OrderLine, priceOrder } from '../../shared/policy/pricing.ts';
import { randomId } from '../../shared/ports/random.ts';
import { newOrderCode } from '../../shared/token/order-code.ts';
import { signRedemptionToken } from '../../shared/token/redemption-token.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { publishOrder } from '../feed/order-publication.ts';
import { ClientRateLimiter, ORDER_BURST, ORDER_REFILL_MS } from '../http/client-rate-limiter.ts';
import { limitPerClient } from '../http/limit-per-client.ts';
import { parseInput } from '../http/validate.ts';
import { refundLatePayment } from '../payment/late-payment.ts';
import type { PaymentWebhookEvent } from '../payment/port.ts';
import { StoreConflictError } from '../store/port.ts';
import type { EventRecord, OrderRecord } from '../store/records.ts';
import { qrPng, qrSvg } from '../tokens/qr.ts';
import { orderView } from '../views.ts';

const MAX_LINES_PER_ORDER = 100;
const ORDER_CODE_ATTEMPTS = 5;
const REDEEMABLE_STATES = new Set(['paid', 'redeeming', 'fulfilled']);

const orderInput = z
  .object({
    eventId: z.string().min(1).max(64),
    items: z
      .array(
        z
          .object({
            imageId: z.string().min(1).max(64),
            copies: z.number().int().min(1).max(MAX_COPIES_PER_IMAGE),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_LINES_PER_ORDER),
  })
  .strict();

/** Merges repeated image ids and checks every image belongs to the event. */
async function orderLines(
  deps: CoordinatorDeps,
  input: z.infer<typeof orderInput>,
): Promise<{ event: EventRecord; lines: OrderLine[] }> {
  const event = await deps.store.getEvent(input.eventId);
  if (!event) throw new AppError('event_not_found', 'This event does not exist.');
  const copies = new Map<string, number>();
  for (const item of input.items) copies.set(item.imageId, (copies.get(item.imageId) ?? 0) + item.copies);
  const lines: OrderLine[] = [];
  for (const [imageId, n] of copies) {
    const image = await deps.store.getImage(imageId);
    if (!image || image.eventId !== event.id) {
      throw new AppError('image_not_in_event', `Image ${imageId} is not for sale at this event.`, { imageId });
    }
    if (n > MAX_COPIES_PER_IMAGE) {
      throw new AppError('too_many_copies', `At most ${MAX_COPIES_PER_IMAGE} copies of one photo.`, { imageId });
    }
    lines.push({ imageId, copies: n });
  }
  return { event, lines };
}

function quote(event: EventRecord, lines: OrderLine[]) {
  try {
    return priceOrder(event.priceList, lines);
  } catch (err) {
    throw new AppError('order_too_large', (err as Error).message);
  }
}

export function redemptionExpiry(deps: CoordinatorDeps, event: EventRecord, order: OrderRecord): number {
  const from = Math.max(event.endsAt, order.paidAt ?? order.createdAt);
  return Math.floor((from + deps.settings.redemptionWindowMs) / 60_000) * 60_000;
}

export function orderRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, payments, clock, random, settings, tokenKeys, metrics, logger } = deps;

  router.post('/api/orders/quote', async (ctx) => {
    const { event, lines } = await orderLines(deps, parseInput(orderInput, ctx.request.body));
    ctx.body = { quote: quote(event, lines) };
  });

  const orderLimiter = new ClientRateLimiter({ burst: ORDER_BURST, refillMs: ORDER_REFILL_MS });
  router.post('/api/orders', async (ctx) => {
    limitPerClient(ctx, orderLimiter, clock.now(), 'too_many_orders');
    const { event, lines } = await orderLines(deps, parseInput(orderInput, ctx.request.body));
    const price = quote(event, lines);
    const id = randomId(random, 16);
    const session = await payments.createCheckout({
      orderId: id,
      amountCents: price.totalCents,
      currency: price.currency,
      description: `${price.printCount} print(s) from ${event.name}`,
      // The fan's order page (web/shop): it shows the outcome, the QR code and the printing status.
      returnUrl: `${settings.publicUrl}/o/${id}`,
    });
    for (let attempt = 1; ; attempt++) {
      const order: OrderRecord = {
        id,
        code: newOrderCode(),
        eventId: event.id,
        venueId: event.venueId,
        items: lines,
        unitCount: price.printCount,
        totalCents: price.totalCents,
        currency: price.currency,
        state: 'awaiting_payment',
        paymentSessionId: session.sessionId,
        createdAt: clock.now(),
        paidAt: null,
        claim: null,
        printed: {},
        printedCount: 0,
        fulfilledAt: null,
      };
      try {
        await store.insertOrder(order);
        ctx.status = 201;
        ctx.body = { order: orderView(order), quote: price, checkoutUrl: session.checkoutUrl };
        return;
      } catch (err) {
        // 40-bit codes collide rarely; draw a new one.
        if (!(err instanceof StoreConflictError) || attempt >= ORDER_CODE_ATTEMPTS) throw err;
      }
    }
  });

  async function loadOrder(id: string): Promise<{ order: OrderRecord; event: EventRecord }> {
    const order = await store.getOrder(id);
    const event = order ? await store.getEvent(order.eventId) : null;
    if (!order || !event) throw new AppError('order_not_found', 'This order does not exist.');
    return { order, event };
  }

  function tokenFor(order: OrderRecord, event: EventRecord) {
    const expiresAt = redemptionExpiry(deps, event, order);
    return { token: signRedemptionToken(order.code, expiresAt, tokenKeys.current), expiresAt };
  }

  // The order id is the fan's capability: 128 random bits, never listed anywhere.
  router.get('/api/orders/:orderId', async (ctx) => {
    const { order, event } = await loadOrder(ctx.params.orderId!);
    const redemption = REDEEMABLE_STATES.has(order.state)
      ? {
          ...tokenFor(order, event),
          qrPngUrl: `/api/orders/${order.id}/qr.png`,
          qrSvgUrl: `/api/orders/${order.id}/qr.svg`,
        }
      : null;
    ctx.set('cache-control', 'no-store');
    ctx.body = { order: orderView(order), redemption };
  });

  router.get('/api/orders/:orderId/:file', async (ctx, next) => {
    const file = ctx.params.file;
    // Other order sub-resources (the shop's status and stream) are routes of their own.
    if (file !== 'qr.png' && file !== 'qr.svg') return next();
    const { order, event } = await loadOrder(ctx.params.orderId!);
    if (!REDEEMABLE_STATES.has(order.state)) {
      throw new AppError('order_not_paid', 'The QR code is issued once the payment is confirmed.');
    }
    const { token } = tokenFor(order, event);
    ctx.set('cache-control', 'no-store');
    if (file === 'qr.png') {
      ctx.type = 'image/png';
      ctx.body = await qrPng(token);
    } else {
      ctx.type = 'image/svg+xml';
      ctx.body = await qrSvg(token);
    }
  });

  router.post('/api/payments/webhook', async (ctx) => {
    const raw = Buffer.from((ctx.request as { rawBody?: string }).rawBody ?? '', 'utf8');
    let event: PaymentWebhookEvent;
    try {
      event = payments.verifyWebhook(raw, ctx.headers);
    } catch (err) {
      metrics.webhooks.inc({ result: 'rejected' });
      throw err;
    }
    const order = await store.getOrder(event.orderId);
    if (!order || order.paymentSessionId !== event.sessionId) {
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
      if (paid) await publishOrder(deps, paid);
    }
    // Money taken for an order that was cancelled first: never dropped (refunded, shown to operators).
    if (event.type === 'payment.succeeded' && !transition) {
      const now = await store.getOrder(order.id);
      if (now?.state === 'cancelled') await refundLatePayment(deps, now, event);
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
    ctx.body = { received: true, duplicate: !firstTime, state: current?.state ?? order.state };
  });
}
