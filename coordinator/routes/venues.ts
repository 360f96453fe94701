import type Router from '@koa/router';
import type { CoordinatorDeps } from '../deps.ts';
import { requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import { venueInput } from '../services/events.ts';
import type { Services } from '../services/index.ts';

/** Operators create and list venues (a venue's printers are paired under /api/venues/:id/printers). */
export function venueRoutes(router: Router, deps: CoordinatorDeps, { events }: Services): void {
  const operator = requireStaff(deps.store, ['operator']);

  router.post('/api/venues', operator, async (ctx) => {
    ctx.body = await events.createVenue(parseInput(venueInput, ctx.request.body));
    ctx.status = 201;
  });

  router.get('/api/venues', operator, async (ctx) => {
    ctx.body = await events.listVenues();
  });
}
