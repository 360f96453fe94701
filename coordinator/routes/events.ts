import type Router from '@koa/router';
import { isAppError } from '../../shared/errors.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requireStaff, type StaffIdentity } from '../http/auth.ts';
import { openEventStream } from '../http/event-stream.ts';
import { parseInput } from '../http/validate.ts';
import { drainOrCut } from '../media/multipart.ts';
import { loadDeliveryMatrix } from '../services/delivery.ts';
import { eventInput, priceListSchema } from '../services/events.ts';
import { type ImageFilter, imageFilterSchema, imageQuerySchema } from '../services/image-query.ts';
import type { Services } from '../services/index.ts';
import { orderStateQuery } from '../services/orders.ts';

/** Every `/api/events` route: events, their price lists, photos, live photo stream, delivery and orders. */
export function eventRoutes(router: Router, deps: CoordinatorDeps, services: Services): void {
  const { events, images, orders, live, streams } = services;
  const operator = requireStaff(deps.store, ['operator']);
  const staff = requireStaff(deps.store, ['operator', 'photographer']);

  router.post('/api/events', operator, async (ctx) => {
    ctx.body = await events.createEvent(parseInput(eventInput, ctx.request.body));
    ctx.status = 201;
  });

  router.put('/api/events/:eventId/price-list', operator, async (ctx) => {
    const priceList = parseInput(priceListSchema, ctx.request.body, 'price list');
    ctx.body = await events.setPriceList(ctx.params.eventId!, priceList);
  });

  // Public: fans browse events and their photos.
  router.get('/api/events', async (ctx) => {
    ctx.body = await events.list();
  });

  router.get('/api/events/:eventId', async (ctx) => {
    ctx.body = { event: (await events.get(ctx.params.eventId!)).event };
  });

  router.post('/api/events/:eventId/images', staff, async (ctx) => {
    const event = await events.require(ctx.params.eventId!);
    const staffIdentity = ctx.state.staff as StaffIdentity;
    let result: Awaited<ReturnType<typeof images.upload>>;
    try {
      result = await images.upload(event, staffIdentity, ctx.req);
    } catch (err) {
      // Refused before reading: say when to retry, and discard the body unread (or cut a large one).
      if (isAppError(err, 'too_many_uploads')) {
        const seconds = err.details?.retryAfterSeconds;
        if (typeof seconds === 'number') ctx.set('retry-after', String(seconds));
        drainOrCut(ctx.req);
      }
      throw err;
    }
    ctx.status = result.created ? 201 : 200;
    ctx.body = result.body;
  });

  router.get('/api/events/:eventId/images', async (ctx) => {
    const event = await events.require(ctx.params.eventId!);
    ctx.body = await images.list(event, parseInput(imageQuerySchema, ctx.query, 'image query'));
  });

  // Server-Sent Events: photos as they are registered.
  router.get('/api/events/:eventId/stream', async (ctx) => {
    const event = await events.require(ctx.params.eventId!);
    const query: ImageFilter = parseInput(imageFilterSchema, ctx.query, 'stream query');
    // EventSource resumes with the id of the last event it received: the newest photo's time.
    const lastEventId = ctx.get('last-event-id');
    const resumeFrom = /^\d{1,16}$/.test(lastEventId) ? Number(lastEventId) : query.since;
    const stream = openEventStream(ctx, streams, deps.clock);
    await live.followEvent(stream, event, { ...query, since: undefined }, resumeFrom);
  });

  router.get('/api/events/:eventId/delivery', operator, async (ctx) => {
    const event = await events.require(ctx.params.eventId!);
    ctx.body = await loadDeliveryMatrix(deps.store, event);
  });

  router.get('/api/events/:eventId/orders', operator, async (ctx) => {
    const event = await events.require(ctx.params.eventId!);
    const { state } = parseInput(orderStateQuery, ctx.query, 'query');
    const body = await orders.listForEvent(event, state);
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  });
}
