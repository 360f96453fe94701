import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { deriveEventFeedKeys } from '../../shared/feed/feed-layout.ts';
import { MAX_PRINTS_PER_ORDER, type PriceList } from '../../shared/policy/pricing.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { EventRecord, VenueRecord } from '../store/records.ts';
import { eventView, venueView } from './projections.ts';

const MAX_NAME_CHARS = 200;
const MAX_EVENT_DURATION_MS = 31 * 24 * 3_600_000;

export const venueInput = z.object({ name: z.string().trim().min(1).max(MAX_NAME_CHARS) }).strict();

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

export const eventInput = z
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

type EventDeps = Pick<CoordinatorDeps, 'store' | 'feeds' | 'clock' | 'random'>;

/** Venues and events: creating them (with their feed keys and topic secret) and reading them. */
export class EventService {
  readonly #deps: EventDeps;

  constructor(deps: EventDeps) {
    this.#deps = deps;
  }

  async createVenue(input: z.infer<typeof venueInput>) {
    const { store, feeds, clock, random } = this.#deps;
    const venue: VenueRecord = {
      id: randomId(random, 9),
      name: input.name,
      topicSecret: random.bytes(32).toString('hex'),
      createdAt: clock.now(),
    };
    await store.insertVenue(venue);
    await feeds.venueCreated(venue);
    return { venue: venueView(venue) };
  }

  async listVenues() {
    return { venues: (await this.#deps.store.listVenues()).map(venueView) };
  }

  async createEvent(input: z.infer<typeof eventInput>) {
    const { store, feeds, clock, random } = this.#deps;
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
    return { event: eventView(event) };
  }

  /** Orders already placed keep the total they were quoted; the new list prices the next ones. */
  async setPriceList(eventId: string, priceList: PriceList) {
    const event = await this.#deps.store.setEventPriceList(eventId, priceList);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    return { event: eventView(event) };
  }

  async list() {
    return { events: (await this.#deps.store.listEvents()).map(eventView) };
  }

  /** The event as the public sees it, or a 404. */
  async get(eventId: string) {
    return { event: eventView(await this.require(eventId)) };
  }

  /** The event, or a 404. */
  async require(eventId: string): Promise<EventRecord> {
    const event = await this.#deps.store.getEvent(eventId);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    return event;
  }
}
