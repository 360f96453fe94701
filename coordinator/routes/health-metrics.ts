import type Router from '@koa/router';
import type { CoordinatorDeps } from '../deps.ts';

export function healthMetricsRoutes(router: Router, deps: CoordinatorDeps): void {
  router.get('/healthz', async (ctx) => {
    // A cheap store round trip: a coordinator whose store is gone is not healthy.
    try {
      await deps.store.getVenue('healthz-probe');
    } catch (err) {
      deps.storeHealth?.noteError(err, deps.clock.now());
      throw err;
    }
    const store = deps.storeHealth?.report;
    if (store && !store.ok) {
      // Answers, but damaged: a balancer should stop sending traffic here, and operators must know why.
      ctx.status = 503;
      ctx.body = { status: 'degraded', store };
      return;
    }
    ctx.body = { status: 'ok' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
}
