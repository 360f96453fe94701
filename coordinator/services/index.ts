import { OWN_PHOTO_PAYMENT_PREFIX } from '../../shared/policy/own-photo-job.ts';
import { randomId } from '../../shared/ports/random.ts';
import { REORDER_ID_PREFIX } from '../after-event/records.ts';
import { type AfterEventServices, createAfterEventServices } from '../after-event/services.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { StreamLimiter } from '../http/event-stream.ts';
import { TemplateService } from '../templates/template-service.ts';
import { CredentialService } from './credentials.ts';
import { EventService } from './events.ts';
import { ImageService } from './images.ts';
import { KioskSaleService } from './kiosk-sales.ts';
import { LiveUpdates } from './live-updates.ts';
import { OfflineRedemptionService } from './offline-redemptions.ts';
import { OpsMonitor } from './ops-monitor.ts';
import { OrderService } from './orders.ts';
import { OwnPhotoCardSales } from './own-photo-card-sales.ts';
import { OwnPhotoSweeper } from './own-photo-sweeper.ts';
import { OwnPhotoService } from './own-photos.ts';
import { PrinterService } from './printers.ts';
import { RedemptionService } from './redemption.ts';

/**
 * Where the coordinator's decisions live, one object per concern, built once per app from the
 * injected deps. Route files map HTTP onto these; the HTML views read through them too.
 */
export interface Services {
  credentials: CredentialService;
  events: EventService;
  images: ImageService;
  orders: OrderService;
  redemption: RedemptionService;
  offline: OfflineRedemptionService;
  printers: PrinterService;
  /** Issue #14: frames and layouts, their fees and usage. */
  templates: TemplateService;
  /** Polls behind the fans' live pages. */
  live: LiveUpdates;
  /** The operator dashboard's poller. */
  ops: OpsMonitor;
  /** Fans' own-photo print jobs (issue #13 item 3). */
  ownPhotos: OwnPhotoService;
  /** Their retention limit; the composition root starts it (tests sweep by hand). */
  ownPhotoSweeper: OwnPhotoSweeper;
  /** Kiosk sales (issue #13): phone and card-present payment at a printer's kiosk. */
  kioskSales: KioskSaleService;
  /** Own-photo jobs paid by card at the kiosk: kiosk sales whose print side is the job. */
  ownPhotoCardSales: OwnPhotoCardSales;
  /** Open fan event streams, per process. */
  streams: StreamLimiter;
  /** Reorders after the event, fulfilment and the lab dispatcher (issue #15); null without deps.afterEvent. */
  afterEvent: AfterEventServices | null;
  /** Stops the pollers; idempotent. Called after the HTTP server stopped taking requests. */
  close(): void;
}

export function createServices(deps: CoordinatorDeps): Services {
  const live = new LiveUpdates(deps);
  const ops = new OpsMonitor({
    store: deps.store,
    clock: deps.clock,
    thresholds: deps.settings.ops.alerts,
    pollMs: deps.settings.ops.streamPollMs,
    logger: deps.logger,
  });
  const afterEvent = createAfterEventServices(deps);
  const templates = new TemplateService(deps);
  const orders = new OrderService(deps, templates);
  const ownPhotos = new OwnPhotoService(deps);
  orders.handOverPayments(OWN_PHOTO_PAYMENT_PREFIX, (event) => ownPhotos.applyPayment(event));
  // Reorders after the event (issue #15): only when the after-event store is configured; without
  // it their references are unknown orders, as before.
  if (afterEvent) orders.handOverPayments(REORDER_ID_PREFIX, (event) => afterEvent.reorders.applyPayment(event));
  const ownPhotoSweeper = new OwnPhotoSweeper({ store: deps.store, ownPhotos, clock: deps.clock, logger: deps.logger });
  const kioskSales = new KioskSaleService(deps, templates);
  const ownPhotoCardSales = new OwnPhotoCardSales(deps, ownPhotos, kioskSales.settler);
  // Settles kiosk sales on the Clock (capture after print, void, expiry); one process at a time holds the lease.
  kioskSales.settler.start(randomId(deps.random, 6));
  return {
    kioskSales,
    ownPhotoCardSales,
    credentials: new CredentialService(deps),
    events: new EventService(deps),
    images: new ImageService(deps),
    orders,
    ownPhotos,
    ownPhotoSweeper,
    redemption: new RedemptionService(deps, templates),
    offline: new OfflineRedemptionService(deps, templates),
    printers: new PrinterService(deps),
    templates,
    live,
    ops,
    streams: new StreamLimiter(),
    afterEvent,
    close() {
      live.close();
      ops.close();
      kioskSales.settler.stop();
      ownPhotoSweeper.stop();
      afterEvent?.close();
    },
  };
}
