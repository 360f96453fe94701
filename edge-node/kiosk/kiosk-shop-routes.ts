import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError, isAppError } from '../../shared/errors.ts';
import {
  kioskBasketItemSchema,
  kioskBasketSchema,
  MAX_KIOSK_BASKET_LINES,
  MAX_PHOTOGRAPHER_NAME_CHARS,
} from '../../shared/protocol/kiosk-sale.ts';
import type { KioskShop } from './kiosk-shop.ts';
import { ThumbnailCache } from './thumbnails.ts';

const epoch = z.coerce.number().int().min(0).max(8_640_000_000_000_000);
const galleryQuery = z
  .object({
    event: z.string().min(1).max(64).optional(),
    page: z.coerce.number().int().min(0).max(100_000).optional(),
    from: epoch.optional(),
    to: epoch.optional(),
    photographer: z.string().min(1).max(MAX_PHOTOGRAPHER_NAME_CHARS).optional(),
  })
  .strip();
const framesQuery = z.object({ event: z.string().min(1).max(64) }).strip();
const quoteInput = z
  .object({ eventId: z.string().min(1).max(64), items: z.array(kioskBasketItemSchema).max(MAX_KIOSK_BASKET_LINES) })
  .strict();

function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new AppError('invalid_input', parsed.error.issues[0]?.message);
  return parsed.data;
}

/** Refusals carry their words for the screen, as the redeem route's do. */
async function answer(ctx: Context, work: () => Promise<unknown>): Promise<void> {
  ctx.set('cache-control', 'no-store');
  try {
    ctx.body = await work();
  } catch (err) {
    if (!isAppError(err)) throw err;
    ctx.status = err.status;
    ctx.body = { error: { code: err.code, message: err.message } };
  }
}

/**
 * The kiosk's "Find your photos" (issue #13): the gallery from this printer's replica, thumbnails,
 * the basket's total, and the sale's payment and printing through the coordinator.
 */
export function kioskShopRoutes(router: Router, shop: KioskShop): void {
  const thumbnails = new ThumbnailCache();

  router.get('/kiosk/shop/gallery', async (ctx) => {
    const q = parse(galleryQuery, ctx.query);
    await answer(ctx, () =>
      shop.gallery({ eventId: q.event, page: q.page, from: q.from, to: q.to, photographer: q.photographer }),
    );
  });

  router.get('/kiosk/shop/photos/:eventId/:imageId/thumb.jpg', async (ctx) => {
    const { eventId, imageId } = ctx.params as { eventId: string; imageId: string };
    const thumb = await thumbnails.get(imageId, () => shop.photo(eventId, imageId));
    if (!thumb) throw new AppError('thumbnail_not_ready', 'This photo is not on this printer yet.');
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('cache-control', 'private, max-age=3600, immutable');
    ctx.type = 'image/jpeg';
    ctx.body = thumb;
  });

  router.get('/kiosk/shop/frames', async (ctx) => {
    const q = parse(framesQuery, ctx.query);
    await answer(ctx, async () => ({ frames: await shop.frames.list(q.event) }));
  });

  router.get('/kiosk/shop/frames/:eventId/:templateId/:imageId/preview.jpg', async (ctx) => {
    const { eventId, templateId, imageId } = ctx.params as { eventId: string; templateId: string; imageId: string };
    const preview = await shop.frames.preview(eventId, imageId, templateId);
    if (!preview) throw new AppError('thumbnail_not_ready', 'This photo or frame is not on this printer yet.');
    ctx.set('x-content-type-options', 'nosniff');
    // A template's new version is another entry; the kiosk asks with its version in the query.
    ctx.set('cache-control', 'private, max-age=3600');
    ctx.type = 'image/jpeg';
    ctx.body = preview;
  });

  router.post('/kiosk/shop/quote', async (ctx) => {
    await answer(ctx, async () => {
      const input = parse(quoteInput, ctx.request.body ?? {});
      return shop.quote(input.eventId, input.items);
    });
  });

  router.get('/kiosk/shop/payments', async (ctx) => {
    await answer(ctx, () => shop.payments());
  });

  router.post('/kiosk/shop/sales', async (ctx) => {
    await answer(ctx, async () => shop.createSale(parse(kioskBasketSchema, ctx.request.body ?? {})));
  });

  router.get('/kiosk/shop/sales/:saleId', async (ctx) => {
    await answer(ctx, () => shop.sale(ctx.params.saleId!));
  });

  router.post('/kiosk/shop/sales/:saleId/:action', async (ctx) => {
    const action = ctx.params.action;
    if (action !== 'cancel' && action !== 'retry') throw new AppError('route_not_found', 'No such sale action.');
    await answer(ctx, async () => ({ sale: await shop.action(ctx.params.saleId!, action) }));
  });
}
