import type { Store } from '../store/port.ts';
import type { EventRecord } from '../store/records.ts';
import { heldImages } from './held-images.ts';
import { printerView } from './projections.ts';

/**
 * The patent's distribution status: for one event, which printer holds which image, as each
 * printer last reported. Rows are printers, columns images in feed order.
 */

export type DeliveryMatrix = Awaited<ReturnType<typeof loadDeliveryMatrix>>;

/** Rows are the venue's printers, columns the event's images in feed order. */
export async function loadDeliveryMatrix(store: Store, event: EventRecord) {
  const [images, printers, holdings] = await Promise.all([
    store.listImages(event.id),
    store.listPrinters({ venueId: event.venueId }),
    store.listHoldings(event.id),
  ]);
  const byPrinter = new Map(holdings.map((h) => [h.printerId, h]));
  const totalBytes = images.reduce((n, i) => n + i.byteLength, 0);
  return {
    eventId: event.id,
    images: images.map((i) => ({
      id: i.id,
      seq: i.seq,
      byteLength: i.byteLength,
      inFeed: i.feedState === 'appended',
    })),
    printers: printers.map((p) => {
      const h = byPrinter.get(p.id);
      const held = heldImages(h);
      const holds = images.map((i) => held(i));
      const heldBytes = images.reduce((n, i, k) => n + (holds[k] ? i.byteLength : 0), 0);
      return {
        printer: printerView(p),
        reportedAt: h?.updatedAt ?? null,
        heldCount: holds.filter(Boolean).length,
        bytesNeeded: totalBytes - heldBytes,
        /** One flag per image, in the order of `images`. */
        holds,
      };
    }),
  };
}
