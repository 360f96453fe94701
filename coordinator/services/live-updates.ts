import type { CoordinatorDeps } from '../deps.ts';
import type { EventStream } from '../http/event-stream.ts';
import type { EventRecord, ImageRecord } from '../store/records.ts';
import { type ImageFilter, matchesImageFilter } from './image-query.ts';
import type { OrderStatusView } from './order-status.ts';
import { loadOrderSnapshot, type OrderSnapshot } from './orders.ts';
import { imageView } from './projections.ts';
import { StorePoller } from './store-poller.ts';

/**
 * Live updates for the fan pages: new photos of an event, and the status of one order. Both poll
 * the store (shared by every coordinator process) on a fixed interval, once per event or order no
 * matter how many fans watch, and push changes into an open event stream. The same data is
 * available as plain JSON for pages whose EventSource fails.
 */

/** One store read per watched event per interval. */
export const EVENT_POLL_INTERVAL_MS = 3_000;
/** One store read per watched order per interval. */
export const ORDER_POLL_INTERVAL_MS = 2_000;
/**
 * On (re)connect, images registered up to this long before the fan's last-seen moment are sent
 * again: an upload's record can become visible slightly after a later one's. The page drops repeats.
 */
export const INGEST_SLACK_MS = 60_000;

interface EventSnapshot {
  all: ImageRecord[];
  /** Images that appeared since the previous poll. */
  fresh: ImageRecord[];
  known: Set<string>;
}

export type { OrderSnapshot };

function sendPhotos(stream: EventStream, images: readonly ImageRecord[]): void {
  if (images.length === 0) return;
  const newest = Math.max(...images.map((i) => i.createdAt));
  stream.send('photos', { images: images.map(imageView) }, String(newest));
}

/** Attaches a poller subscription to a stream; the stream's end releases it. */
async function follow<T>(
  stream: EventStream,
  poller: StorePoller<T>,
  key: string,
  onValue: (value: T) => void,
): Promise<T> {
  try {
    const { baseline, unsubscribe } = await poller.subscribe(key, onValue);
    stream.onClose(unsubscribe);
    return baseline;
  } catch (err) {
    stream.close();
    throw err;
  }
}

export class LiveUpdates {
  readonly #eventImages: StorePoller<EventSnapshot>;
  readonly #orders: StorePoller<OrderSnapshot | null>;

  constructor(deps: Pick<CoordinatorDeps, 'store' | 'clock' | 'settings' | 'logger'>) {
    const { store, clock, logger } = deps;
    this.#eventImages = new StorePoller<EventSnapshot>({
      intervalMs: EVENT_POLL_INTERVAL_MS,
      clock,
      logger,
      load: async (eventId, previous) => {
        const all = await store.listImages(eventId);
        const fresh = previous ? all.filter((i) => !previous.known.has(i.id)) : [];
        return { all, fresh, known: new Set(all.map((i) => i.id)) };
      },
    });
    this.#orders = new StorePoller<OrderSnapshot | null>({
      intervalMs: ORDER_POLL_INTERVAL_MS,
      clock,
      logger,
      load: (orderId) => loadOrderSnapshot(deps, orderId),
    });
  }

  /**
   * New photos of `event` matching `filter`, as they appear; with `resumeFrom` (the newest photo the
   * page had), those registered since then first.
   */
  async followEvent(
    stream: EventStream,
    event: EventRecord,
    filter: ImageFilter,
    resumeFrom: number | undefined,
  ): Promise<void> {
    const snapshot = await follow(stream, this.#eventImages, event.id, (snap) =>
      sendPhotos(
        stream,
        snap.fresh.filter((i) => matchesImageFilter(i, filter)),
      ),
    );
    if (resumeFrom !== undefined) {
      const since = resumeFrom - INGEST_SLACK_MS;
      sendPhotos(
        stream,
        snapshot.all.filter((i) => i.createdAt > since && matchesImageFilter(i, filter)),
      );
    }
  }

  /** The order's status now and at every change; a final status ends the stream. */
  async followOrder(stream: EventStream, current: OrderSnapshot): Promise<void> {
    let lastSent = '';
    const send = (status: OrderStatusView) => {
      const text = JSON.stringify(status);
      if (text === lastSent) return;
      lastSent = text;
      stream.send('status', status);
      // A finished order changes no more; the page closes its EventSource on `final`.
      if (status.final) stream.close();
    };
    send(current.status);
    if (stream.closed) return;
    await follow(stream, this.#orders, current.order.id, (snap) => {
      if (snap) send(snap.status);
    });
  }

  /** Stops every poll; open streams get nothing more (their own end releases them). */
  close(): void {
    this.#eventImages.close();
    this.#orders.close();
  }
}
