import type Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { kioskPrintFailedSchema, kioskSaleRequestSchema } from '../../shared/protocol/kiosk-sale.ts';
import { escapeHtml } from '../../shared/web/html.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requirePrinter, requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { KioskSaleService } from '../services/kiosk-sales.ts';
import type { PrinterRecord } from '../store/records.ts';

const readerQuery = z.object({ readerId: z.string().min(1).max(100).optional() }).strip();
const refundInput = z.object({ reason: z.string().trim().min(1).max(200).default('refunded by an operator') }).strict();

/** A terminal that serves its own simulated-reader page (the test terminal). */
interface MountsPages {
  mount(router: Router): void;
}

function mountsPages(x: unknown): x is MountsPages {
  return typeof (x as Partial<MountsPages> | null)?.mount === 'function';
}

/**
 * Kiosk sales: the printer API (a kiosk's basket, its payment and print outcome, signed by the
 * printer), operators' list and refunds, and the test terminal's "tap a card" page when configured.
 */
export function kioskSaleRoutes(router: Router, deps: CoordinatorDeps, sales: KioskSaleService): void {
  const printer = requirePrinter(deps.store, deps.clock);
  const operator = requireStaff(deps.store, ['operator']);
  const me = (state: Record<string, unknown>) => state.printer as PrinterRecord;

  router.get('/api/printer/kiosk-payments', printer, async (ctx) => {
    const { readerId } = parseInput(readerQuery, ctx.query, 'query');
    ctx.set('cache-control', 'no-store');
    ctx.body = await sales.payments(me(ctx.state), readerId);
  });

  router.get('/api/printer/events/:eventId/photographers', printer, async (ctx) => {
    const event = await deps.store.getEvent(ctx.params.eventId!);
    if (!event || event.venueId !== me(ctx.state).venueId) throw new AppError('event_not_found');
    const byImage: Record<string, string> = {};
    for (const image of await deps.store.listImages(event.id)) {
      if (image.photographer) byImage[image.id] = image.photographer;
    }
    ctx.set('cache-control', 'no-store');
    ctx.body = { eventId: event.id, byImage };
  });

  router.get('/api/printer/events/:eventId/template-fees', printer, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await sales.templateFees(me(ctx.state), ctx.params.eventId!);
  });

  router.get('/api/kiosk-sales', operator, async (ctx) => {
    const printerId = typeof ctx.query.printerId === 'string' ? ctx.query.printerId : undefined;
    ctx.set('cache-control', 'no-store');
    ctx.body = { sales: await sales.list(printerId) };
  });

  if (mountsPages(deps.cardTerminal)) deps.cardTerminal.mount(router);

  // Selling needs the sale store. Without one (an app composed without kiosk sales) these routes do
  // not exist, like any feature that is not configured: a 404, not a 503 that asks clients to retry
  // something that will never work. The kiosk learns it cannot sell from kiosk-payments above.
  const store = deps.kioskSales;
  if (!store) return;

  router.post('/api/printer/kiosk-sales', printer, async (ctx) => {
    ctx.body = await sales.create(me(ctx.state), parseInput(kioskSaleRequestSchema, ctx.request.body));
    ctx.status = 201;
  });

  router.get('/api/printer/kiosk-sales/:saleId', printer, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await sales.get(me(ctx.state), ctx.params.saleId!);
  });

  router.post('/api/printer/kiosk-sales/:saleId/cancel', printer, async (ctx) => {
    ctx.body = await sales.cancel(me(ctx.state), ctx.params.saleId!);
  });

  router.post('/api/printer/kiosk-sales/:saleId/retry', printer, async (ctx) => {
    ctx.body = await sales.retry(me(ctx.state), ctx.params.saleId!);
  });

  router.post('/api/printer/kiosk-sales/:saleId/print-failed', printer, async (ctx) => {
    const { reason } = parseInput(kioskPrintFailedSchema, ctx.request.body);
    ctx.body = await sales.printFailed(me(ctx.state), ctx.params.saleId!, reason);
  });

  router.post('/api/kiosk-sales/:saleId/refund', operator, async (ctx) => {
    const { reason } = parseInput(refundInput, ctx.request.body ?? {});
    const sale = await store.get(ctx.params.saleId!);
    if (!sale) throw new AppError('sale_not_found');
    ctx.body = { sale: await sales.view(await sales.settler.refund(sale, reason)) };
  });

  // The demo's "phone": with the test checkout, the kiosks' waiting phone payments are listed here,
  // so a person on the same machine can open the page the QR code points at.
  if (deps.payments.name === 'test') {
    router.get('/pay/test-kiosk', async (ctx) => {
      const open = await store.listOpen(100);
      const waiting = open.filter(
        (s) => s.channel === 'kiosk-phone' && s.state === 'awaiting_payment' && s.checkoutUrl,
      );
      ctx.set('cache-control', 'no-store');
      ctx.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Test phone payments</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}li{margin:.6rem 0}</style></head>
<body><h1>Phone payments waiting at kiosks</h1><p>The test checkout: what a fan's phone opens from the kiosk's QR code.</p>
<ul>${
        waiting
          .map(
            (s) =>
              `<li><a href="${escapeHtml(s.checkoutUrl!)}">${(s.totalCents / 100).toFixed(2)} ${escapeHtml(s.currency)}, ${s.unitCount} print(s)</a></li>`,
          )
          .join('') || '<li>None right now: choose "Pay with your phone" at a kiosk.</li>'
      }</ul></body></html>`;
    });
  }
}
