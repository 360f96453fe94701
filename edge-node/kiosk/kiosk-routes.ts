import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError, isAppError } from '../../shared/errors.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import type { RedemptionProgress } from '../jobs/redemption-service.ts';
import type { PrinterStatus } from '../printing/port.ts';
import type { KioskRouting } from '../routing/kiosk-routing.ts';
import { bundledAssets, type KioskAsset } from './kiosk-asset.ts';
import {
  type KioskMessage,
  printerBlocksNewOrders,
  printerMessage,
  printerStateCode,
  refusalMessage,
} from './kiosk-messages.ts';
import { type KioskTimings, kioskPage, kioskTimings } from './kiosk-page.ts';
import type { KioskShop } from './kiosk-shop.ts';
import { kioskShopRoutes } from './kiosk-shop-routes.ts';
import { ThumbnailCache } from './thumbnails.ts';

/** What the kiosk screen needs from the edge node. */
export interface KioskDeps {
  /** Verifies a code and claims its order; resolves with the first progress while printing goes on. */
  startRedeem(code: string): Promise<RedemptionProgress>;
  progress(orderId: string): RedemptionProgress | null;
  /** Calls `listener` with every progress of this order from now on; returns the unsubscribe. */
  watch(orderId: string, listener: (p: RedemptionProgress) => void): () => void;
  printer(): Promise<PrinterStatus>;
  /** Calls `listener` whenever the printer's state or its reason changes; returns the unsubscribe. */
  watchPrinter(listener: (s: PrinterStatus) => void): () => void;
  /** The whole photo of an order redeemed at this node, when this node holds it; null otherwise. */
  localImage(orderId: string, imageId: string): Promise<Buffer | null>;
  /** Issue #14: a framed print's picture in its frame (small), for its card; null when unframed or not held. */
  framedThumb?(orderId: string, unit: number): Promise<Buffer | null>;
  names(): { venue: string; printer: string };
  /** Where to print instead (shortest queue, nearest working printer); absent when the node has no routing. */
  routing?(): KioskRouting | null;
  /** Keepalive timers of the live streams (the system clock when left out). */
  clock?: Clock;
  /** "Find your photos" (issue #13): gallery, basket and payment; absent: redeeming codes only. */
  shop?: KioskShop;
}

/** A scanned or typed code, as the kiosk, the CLI and keyboard wedges send it. */
export const redeemCodeInput = z.object({ code: z.string().min(1).max(400) }).strict();

/** Static files of the page, by the name the page asks for. jsQR is the node's own copy (same version). */
const ASSETS: Readonly<Record<string, KioskAsset>> = {
  ...bundledAssets(
    'kiosk.css',
    'kiosk.js',
    'kiosk-words.js',
    'kiosk-shop.js',
    'kiosk-frames.js',
    'kiosk-gallery.js',
    'kiosk-payment.js',
    'kiosk-shop.css',
    'camera-scanner.js',
    'wedge-listener.js',
    'routing-hint.js',
  ),
  'jsqr.js': { file: createRequire(import.meta.url).resolve('jsqr'), type: 'text/javascript', wrapUmd: true },
};

/** A comment line this often keeps an idle progress stream open through proxies and dead-peer checks. */
export const KIOSK_SSE_KEEPALIVE_MS = 15_000;
/** The browser reconnects a dropped progress stream after this long. */
const KIOSK_SSE_RETRY_MS = 1_000;

/** No inline script or style anywhere, so the page runs under a strict policy. */
export const KIOSK_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The kiosk on the printer's touch screen: GET /kiosk (the page), its assets, POST /kiosk/redeem
 * (answers once the order is claimed, so the screen follows each print), GET /kiosk/orders/:id and
 * /kiosk/orders/:id/events (progress and printer state, once or as a live stream), thumbnails of
 * the order's photos, and the printer's state for the attract screen. Refusals carry the words the
 * screen shows (kiosk-messages.ts).
 */
export function kioskRoutes(router: Router, deps: KioskDeps, timings: Partial<KioskTimings> = {}): void {
  const assets = new Map<string, Promise<Buffer>>();
  const thumbnails = new ThumbnailCache();
  const base = kioskTimings(timings);

  router.get('/', (ctx) => {
    ctx.redirect('/kiosk');
  });
  router.get('/kiosk', (ctx) => {
    securityHeaders(ctx);
    ctx.set('content-security-policy', KIOSK_CSP);
    ctx.set('cache-control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = kioskPage({ ...deps.names(), timings: withQueryOverrides(base, ctx.query), shop: !!deps.shop });
  });
  router.get('/kiosk/assets/:name', async (ctx) => {
    // Own properties only: "__proto__" or "constructor" are no kiosk files.
    const asset = Object.hasOwn(ASSETS, ctx.params.name!) ? ASSETS[ctx.params.name!] : undefined;
    if (!asset) throw new AppError('asset_not_found', 'No such kiosk file.');
    let body = assets.get(ctx.params.name!);
    if (!body) {
      body = readFile(asset.file).then((b) => (asset.wrapUmd ? umdAsModule(b) : b));
      body.catch(() => assets.delete(ctx.params.name!));
      assets.set(ctx.params.name!, body);
    }
    securityHeaders(ctx);
    ctx.set('cache-control', 'no-cache');
    ctx.type = asset.type;
    ctx.body = await body;
  });

  const printerView = (s: PrinterStatus) => printerViewOf(s, deps.routing?.()?.nearestWorking?.name ?? null);
  if (deps.shop) kioskShopRoutes(router, deps.shop);

  router.get('/kiosk/printer', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = printerView(await deps.printer());
  });

  router.get('/kiosk/routing', (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = { routing: deps.routing?.() ?? null };
  });

  router.post('/kiosk/redeem', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    try {
      const input = redeemCodeInput.safeParse(ctx.request.body ?? {});
      if (!input.success) throw new AppError('invalid_input', 'Send {"code": "<the scanned or typed code>"}.');
      const printer = await deps.printer();
      if (printerBlocksNewOrders(printer.state)) {
        const nearest = deps.routing?.()?.nearestWorking?.name;
        throw new AppError(printerStateCode(printer.state), printer.detail, {
          printerState: printer.state,
          ...(nearest ? { nearestPrinter: nearest } : {}),
        });
      }
      ctx.body = { progress: await deps.startRedeem(input.data.code) };
    } catch (err) {
      if (!isAppError(err)) throw err;
      ctx.status = err.status;
      ctx.body = {
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
        message: refusalMessage(err.code, err.details),
      };
    }
  });

  router.get('/kiosk/orders/:orderId', async (ctx) => {
    const progress = deps.progress(ctx.params.orderId!);
    if (!progress) throw new AppError('order_not_found', 'No redemption of this order here.');
    ctx.set('cache-control', 'no-store');
    ctx.body = { progress, printer: printerView(await deps.printer()) };
  });

  // Live progress (server-sent events): every state of every print, and the printer's state, as they
  // change; a poll would miss the short ones (a photo fetched from the cloud in a fraction of a second).
  router.get('/kiosk/orders/:orderId/events', async (ctx) => {
    const orderId = ctx.params.orderId!;
    const first = deps.progress(orderId);
    if (!first) throw new AppError('order_not_found', 'No redemption of this order here.');
    const stream = new PassThrough();
    const send = (event: string, data: unknown) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.set('cache-control', 'no-store');
    ctx.set('x-accel-buffering', 'no');
    ctx.type = 'text/event-stream';
    ctx.status = 200;
    ctx.body = stream;
    stream.write(`retry: ${KIOSK_SSE_RETRY_MS}\n\n`);
    send('printer', printerView(await deps.printer()));
    send('progress', deps.progress(orderId) ?? first);
    const stopProgress = deps.watch(orderId, (p) => send('progress', p));
    const stopPrinter = deps.watchPrinter((s) => send('printer', printerView(s)));
    const keepalive = (deps.clock ?? systemClock)
      .setInterval(() => stream.write(': keepalive\n\n'), KIOSK_SSE_KEEPALIVE_MS)
      .unref();
    const stop = () => {
      keepalive.cancel();
      stopProgress();
      stopPrinter();
      stream.end();
    };
    ctx.res.once('close', stop);
    stream.once('error', stop);
  });

  router.get('/kiosk/orders/:orderId/items/:n/thumb.jpg', async (ctx) => {
    const progress = deps.progress(ctx.params.orderId!);
    const n = /^\d{1,4}$/.test(ctx.params.n!) ? Number(ctx.params.n) : -1;
    const unit = progress?.units.find((u) => u.unit === n);
    if (!progress || !unit) throw new AppError('print_not_found', 'No such print of an order redeemed here.');
    const framed = (await deps.framedThumb?.(progress.orderId, unit.unit)) ?? null;
    const thumb = framed ?? (await thumbnails.get(unit.imageId, () => deps.localImage(progress.orderId, unit.imageId)));
    if (!thumb) throw new AppError('thumbnail_not_ready', 'This photo is not on this printer yet.');
    securityHeaders(ctx);
    // The image behind an id never changes; the kiosk asks again only for another order.
    ctx.set('cache-control', 'private, max-age=3600, immutable');
    ctx.type = 'image/jpeg';
    ctx.body = thumb;
  });
}

function printerViewOf(
  s: PrinterStatus,
  nearest: string | null,
): { state: string; detail: string; message: KioskMessage | null } {
  return {
    state: s.state,
    detail: s.detail,
    message: printerBlocksNewOrders(s.state) ? printerMessage(s.state, nearest) : null,
  };
}

function securityHeaders(ctx: Context): void {
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
}

/** jsQR ships as a UMD bundle; given a CommonJS-shaped scope it hands its export over, so it loads as a module. */
function umdAsModule(source: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('const module = { exports: {} };\nconst exports = module.exports;\n'),
    source,
    Buffer.from('\nexport default module.exports;\n'),
  ]);
}

/** `?return=<s>` shortens the automatic return (demos, tests); never past the configured times. */
function withQueryOverrides(t: KioskTimings, query: Record<string, unknown>): KioskTimings {
  const seconds = typeof query.return === 'string' ? Number(query.return) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < 1) return t;
  const ms = Math.round(seconds * 1000);
  return {
    ...t,
    doneReturnMs: Math.min(t.doneReturnMs, ms),
    messageReturnMs: Math.min(t.messageReturnMs, ms),
    idleReturnMs: Math.min(t.idleReturnMs, ms),
    shopIdleMs: Math.min(t.shopIdleMs, ms),
  };
}
