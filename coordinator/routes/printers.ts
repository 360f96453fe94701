import type Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import {
  holdingsReportSchema,
  MAX_STATUS_REPORT_BYTES,
  printerStatusReportSchema,
} from '../../shared/protocol/printer-api.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requirePrinter, requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { Services } from '../services/index.ts';
import { CARD_READER_ID_PATTERN, MAX_CARD_READER_ID_CHARS } from '../services/printer-card-readers.ts';
import type { PrinterRecord } from '../store/records.ts';

const pairInput = z
  .object({
    publicKey: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[0-9a-f]{64}$/, "the printer's 64-character pairing key"),
    name: z.string().trim().min(1).max(100),
    /** The station's card reader, assigned at pairing (optional; PUT …/card-reader changes it). */
    cardReaderId: z.lazy(() => cardReaderId).optional(),
  })
  .strict();

const cardReaderId = z
  .string()
  .trim()
  .min(1)
  .max(MAX_CARD_READER_ID_CHARS)
  .regex(CARD_READER_ID_PATTERN, "the provider's card reader id, e.g. tmr_…")
  .nullable();
const cardReaderInput = z.object({ cardReaderId }).strict();

const venueFilter = (query: Record<string, unknown>) => (typeof query.venueId === 'string' ? query.venueId : undefined);

/** Pairing and revocation (operators) and the printer API's profile, status and holdings. */
export function printerRoutes(router: Router, deps: CoordinatorDeps, { printers }: Services): void {
  const operator = requireStaff(deps.store, ['operator']);
  const printer = requirePrinter(deps.store, deps.clock);

  router.post('/api/venues/:venueId/printers', operator, async (ctx) => {
    const venue = await printers.venue(ctx.params.venueId!);
    ctx.body = await printers.pair(venue, parseInput(pairInput, ctx.request.body));
    ctx.status = 201;
  });

  router.get('/api/printers', operator, async (ctx) => {
    ctx.body = await printers.list(venueFilter(ctx.query));
  });

  router.put('/api/printers/:printerId/card-reader', operator, async (ctx) => {
    const input = parseInput(cardReaderInput, ctx.request.body);
    ctx.body = await printers.setCardReader(ctx.params.printerId!, input.cardReaderId);
  });

  router.post('/api/printers/:printerId/revoke', operator, async (ctx) => {
    ctx.body = await printers.revoke(ctx.params.printerId!);
  });

  router.get('/api/printer/me', printer, async (ctx) => {
    const body = await printers.profile(ctx.state.printer as PrinterRecord);
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  });

  router.put('/api/printer/status', printer, async (ctx) => {
    const raw = (ctx.request as { rawBody?: string }).rawBody ?? '';
    if (raw.length > MAX_STATUS_REPORT_BYTES)
      throw new AppError('report_too_large', 'Status reports are at most 64 KiB.');
    const report = parseInput(printerStatusReportSchema, ctx.request.body, 'status report');
    await printers.recordStatus(ctx.state.printer as PrinterRecord, report);
    ctx.status = 204;
  });

  router.get('/api/printers/status', operator, async (ctx) => {
    ctx.body = await printers.statuses(venueFilter(ctx.query));
  });

  router.put('/api/printer/holdings', printer, async (ctx) => {
    const input = parseInput(holdingsReportSchema, ctx.request.body);
    await printers.recordHoldings(ctx.state.printer as PrinterRecord, input);
    ctx.status = 204;
  });
}
