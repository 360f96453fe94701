import type Router from '@koa/router';
import type { Context } from 'koa';
import { ownPhotoCardSaleRequestSchema } from '../../shared/protocol/own-photo-card.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requirePrinter } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { OwnPhotoCardSales } from '../services/own-photo-card-sales.ts';
import type { PrinterRecord } from '../store/records.ts';

/**
 * The printer API for own-photo jobs paid by card on the station's reader (signed by the printer):
 * start (authorise), poll (the sale advanced first), retry after a decline, cancel. Printing is the
 * own-photo release route as for a phone payment; the sale captures once the job is printed.
 */
export function ownPhotoCardSaleRoutes(router: Router, deps: CoordinatorDeps, sales: OwnPhotoCardSales): void {
  const printer = requirePrinter(deps.store, deps.clock);
  const who = (ctx: Context) => ctx.state.printer as PrinterRecord;
  const base = '/api/printer/own-photos';

  router.post(`${base}/jobs/:jobId/card-sale`, printer, async (ctx) => {
    const input = parseInput(ownPhotoCardSaleRequestSchema, ctx.request.body);
    ctx.body = { sale: await sales.create(who(ctx), ctx.params.jobId!, input) };
    ctx.status = 201;
  });
  router.get(`${base}/card-sales/:saleId`, printer, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = { sale: await sales.get(who(ctx), ctx.params.saleId!) };
  });
  router.post(`${base}/card-sales/:saleId/retry`, printer, async (ctx) => {
    ctx.body = { sale: await sales.retry(who(ctx), ctx.params.saleId!) };
  });
  router.post(`${base}/card-sales/:saleId/cancel`, printer, async (ctx) => {
    ctx.body = { sale: await sales.cancel(who(ctx), ctx.params.saleId!) };
  });
}
