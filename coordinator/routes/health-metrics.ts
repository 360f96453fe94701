import type Router from '@koa/router';
import type { CoordinatorDeps } from '../deps.ts';

export function healthMetricsRoutes(router: Router, deps: CoordinatorDeps): void {
  router.get('/healthz', async (ctx) => {
    // A cheap store round trip: a coordinator whose store is gone is not healthy.
    await deps.store.getVenue('healthz-probe');
    ctx.body = { status: 'ok' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
}
