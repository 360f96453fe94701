import type Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { deriveEventFeedKeys } from '../../shared/feed/feed-layout.ts';
import { MAX_PRINTS_PER_ORDER } from '../../shared/policy/pricing.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { EventRecord, VenueRecord } from '../store/records.ts';
import { eventView, venueView } from '../views.ts';

const MAX_NAME_CHARS = 200;
const MAX_EVENT_DURATION_MS = 31 * 24 * 3_600_000;

const venueInput = z.object({ name: z.string().trim().min(1).max(MAX_NAME_CHARS) }).strict();

export const priceListSchema = z
  .object({
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
    unitPriceCents: z.number().int().min(0).max(1_000_000),
    bundles: z
      .array(
        z
          .object({
            copies: z.number().int().min(2).max(MAX_PRINTS_PER_ORDER),
            priceCents: z.number().int().min(0).max(100_000_000),
          })
          .strict(),
      )
      .max(10)
      .default([]),
  })
  .strict();

const eventInput = z
  .object({
    venueId: z.string().min(1).max(64),
    name: z.string().trim().min(1).max(MAX_NAME_CHARS),
    startsAt: z.number().int().positive(),
    endsAt: z.number().int().positive(),
    priceList: priceListSchema,
  })
  .strict()
  .refine((e) => e.endsAt > e.startsAt, { message: 'must be after startsAt', path: ['endsAt'] })
  .refine((e) => e.endsAt - e.startsAt <= MAX_EVENT_DURATION_MS, {
    message: 'an event lasts at most 31 days',
    path: ['endsAt'],
  });

export function venueAndEventRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, feeds, clock, random } = deps;
  const operator = requireStaff(store, ['operator']);

  router.post('/api/venues', operator, async (ctx) => {
    const input = parseInput(venueInput, ctx.request.body);
    const venue: VenueRecord = {
      id: randomId(random, 9),
      name: input.name,
      topicSecret: random.bytes(32).toString('hex'),
      createdAt: clock.now(),
    };
    await store.insertVenue(venue);
    await feeds.venueCreated(venue);
    ctx.status = 201;
    ctx.body = { venue: venueView(venue) };
  });

  router.get('/api/venues', operator, async (ctx) => {
    ctx.body = { venues: (await store.listVenues()).map(venueView) };
  });

  router.post('/api/events', operator, async (ctx) => {
    const input = parseInput(eventInput, ctx.request.body);
    if (!(await store.getVenue(input.venueId)))
      throw new AppError('venue_not_found', `Venue ${input.venueId} does not exist.`);
    const feedSeed = random.bytes(32);
    const keys = deriveEventFeedKeys(feedSeed);
    const event: EventRecord = {
      id: randomId(random, 9),
      venueId: input.venueId,
      name: input.name,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      priceList: input.priceList,
      feedSeed: feedSeed.toString('hex'),
      blobsKey: keys.blobsKey.toString('hex'),
      catalogKey: keys.catalogKey.toString('hex'),
      feedHead: { blobsLength: 0, catalogLength: 0 },
      createdAt: clock.now(),
    };
    await store.insertEvent(event);
    await feeds.eventCreated(event);
    ctx.status = 201;
    ctx.body = { event: eventView(event) };
  });

  // Orders already placed keep the total they were quoted; the new list prices the next ones.
  router.put('/api/events/:eventId/price-list', operator, async (ctx) => {
    const priceList = parseInput(priceListSchema, ctx.request.body, 'price list');
    const event = await store.setEventPriceList(ctx.params.eventId!, priceList);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    ctx.body = { event: eventView(event) };
  });

  // Public: fans browse events and their photos.
  router.get('/api/events', async (ctx) => {
    ctx.body = { events: (await store.listEvents()).map(eventView) };
  });

  router.get('/api/events/:eventId', async (ctx) => {
    const event = await store.getEvent(ctx.params.eventId!);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    ctx.body = { event: eventView(event) };
  });
}
