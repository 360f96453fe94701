import type Router from '@koa/router';
import { AppError } from '../../../shared/errors.ts';
import type { CoordinatorDeps } from '../../deps.ts';
import { parseInput } from '../../http/validate.ts';
import { type ImageFilter, imageFilterSchema, matchesImageFilter } from '../../routes/image-query.ts';
import { redemptionExpiry } from '../../routes/orders.ts';
import type { EventRecord, ImageRecord, OrderRecord } from '../../store/records.ts';
import { imageView } from '../../views.ts';
import { type EventStream, openEventStream, StreamLimiter } from './event-stream.ts';
import { describeOrderStatus, type OrderStatusView } from './order-status.ts';
import { StorePoller } from './store-poller.ts';

/**
 * Live updates for the fan pages: new photos of an event, and the status of one order. Both poll
 * the store (shared by every coordinator process) on a fixed interval, once per event or order no
 * matter how many fans watch, and push changes over Server-Sent Events. The same data is available
 * as plain JSON for pages whose EventSource fails.
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

export interface OrderSnapshot {
  order: OrderRecord;
  event: EventRecord;
  status: OrderStatusView;
  codeExpiresAt: number;
}

/** Reads an order with everything its page shows; null when there is no such order. */
export async function loadOrderSnapshot(deps: CoordinatorDeps, orderId: string): Promise<OrderSnapshot | null> {
  const order = await deps.store.getOrder(orderId);
  const event = order ? await deps.store.getEvent(order.eventId) : null;
  if (!order || !event) return null;
  const printerId = order.claim?.printerId ?? Object.values(order.printed).at(-1)?.printerId ?? null;
  const printer = printerId ? await deps.store.getPrinter(printerId) : null;
  const codeExpiresAt = redemptionExpiry(deps, event, order);
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

export function liveRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, logger } = deps;
  const limiter = new StreamLimiter();

  const eventImages = new StorePoller<EventSnapshot>({
    intervalMs: EVENT_POLL_INTERVAL_MS,
    logger,
    load: async (eventId, previous) => {
      const all = await store.listImages(eventId);
      const fresh = previous ? all.filter((i) => !previous.known.has(i.id)) : [];
      return { all, fresh, known: new Set(all.map((i) => i.id)) };
    },
  });

  const orders = new StorePoller<OrderSnapshot | null>({
    intervalMs: ORDER_POLL_INTERVAL_MS,
    logger,
    load: (orderId) => loadOrderSnapshot(deps, orderId),
  });

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

  router.get('/api/events/:eventId/stream', async (ctx) => {
    const event = await store.getEvent(ctx.params.eventId!);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    const query: ImageFilter = parseInput(imageFilterSchema, ctx.query, 'stream query');
    // EventSource resumes with the id of the last event it received: the newest photo's time.
    const resumeFrom = /^\d{1,16}$/.test(ctx.get('last-event-id')) ? Number(ctx.get('last-event-id')) : query.since;
    const filter = { ...query, since: undefined };
    const stream = openEventStream(ctx, limiter);
    const snapshot = await follow(stream, eventImages, event.id, (snap) =>
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
  });

  router.get('/api/orders/:orderId/status', async (ctx) => {
    const snapshot = await loadOrderSnapshot(deps, ctx.params.orderId!);
    if (!snapshot) throw new AppError('order_not_found', 'This order does not exist.');
    ctx.set('cache-control', 'no-store');
    ctx.body = { status: snapshot.status };
  });

  router.get('/api/orders/:orderId/stream', async (ctx) => {
    const orderId = ctx.params.orderId!;
    const current = await loadOrderSnapshot(deps, orderId);
    if (!current) throw new AppError('order_not_found', 'This order does not exist.');
    const stream = openEventStream(ctx, limiter);
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
    await follow(stream, orders, orderId, (snap) => {
      if (snap) send(snap.status);
    });
  });
}
