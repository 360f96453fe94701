import type Router from '@koa/router';
import { MAX_OFFLINE_ORDERS_PER_REPORT, offlineReportSchema } from '../../shared/protocol/printer-api.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requirePrinter, requireStaff, type StaffIdentity } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { Services } from '../services/index.ts';
import type { PrinterRecord } from '../store/records.ts';

/** Orders per reconciliation request; a printer with more sends several (in order). */
export { MAX_OFFLINE_ORDERS_PER_REPORT };

const venueFilter = (query: Record<string, unknown>) => (typeof query.venueId === 'string' ? query.venueId : undefined);

/** Offline reconciliation (printer API) and the operators' conflict and report lists. */
export function offlineRedemptionRoutes(router: Router, deps: CoordinatorDeps, { offline }: Services): void {
  const printer = requirePrinter(deps.store, deps.clock);
  const operator = requireStaff(deps.store, ['operator']);

  router.post('/api/printer/offline-redemptions', printer, async (ctx) => {
    const { orders } = parseInput(offlineReportSchema, ctx.request.body, 'offline redemption report');
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
