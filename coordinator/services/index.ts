import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { StreamLimiter } from '../http/event-stream.ts';
import { CredentialService } from './credentials.ts';
import { EventService } from './events.ts';
import { ImageService } from './images.ts';
import { KioskSaleService } from './kiosk-sales.ts';
import { LiveUpdates } from './live-updates.ts';
import { OfflineRedemptionService } from './offline-redemptions.ts';
import { OpsMonitor } from './ops-monitor.ts';
import { OrderService } from './orders.ts';
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
  /** Polls behind the fans' live pages. */
  live: LiveUpdates;
  /** The operator dashboard's poller. */
  ops: OpsMonitor;
  /** Kiosk sales (issue #13): phone and card-present payment at a printer's kiosk. */
  kioskSales: KioskSaleService;
  /** Open fan event streams, per process. */
  streams: StreamLimiter;
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
  const kioskSales = new KioskSaleService(deps);
  // Settles kiosk sales on the Clock (capture after print, void, expiry); one process at a time holds the lease.
  kioskSales.settler.start(randomId(deps.random, 6));
  return {
    kioskSales,
    credentials: new CredentialService(deps),
    events: new EventService(deps),
    images: new ImageService(deps),
    orders: new OrderService(deps),
    redemption: new RedemptionService(deps),
    offline: new OfflineRedemptionService(deps),
    printers: new PrinterService(deps),
    live,
    ops,
    streams: new StreamLimiter(),
    close() {
      live.close();
      ops.close();
      kioskSales.settler.stop();
    },
  };
}
