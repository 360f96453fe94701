import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import type { CoordinatorDeps } from './deps.ts';
import { errorHandler } from './http/errors.ts';
import { credentialRoutes } from './routes/credentials.ts';
import { deliveryRoutes } from './routes/delivery.ts';
import { imageRoutes } from './routes/images.ts';
import { offlineRedemptionRoutes } from './routes/offline-redemptions.ts';
import { operationsRoutes } from './routes/operations.ts';
import { orderRoutes } from './routes/orders.ts';
import { printerRoutes } from './routes/printers.ts';
import { redemptionRoutes } from './routes/redemption.ts';
import { venueAndEventRoutes } from './routes/venues-events.ts';
import { opsConsole } from './web/ops/console.ts';
import { shopRoutes } from './web/shop/routes.ts';

/** JSON bodies are small: orders, tokens, holdings reports. Images come as multipart, streamed. */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;

/**
 * The coordinator's HTTP app. Pure composition: no ports are opened here, so tests drive
 * `app.callback()` directly and main.ts decides where it listens.
 */
export function createApp(deps: CoordinatorDeps): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true;
  const router = new Router();

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

  operationsRoutes(router, deps);
  venueAndEventRoutes(router, deps);
  credentialRoutes(router, deps);
  imageRoutes(router, deps);
  orderRoutes(router, deps);
  redemptionRoutes(router, deps);
  offlineRedemptionRoutes(router, deps);
  printerRoutes(router, deps);
  deliveryRoutes(router, deps);
  const staffSessions = opsConsole(router, deps);
  shopRoutes(router, deps);
  deps.payments.mount?.(router);

  app.use(staffSessions);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
