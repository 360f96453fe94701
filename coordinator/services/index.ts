import type { CoordinatorDeps } from '../deps.ts';
import { StreamLimiter } from '../http/event-stream.ts';
import { TemplateService } from '../templates/template-service.ts';
import { CredentialService } from './credentials.ts';
import { EventService } from './events.ts';
import { ImageService } from './images.ts';
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
  /** Issue #14: frames and layouts, their fees and usage. */
  templates: TemplateService;
  /** Polls behind the fans' live pages. */
  live: LiveUpdates;
  /** The operator dashboard's poller. */
  ops: OpsMonitor;
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
  const templates = new TemplateService(deps);
  return {
    credentials: new CredentialService(deps),
    events: new EventService(deps),
    images: new ImageService(deps),
    orders: new OrderService(deps, templates),
    redemption: new RedemptionService(deps, templates),
    offline: new OfflineRedemptionService(deps, templates),
    printers: new PrinterService(deps),
    templates,
    live,
    ops,
    streams: new StreamLimiter(),
    close() {
      live.close();
      ops.close();
    },
  };
}
