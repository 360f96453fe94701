import { AppError } from '../../shared/errors.ts';
import type { EventFeedDescriptor } from '../../shared/feed/feed-layout.ts';
import type { FeedPort } from '../feed/feed-port.ts';
import type { Store } from '../store/port.ts';

/** Events whose feed descriptor one process keeps (a few hundred bytes each). */
export const MAX_CACHED_EVENT_FEEDS = 1_000;

/**
 * Each event's feed descriptor, read from the store once per process instead of on every
 * redemption (issue #16: a redemption's store reads cost more CPU than anything but its two
 * signature checks). What the descriptor is made of (the event's id, core keys and feed seed) is
 * fixed when the event is created, and events are never deleted; the parts of an event that do
 * change (feed head, price list) are not in it.
 */
export class EventFeedCache {
  readonly #store: Pick<Store, 'getEvent'>;
  readonly #feeds: Pick<FeedPort, 'descriptorFor'>;
  readonly #max: number;
  readonly #descriptors = new Map<string, EventFeedDescriptor>();

  constructor(store: Pick<Store, 'getEvent'>, feeds: Pick<FeedPort, 'descriptorFor'>, max = MAX_CACHED_EVENT_FEEDS) {
    this.#store = store;
    this.#feeds = feeds;
    this.#max = max;
  }

  /** The event's feed descriptor; `event_missing` when the event is not in the store. */
  async descriptor(eventId: string): Promise<EventFeedDescriptor> {
    const cached = this.#descriptors.get(eventId);
    if (cached) return cached;
    const event = await this.#store.getEvent(eventId);
    if (!event) throw new AppError('event_missing', 'The order’s event is missing.');
    const descriptor = Object.freeze({ ...this.#feeds.descriptorFor(event) });
    if (this.#descriptors.size >= this.#max) {
      // Past the bound the entry added first goes (insertion order).
      const oldest = this.#descriptors.keys().next();
      if (!oldest.done) this.#descriptors.delete(oldest.value);
    }
    this.#descriptors.set(eventId, descriptor);
    return descriptor;
  }
}
