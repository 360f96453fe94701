import type Router from '@koa/router';
import { z } from 'zod';
import type { CoordinatorDeps } from '../deps.ts';
import { requirePrinter, requireStaff, type StaffIdentity } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { Services } from '../services/index.ts';
import type { PrinterRecord } from '../store/records.ts';

/** Orders per reconciliation request; a printer with more sends several (in order). */
export const MAX_OFFLINE_ORDERS_PER_REPORT = 200;

const reportInput = z
  .object({
    orders: z
      .array(
        z
          .object({
            orderId: z.string().min(1).max(64),
            claimedAt: z.number().int().min(0),
            mode: z.enum(['offline', 'isolated']),
            /** Units printed offline. */
            units: z.array(z.number().int().min(0).max(10_000)).max(10_000),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_OFFLINE_ORDERS_PER_REPORT),
  })
  .strict();

const venueFilter = (query: Record<string, unknown>) => (typeof query.venueId === 'string' ? query.venueId : undefined);

/** Offline reconciliation (printer API) and the operators' conflict and report lists. */
export function offlineRedemptionRoutes(router: Router, deps: CoordinatorDeps, { offline }: Services): void {
  const printer = requirePrinter(deps.store, deps.clock);
  const operator = requireStaff(deps.store, ['operator']);

  router.post('/api/printer/offline-redemptions', printer, async (ctx) => {
    const { orders } = parseInput(reportInput, ctx.request.body, 'offline redemption report');
    ctx.body = await offline.applyReport(ctx.state.printer as PrinterRecord, orders);
  });

  router.get('/api/conflicts', operator, async (ctx) => {
    const body = await offline.listConflicts(venueFilter(ctx.query));
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  });

  router.post('/api/conflicts/:conflictId/acknowledge', operator, async (ctx) => {
    const staff = ctx.state.staff as StaffIdentity;
    const body = await offline.acknowledge(String(ctx.params.conflictId), {
      credentialId: staff.credentialId,
      name: staff.label ? `${staff.label} (${staff.name})` : staff.name,
    });
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  });

  router.get('/api/offline-redemptions', operator, async (ctx) => {
    const body = await offline.listReports(venueFilter(ctx.query));
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  });
}
