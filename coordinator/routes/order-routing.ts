import type Router from '@koa/router';
import type { CoordinatorDeps } from '../deps.ts';
import { OrderRouting } from '../services/order-routing.ts';

/**
 * GET /api/orders/:orderId/routing: where the fan should print now (issue #16), for the order page.
 * Public like the order's other reads: the order id is the fan's capability.
 */
export function orderRoutingRoutes(router: Router, deps: CoordinatorDeps): void {
  const routing = new OrderRouting(deps);
  router.get('/api/orders/:orderId/routing', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await routing.view(ctx.params.orderId!);
  });
}
