import type Router from '@koa/router';
import { isAppError } from '../../../shared/errors.ts';
import type { CoordinatorDeps } from '../../deps.ts';
import type { StaffIdentity } from '../../http/auth.ts';
import { requireStaff } from '../../http/auth.ts';
import { kioskDashboard } from '../../services/kiosk-dashboard.ts';
import { type KioskSaleService, MAX_SALES_LISTED } from '../../services/kiosk-sales.ts';
import { opsPage, sendHtml } from './layout.ts';
import { staffPage } from './page-auth.ts';
import { kioskDashboardHtml, kioskSalesBody } from './pages/kiosk-sales.ts';

/** The dashboard's sales window (the same day as its other sales summary). */
const KIOSK_SALES_WINDOW_MS = 24 * 60 * 60 * 1000;

/** What the refund said, shown once on the page it redirects back to. */
const NOTICES: Readonly<Record<string, string>> = {
  refunded: 'Refunded through the payment provider.',
  failed: 'The refund was not accepted; the sale is unchanged. Refund it in the provider’s dashboard.',
};

/** The console's kiosk sales page and its refund button (through the gateway or the card terminal). */
export function kioskSaleOpsRoutes(router: Router, deps: CoordinatorDeps, sales: KioskSaleService): void {
  const page = staffPage(deps.store, ['operator']);
  // A form post: the session's same-origin check applies (requireStaff).
  const operator = requireStaff(deps.store, ['operator']);

  // The dashboard's kiosk section alone, for its refresh (kiosk-dashboard.js).
  router.get('/ops/kiosk-stations', page, async (ctx) => {
    const body = kioskDashboardHtml(await kioskDashboard(deps, deps.clock.now() - KIOSK_SALES_WINDOW_MS));
    ctx.set('cache-control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = String(body);
  });

  router.get('/ops/kiosk-sales', page, async (ctx) => {
    const [list, printers] = await Promise.all([sales.list(), deps.store.listPrinters()]);
    const notice = typeof ctx.query.notice === 'string' ? (NOTICES[ctx.query.notice] ?? null) : null;
    sendHtml(
      ctx,
      200,
      opsPage({
        title: 'Kiosk sales',
        staff: ctx.state.staff as StaffIdentity,
        current: 'dashboard',
        body: kioskSalesBody(list.slice(0, MAX_SALES_LISTED), new Map(printers.map((p) => [p.id, p.name])), notice),
      }),
    );
  });

  router.post('/ops/kiosk-sales/:saleId/refund', operator, async (ctx) => {
    const sale = await deps.kioskSales?.get(ctx.params.saleId!);
    let notice = 'failed';
    if (sale) {
      try {
        const after = await sales.settler.refund(sale, 'refunded by an operator');
        if (after.state === 'refunded') notice = 'refunded';
      } catch (err) {
        if (!isAppError(err)) throw err;
        deps.logger.warn({ err, saleId: sale.id }, 'kiosk sale refund refused');
      }
    }
    ctx.redirect(`/ops/kiosk-sales?notice=${notice}`);
  });
}
