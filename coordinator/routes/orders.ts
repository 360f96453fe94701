import type Router from '@koa/router';
import type { CoordinatorDeps } from '../deps.ts';
import { ClientRateLimiter, ORDER_BURST, ORDER_REFILL_MS } from '../http/client-rate-limiter.ts';
import { openEventStream } from '../http/event-stream.ts';
import { limitPerClient } from '../http/limit-per-client.ts';
import { parseInput } from '../http/validate.ts';
import type { Services } from '../services/index.ts';
import { orderInput } from '../services/orders.ts';
import { customerIdOf } from '../templates/template-pricing.ts';

/** The fan's side of an order: quote, checkout, the order and its QR code, live status; payment webhooks. */
export function orderRoutes(router: Router, deps: CoordinatorDeps, { orders, live, streams }: Services): void {
  router.post('/api/orders/quote', async (ctx) => {
    ctx.body = await orders.quote(parseInput(orderInput, ctx.request.body), customerIdOf(ctx, deps));
  });

  const orderLimiter = new ClientRateLimiter({ burst: ORDER_BURST, refillMs: ORDER_REFILL_MS });
  router.post('/api/orders', async (ctx) => {
    limitPerClient(ctx, orderLimiter, deps.clock.now(), 'too_many_orders');
    ctx.body = await orders.place(parseInput(orderInput, ctx.request.body), customerIdOf(ctx, deps));
    ctx.status = 201;
  });

  router.get('/api/orders/:orderId', async (ctx) => {
    const body = await orders.details(ctx.params.orderId!);
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  });

  router.get('/api/orders/:orderId/status', async (ctx) => {
    const body = await orders.status(ctx.params.orderId!);
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  });

  router.get('/api/orders/:orderId/stream', async (ctx) => {
    const current = await orders.snapshot(ctx.params.orderId!);
    await live.followOrder(openEventStream(ctx, streams, deps.clock), current);
  });

  router.get('/api/orders/:orderId/:file', async (ctx, next) => {
    const file = ctx.params.file;
    // Other order sub-resources (status, stream) are routes of their own.
    if (file !== 'qr.png' && file !== 'qr.svg') return next();
    const qr = await orders.qr(ctx.params.orderId!, file);
    ctx.set('cache-control', 'no-store');
    ctx.type = qr.contentType;
    ctx.body = qr.body;
  });

  router.post('/api/payments/webhook', async (ctx) => {
    const raw = Buffer.from((ctx.request as { rawBody?: string }).rawBody ?? '', 'utf8');
    ctx.body = await orders.applyWebhook(raw, ctx.headers);
  });
}
