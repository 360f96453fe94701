import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { PrinterStatusReport } from '../../shared/protocol/printer-api.ts';
import type { StationQueueReport } from '../../shared/protocol/station-queue.ts';
import type { RedemptionProgress } from '../jobs/redemption-service.ts';
import { printerBlocksNewOrders } from '../kiosk/kiosk-messages.ts';
import { KioskShop } from '../kiosk/kiosk-shop.ts';
import type { NodeRuntime } from '../node-runtime.ts';
import type { ReceiptInfo } from '../printing/port.ts';
import { kioskRouting } from '../routing/kiosk-routing.ts';
import type { LocalApiDeps } from './local-api.ts';
import type { NodeMetrics } from './node-metrics.ts';

/** A kiosk thumbnail does not wait long for a catalog entry; the screen asks again on its next poll. */
const KIOSK_CATALOG_WAIT_MS = 1_000;

/** What the local API needs from the node that outlives a runtime. */
export interface LocalApiNode {
  readonly logger: StructuredLogger;
  readonly metrics: NodeMetrics;
  readonly printerName: string;
  readonly clock: Clock;
  /** Host names the local API answers to besides loopback (DNS-rebinding guard). */
  readonly localHostNames: readonly string[];
  /** The station's card reader at the payment provider (edge config `cardReaderId`). */
  readonly cardReaderId?: string;
  statusReport(): Promise<PrinterStatusReport>;
  redeem(code: string): Promise<RedemptionProgress>;
  startRedeem(code: string): Promise<RedemptionProgress>;
  progress(orderId: string): RedemptionProgress | null;
  /** This station's queue (fan routing); absent on nodes built without it. */
  stationQueue?(): StationQueueReport | null;
}

/** The local API (status, metrics, redemption, kiosk) over one runtime of the node. */
export function localApiDeps(node: LocalApiNode, runtime: NodeRuntime): LocalApiDeps {
  const printer = () => {
    const p = runtime.printer;
    if (!p) throw new AppError('printer_offline', 'The printer is not open yet.');
    return p;
  };
  const watch = (orderId: string, listener: (p: RedemptionProgress) => void) => {
    const redemptions = runtime.redemptions;
    if (!redemptions) return () => {};
    const onProgress = (p: RedemptionProgress) => {
      if (p.orderId === orderId) listener(p);
    };
    redemptions.on('progress', onProgress);
    return () => redemptions.off('progress', onProgress);
  };
  const shop = new KioskShop({
    clock: node.clock,
    logger: node.logger,
    feeds: () => runtime.profile?.feeds ?? [],
    replica: (eventId) => runtime.replica(eventId),
    client: () => runtime.coordinator,
    readerId: node.cardReaderId,
    startRedeem: (code) => node.startRedeem(code),
    warmUp: (eventId, items) => runtime.warmUpBasket(eventId, items),
    watch,
    saleReceipts: runtime.saleReceipts,
    printerReady: async () => {
      const status = await printer().status();
      return { ready: !printerBlocksNewOrders(status.state), detail: status.detail };
    },
  });
  runtime.closeWith(() => shop.close());
  return {
    logger: node.logger,
    hostNames: node.localHostNames,
    status: () => node.statusReport(),
    metrics: async () => ({
      contentType: node.metrics.registry.contentType,
      body: await node.metrics.registry.metrics(),
    }),
    redeem: (code) => node.redeem(code),
    progress: (orderId) => node.progress(orderId),
    arrivals: (eventId, afterSeq, limit) => {
      const replica = runtime.replica(eventId);
      if (!replica) return null;
      // One more than asked tells whether another page follows.
      const page = replica.arrivals.list(afterSeq, limit + 1);
      return { eventId, arrivals: page.slice(0, limit), more: page.length > limit };
    },
    rollLoaded: async (name) => {
      const p = printer();
      if (!p.rollLoaded) throw new AppError('station_printer_unknown', 'This node drives no IPP photo printers.');
      return p.rollLoaded(name);
    },
    ownPhotos: runtime.ownPhotos
      ? {
          client: runtime.ownPhotos.client,
          printing: runtime.ownPhotos.printing,
          printer: () => printer().status(),
          names: () => ({
            venue: runtime.profile?.venue.name ?? '',
            printer: runtime.profile?.printer.name ?? node.printerName,
          }),
          clock: node.clock,
          ...(node.cardReaderId
            ? {
                card: {
                  readerId: node.cardReaderId,
                  status: async () => (await shop.payments()).card?.status ?? null,
                  printReceipt: (info: ReceiptInfo) => printer().printReceipt(info),
                },
              }
            : {}),
        }
      : undefined,
    kiosk: {
      startRedeem: (code) => node.startRedeem(code),
      progress: (orderId) => node.progress(orderId),
      watch,
      shop,
      printer: () => printer().status(),
      watchPrinter: (listener) => {
        const p = printer();
        p.on('status', listener);
        return () => p.off('status', listener);
      },
      localImage: async (orderId, imageId) => {
        // A photo of an order claimed here, if this node holds it whole.
        const order = runtime.log?.get(orderId);
        const replica = order ? runtime.replica(order.eventId) : undefined;
        if (!replica) return null;
        const entry = await replica.entry(imageId, KIOSK_CATALOG_WAIT_MS);
        return entry ? replica.readLocal(entry) : null;
      },
      framedThumb: async (orderId, unit) => {
        const order = runtime.log?.get(orderId);
        const framed = order?.units.find((u) => u.unit === unit);
        if (!order || !framed?.template) return null;
        return shop.frames.framed(order.eventId, framed.imageId, framed.template);
      },
      clock: node.clock,
      routing: () => {
        const here = node.stationQueue?.();
        return here ? kioskRouting(here, runtime.queueBoard.peers()) : null;
      },
      names: () => ({
        venue: runtime.profile?.venue.name ?? '',
        printer: runtime.profile?.printer.name ?? node.printerName,
      }),
    },
  };
}
