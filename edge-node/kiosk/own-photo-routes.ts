import { readFile } from 'node:fs/promises';
import type Router from '@koa/router';
import type { Context } from 'koa';
import QRCode from 'qrcode';
import { z } from 'zod';
import { AppError, isAppError } from '../../shared/errors.ts';
import { normalizeOwnPhotoCode, parseOwnPhotoQr } from '../../shared/own-photos/job-code.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { kioskOwnPhotoLookupSchema, type OwnPhotoJobView } from '../../shared/protocol/own-photo-api.ts';
import type { OwnPhotoCardSaleView } from '../../shared/protocol/own-photo-card.ts';
import { kioskOwnPhotoCardSchema } from '../../shared/protocol/own-photo-card.ts';
import type { OwnPhotoClient } from '../own-photos/own-photo-client.ts';
import type { OwnPhotoPrinting } from '../own-photos/own-photo-printing.ts';
import type { PrinterState, PrinterStatus, ReceiptInfo } from '../printing/port.ts';
import { bundledAssets, type KioskAsset } from './kiosk-asset.ts';
import { printerBlocksNewOrders, printerMessage } from './kiosk-messages.ts';
import { KIOSK_CSP } from './kiosk-routes.ts';
import { ownPhotoKioskPage } from './own-photo-page.ts';

/** A job's thumbnails are served by this kiosk for this long after the fan opened it here. */
export const OWN_PHOTO_KIOSK_ACCESS_MS = 15 * 60_000;
/** Job ids remembered at once (one kiosk, a queue of fans). */
const MAX_REMEMBERED_JOBS = 500;

export interface KioskOwnPhotoDeps {
  client: OwnPhotoClient;
  printing: OwnPhotoPrinting;
  printer(): Promise<PrinterStatus>;
  names(): { venue: string; printer: string };
  clock: Clock;
  /**
   * The station's card reader (edge config `cardReaderId`) and its state as the coordinator's card
   * terminal reports it (null: no terminal there, or no uplink); absent: own photos are paid by phone only.
   */
  card?: {
    readerId: string;
    status(): Promise<string | null>;
    /** The station's receipt printer (or the photo printer's file when it has none). */
    printReceipt(info: ReceiptInfo): Promise<void>;
  };
}

/** The page loads own-photos.js; the modules it imports (own-photo-*.js) are fetched from here too. */
const ASSETS: Readonly<Record<string, KioskAsset>> = bundledAssets(
  'own-photos.js',
  'own-photo-entry.js',
  'own-photo-payment.js',
  'own-photo-printing.js',
  'own-photos.css',
);

/** The words the own-photo screens show for a refusal (title and text). */
function words(code: string, message: string): { title: string; text: string } {
  switch (code) {
    case 'own_photo_job_not_found':
      return { title: 'We do not recognise this code and PIN', text: 'Check both on your phone and try again.' };
    case 'own_photo_job_expired':
      return { title: 'These photos are gone', text: 'They were printed or expired and deleted. Upload them again.' };
    case 'own_photo_pin_locked':
      return { title: 'Too many wrong PINs', text: 'Wait a few minutes, or scan the QR code on your phone instead.' };
    case 'own_photo_job_held':
      return { title: 'This job is printing at another printer', text: 'Collect it there, or ask staff.' };
    case 'own_photo_no_price':
    case 'own_photos_disabled':
      return { title: 'Not available at this printer', text: message };
    case 'card_reader_not_configured':
    case 'card_terminal_not_configured':
      return { title: 'Card payment is not available here', text: 'Please pay with your phone instead.' };
    case 'sale_not_cancellable':
      return {
        title: 'Printing has started',
        text: 'Your photos are on their way; the card is charged once they are out.',
      };
    case 'coordinator_unreachable':
      return {
        title: 'No connection right now',
        text: 'Your own photos are kept on our server and paying needs the network: please try again in a moment.',
      };
    default:
      return { title: 'That did not work', text: message };
  }
}

/**
 * The kiosk's own-photo routes (GET /kiosk/own and /kiosk/own/...): the page, code/PIN lookup,
 * thumbnails (fetched from the coordinator on demand, only for jobs opened at this kiosk), payment
 * by phone, and printing. Refusals carry the words the screen shows.
 */
export function ownPhotoKioskRoutes(router: Router, deps: KioskOwnPhotoDeps): void {
  /** Jobs a fan opened here (with the PIN), by id: when this kiosk may show their thumbnails. */
  const opened = new Map<string, number>();
  const remember = (jobs: OwnPhotoJobView[]) => {
    const until = deps.clock.now() + OWN_PHOTO_KIOSK_ACCESS_MS;
    for (const j of jobs) {
      opened.delete(j.id);
      opened.set(j.id, until);
    }
    while (opened.size > MAX_REMEMBERED_JOBS) opened.delete(opened.keys().next().value!);
  };
  const requireOpened = (jobId: string) => {
    const until = opened.get(jobId);
    if (until === undefined || until < deps.clock.now()) {
      throw new AppError('own_photo_job_not_found', 'Open your jobs with your code and PIN first.');
    }
  };

  router.get('/kiosk/own', (ctx) => {
    headers(ctx);
    ctx.set('content-security-policy', KIOSK_CSP);
    ctx.set('cache-control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = ownPhotoKioskPage(deps.names());
  });

  router.get('/kiosk/own/assets/:name', async (ctx) => {
    const asset = Object.hasOwn(ASSETS, ctx.params.name!) ? ASSETS[ctx.params.name!] : undefined;
    if (!asset) throw new AppError('asset_not_found', 'No such kiosk file.');
    headers(ctx);
    ctx.set('cache-control', 'no-cache');
    ctx.type = asset.type;
    ctx.body = await readFile(asset.file);
  });

  router.post('/kiosk/own/lookup', (ctx) =>
    answer(ctx, async () => {
      const input = kioskOwnPhotoLookupSchema.safeParse(ctx.request.body ?? {});
      if (!input.success) throw new AppError('invalid_input', 'Send {"code": "...", "pin": "...."}.');
      const scanned = parseOwnPhotoQr(input.data.code);
      const code = scanned?.code ?? normalizeOwnPhotoCode(input.data.code);
      const pin = scanned?.pin ?? input.data.pin ?? '';
      if (!code) throw new AppError('own_photo_job_not_found');
      const { jobs } = await deps.client.lookup(code, pin);
      remember(jobs);
      return { jobs };
    }),
  );

  router.get('/kiosk/own/jobs/:jobId/thumbs/:n', async (ctx) => {
    const jobId = ctx.params.jobId!;
    requireOpened(jobId);
    const n = z.coerce.number().int().min(0).max(999).safeParse(ctx.params.n);
    if (!n.success) throw new AppError('media_not_found', 'No such photo.');
    const bytes = await deps.client.thumbnail(jobId, n.data);
    headers(ctx);
    ctx.set('cache-control', 'private, max-age=600');
    ctx.type = 'image/jpeg';
    ctx.body = bytes;
  });

  router.get('/kiosk/own/jobs/:jobId', (ctx) =>
    answer(ctx, async () => {
      const jobId = ctx.params.jobId!;
      requireOpened(jobId);
      return { job: await deps.client.job(jobId), progress: deps.printing.progress(jobId) };
    }),
  );

  router.post('/kiosk/own/jobs/:jobId/pay', (ctx) =>
    answer(ctx, async () => {
      const jobId = ctx.params.jobId!;
      requireOpened(jobId);
      await requirePrinterReady(deps);
      const checkout = await deps.client.checkout(jobId);
      const svg = await QRCode.toString(checkout.checkoutUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
      return {
        job: checkout.job,
        checkoutUrl: checkout.checkoutUrl,
        qr: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
      };
    }),
  );

  // --- pay by card on the station's reader (the coordinator authorises; captured once printed) ---

  router.get('/kiosk/own/payments', (ctx) =>
    answer(ctx, async () => {
      const status = deps.card ? await deps.card.status() : null;
      return { card: status !== null && status !== 'offline' };
    }),
  );

  router.post('/kiosk/own/jobs/:jobId/card', (ctx) =>
    answer(ctx, async () => {
      const jobId = ctx.params.jobId!;
      requireOpened(jobId);
      if (!deps.card) throw new AppError('card_reader_not_configured');
      const input = kioskOwnPhotoCardSchema.safeParse(ctx.request.body ?? {});
      if (!input.success) throw new AppError('invalid_input', 'Send {"idempotencyKey": "..."}.');
      // No money is asked for while this printer could not print it.
      await requirePrinterReady(deps);
      return { sale: await deps.client.startCardSale(jobId, deps.card.readerId, input.data.idempotencyKey) };
    }),
  );

  /** Sales whose receipt this kiosk printed (one receipt per sale, once its photos printed here). */
  const receipted = new Set<string>();
  const receipt = async (sale: OwnPhotoCardSaleView): Promise<'printed' | 'failed' | null> => {
    const card = deps.card;
    if (!card || !sale.card || receipted.has(sale.id)) return null;
    if (!['printed', 'captured'].includes(sale.state) || deps.printing.progress(sale.jobId)?.state !== 'done')
      return null;
    receipted.add(sale.id);
    while (receipted.size > MAX_REMEMBERED_JOBS) receipted.delete(receipted.values().next().value!);
    const names = deps.names();
    try {
      await card.printReceipt({
        orderId: `own-${sale.jobId}`,
        orderCode: (await deps.client.job(sale.jobId)).code,
        venue: names.venue,
        printer: names.printer,
        printedAt: deps.clock.now(),
        items: [{ imageId: sale.jobId, copies: sale.printCount, label: 'your own photos' }],
        totalCents: sale.totalCents,
        currency: sale.currency,
        payment: {
          method: 'card',
          card: sale.card,
          authorisationCode: sale.authorisationCode,
          taxCents: sale.taxCents,
          taxRatePercent: sale.taxRatePercent,
        },
      });
      return 'printed';
    } catch (err) {
      // The screen shows the same lines; a receipt printer out of paper does not undo a paid print.
      if (!isAppError(err)) throw err;
      return 'failed';
    }
  };
  const cardSale = (action?: 'retry' | 'cancel') => (ctx: Context) =>
    answer(ctx, async () => {
      const sale = await deps.client.cardSale(ctx.params.saleId!, action);
      // Only a sale for a job the fan opened here (a sale id alone shows nothing).
      requireOpened(sale.jobId);
      return { sale, receipt: action ? null : await receipt(sale) };
    });
  router.get('/kiosk/own/card/:saleId', cardSale());
  router.post('/kiosk/own/card/:saleId/retry', cardSale('retry'));
  router.post('/kiosk/own/card/:saleId/cancel', cardSale('cancel'));

  router.post('/kiosk/own/jobs/:jobId/print', (ctx) =>
    answer(ctx, async () => {
      const jobId = ctx.params.jobId!;
      requireOpened(jobId);
      await requirePrinterReady(deps, { paid: true });
      return { progress: await deps.printing.start(jobId) };
    }),
  );
}

/** `paid`: the fan has paid already (the screen says the payment is kept). */
async function requirePrinterReady(deps: KioskOwnPhotoDeps, opts: { paid?: boolean } = {}): Promise<void> {
  const status = await deps.printer();
  if (printerBlocksNewOrders(status.state)) {
    const m = printerMessage(status.state);
    throw new AppError('printer_offline', `${m.title}. ${m.text}`, {
      printerState: status.state,
      ...(opts.paid ? { paid: true } : {}),
    });
  }
}

/** JSON answers; refusals carry `message` (title, text) for the screen. */
async function answer(ctx: Context, work: () => Promise<unknown>): Promise<void> {
  ctx.set('cache-control', 'no-store');
  try {
    ctx.body = await work();
  } catch (err) {
    if (!isAppError(err)) throw err;
    ctx.status = err.status;
    // The printer cannot print now: the kiosk's own words for its state (before anything is paid).
    const state = err.details?.printerState;
    const message = typeof state === 'string' ? printerMessage(state as PrinterState) : words(err.code, err.message);
    if (typeof state === 'string' && err.details?.paid === true) {
      message.text = `${message.text} You have paid: your photos print here once it is fixed, or at another printer.`;
    }
    ctx.body = { error: { code: err.code, message: err.message }, message };
  }
}

function headers(ctx: Context): void {
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
}
