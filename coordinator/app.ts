import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import type { CoordinatorDeps } from './deps.ts';
import { staffSessions } from './http/auth.ts';
import { errorHandler } from './http/errors.ts';
import { MemoRouter } from './http/memo-router.ts';
import { SessionSealer } from './http/session-cookie.ts';
import { afterEventRoutes } from './routes/after-event.ts';
import { credentialRoutes } from './routes/credentials.ts';
import { eventRoutes } from './routes/events.ts';
import { healthMetricsRoutes } from './routes/health-metrics.ts';
import { kioskSaleRoutes } from './routes/kiosk-sales.ts';
import { mediaRoutes } from './routes/media.ts';
import { offlineRedemptionRoutes } from './routes/offline-redemptions.ts';
import { orderRoutingRoutes } from './routes/order-routing.ts';
import { orderRoutes } from './routes/orders.ts';
import { ownPhotoCardSaleRoutes } from './routes/own-photo-card-sales.ts';
import { ownPhotoRoutes } from './routes/own-photos.ts';
import { printerRoutes } from './routes/printers.ts';
import { redemptionRoutes } from './routes/redemption.ts';
import { templateRoutes } from './routes/templates.ts';
import { venueRoutes } from './routes/venues.ts';
import { createServices, type Services } from './services/index.ts';
import { opsAssetRoutes } from './web/ops/assets.ts';
import { kioskSaleOpsRoutes } from './web/ops/kiosk-sales-routes.ts';
import { opsPageRoutes } from './web/ops/page-routes.ts';
import { signinRoutes } from './web/ops/signin.ts';
import { opsStreamRoutes } from './web/ops/stream-routes.ts';
import { opsTemplateRoutes } from './web/ops/templates-page.ts';
import { assetRoutes, shopAssets } from './web/shop/assets.ts';
import { shopRoutes } from './web/shop/routes.ts';

/** JSON bodies are small: orders, tokens, holdings reports. Images come as multipart, streamed. */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;

/**
 * The coordinator's HTTP app. Pure composition: no ports are opened here, so tests drive
 * `app.callback()` directly and main.ts decides where it listens. Every router is registered
 * here; the decisions are in `services` (built from `deps` unless the caller owns them, to
 * close them: their pollers run only while someone watches).
 */
export function createApp(deps: CoordinatorDeps, services: Services = createServices(deps)): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true;
  const router = new MemoRouter();

  app.use(async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      deps.metrics.httpDuration.observe(
        { method: ctx.method, route: String(route), status: String(ctx.status) },
        seconds,
      );
    }
  });
  app.use(errorHandler(deps.logger, deps.storeHealth, () => deps.clock.now()));
  app.use(
    bodyParser({
      enableTypes: ['json', 'form'],
      jsonLimit: MAX_JSON_BODY_BYTES,
      formLimit: MAX_JSON_BODY_BYTES,
      // Printer signatures and webhook HMACs cover the exact bytes received.
      encoding: 'utf-8',
      onError: (err) => {
        throw err;
      },
    }),
  );

  healthMetricsRoutes(router, deps);
  venueRoutes(router, deps, services);
  eventRoutes(router, deps, services);
  mediaRoutes(router, deps, services);
  credentialRoutes(router, deps, services);
  orderRoutes(router, deps, services);
  orderRoutingRoutes(router, deps);
  redemptionRoutes(router, deps, services);
  offlineRedemptionRoutes(router, deps, services);
  printerRoutes(router, deps, services);
  templateRoutes(router, deps, services);
  kioskSaleRoutes(router, deps, services.kioskSales);
  // The staff console: sign-in, the operator pages, their assets and the dashboard stream.
  const sealer = new SessionSealer(deps.settings.sessionSecret);
  signinRoutes(router, deps, sealer);
  opsStreamRoutes(router, deps, services.ops);
  opsPageRoutes(router, deps, services.ops);
  opsTemplateRoutes(router, deps, services.templates);
  opsAssetRoutes(router);
  kioskSaleOpsRoutes(router, deps, services.kioskSales);
  // The fan shop: pages and their versioned assets.
  const assets = shopAssets();
  assetRoutes(router, assets);
  shopRoutes(router, deps, assets);
  afterEventRoutes(router, deps, assets, services);
  ownPhotoRoutes(router, deps, services, assets);
  ownPhotoCardSaleRoutes(router, deps, services.ownPhotoCardSales);
  deps.payments.mount?.(router);

  // Before every route, so requireStaff also accepts the staff console's session cookie.
  app.use(staffSessions({ sealer, clock: deps.clock, publicUrl: deps.settings.publicUrl }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
