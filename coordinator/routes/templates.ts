import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { MAX_BANDS, MAX_TABLES } from '../../shared/policy/template-fees.ts';
import {
  MAX_PHOTO_SLOTS,
  MAX_TEXT_CHARS,
  MAX_TEXT_FIELDS,
  TEMPLATE_MEDIA,
  type TemplateMedia,
} from '../../shared/templates/template-layout.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requireStaff } from '../http/auth.ts';
import { ClientRateLimiter } from '../http/client-rate-limiter.ts';
import { limitPerClient } from '../http/limit-per-client.ts';
import { parseInput } from '../http/validate.ts';
import type { Services } from '../services/index.ts';
import { customerIdOf } from '../templates/template-pricing.ts';
import { MAX_FRAME_BYTES } from '../templates/template-service.ts';

const rect = { x: z.number().int(), y: z.number().int(), width: z.number().int(), height: z.number().int() };
const layoutSchema = z
  .object({
    media: z.enum(Object.keys(TEMPLATE_MEDIA) as [TemplateMedia, ...TemplateMedia[]]),
    slots: z.array(z.object({ ...rect, rotation: z.number().int().default(0) }).strict()).max(MAX_PHOTO_SLOTS),
    texts: z
      .array(
        z
          .object({
            ...rect,
            source: z.enum(['event_name', 'event_date', 'caption', 'fixed']),
            text: z.string().max(MAX_TEXT_CHARS).optional(),
            color: z.string().max(7).default('#000000'),
          })
          .strict(),
      )
      .max(MAX_TEXT_FIELDS)
      .default([]),
  })
  .strict();

const layoutInput = z
  .object({ name: z.string().max(60), basicFeeCents: z.number().int(), layout: layoutSchema })
  .strict();
const frameQuery = z.object({ name: z.string().max(60), basicFeeCents: z.coerce.number().int() }).strip();
const previewQuery = z
  .object({
    images: z
      .string()
      .max(400)
      .optional()
      .transform((s) => (s ? s.split(',').filter(Boolean).slice(0, MAX_PHOTO_SLOTS) : [])),
    caption: z.string().max(MAX_TEXT_CHARS).optional(),
  })
  .strip();
const bandSchema = z
  .object({
    fromUses: z.number().int(),
    rate: z.number(),
    label: z.string().max(40),
    tableId: z.string().max(40).optional(),
  })
  .strict();
const tableSchema = z
  .object({ id: z.string().min(1).max(40), name: z.string().max(60), bands: z.array(bandSchema).max(MAX_BANDS) })
  .strict();
const feeSettingsInput = z
  .object({
    activeTableId: z.string().min(1).max(40).optional(),
    tables: z.array(tableSchema).max(MAX_TABLES).optional(),
    customerTable: tableSchema.optional(),
  })
  .strict();

/** Previews per client: a burst for a cart of photos tried in several frames, then one every 250 ms. */
export const PREVIEW_BURST = 60;
export const PREVIEW_REFILL_MS = 250;

/** Reads a raw request body (a frame PNG) up to `limit` bytes; a larger one is refused. */
async function rawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new AppError('upload_too_large', `A frame may be at most ${limit / 1024 / 1024} MB.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) throw new AppError('upload_too_large', `A frame may be at most ${limit / 1024 / 1024} MB.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Issue #14: templates of an event (operators create them, fans see them), previews, fee tables. */
export function templateRoutes(router: Router, deps: CoordinatorDeps, { templates }: Services): void {
  const operator = requireStaff(deps.store, ['operator']);

  router.post('/api/events/:eventId/templates', operator, async (ctx) => {
    const eventId = ctx.params.eventId!;
    if (ctx.is('image/png')) {
      const { name, basicFeeCents } = parseInput(frameQuery, ctx.query, 'query');
      const png = await rawBody(ctx, MAX_FRAME_BYTES);
      ctx.body = { template: await templates.createFrame(eventId, { name, basicFeeCents, png }) };
    } else {
      const input = parseInput(layoutInput, ctx.request.body, 'template');
      ctx.body = { template: await templates.createLayout(eventId, input) };
    }
    ctx.status = 201;
  });

  // Public: the shop offers them, priced for this (pseudonymous) customer.
  router.get('/api/events/:eventId/templates', async (ctx) => {
    const eventId = ctx.params.eventId!;
    const customerId = customerIdOf(ctx, deps);
    const event = await deps.store.getEvent(eventId);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    const list = await templates.list(eventId);
    ctx.set('cache-control', 'no-store');
    ctx.body = {
      currency: event.priceList.currency,
      templates: await Promise.all(
        list.map(async (t) => ({ ...templates.view(t), fee: await templates.quote(t, customerId) })),
      ),
    };
  });

  router.put('/api/templates/:templateId/layout', operator, async (ctx) => {
    const layout = parseInput(layoutSchema, ctx.request.body, 'layout');
    ctx.body = { template: await templates.updateLayout(ctx.params.templateId!, layout) };
  });

  // Each preview not in the cache is a sharp composite: a phone gets a generous budget, a script does not.
  const previewLimiter = new ClientRateLimiter({ burst: PREVIEW_BURST, refillMs: PREVIEW_REFILL_MS });
  router.get('/api/templates/:templateId/preview.jpg', async (ctx) => {
    limitPerClient(ctx, previewLimiter, deps.clock.now(), 'too_many_previews');
    const { images, caption } = parseInput(previewQuery, ctx.query, 'query');
    const jpeg = await templates.preview(ctx.params.templateId!, images, caption ?? null);
    // The URL names the template version and the photos: the same URL is always the same picture.
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.type = 'image/jpeg';
    ctx.body = jpeg;
  });

  router.post('/api/templates/:templateId/retire', operator, async (ctx) => {
    ctx.body = { template: await templates.retire(ctx.params.templateId!) };
  });

  router.get('/api/events/:eventId/template-fees', operator, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await templates.stats(ctx.params.eventId!);
  });

  router.put('/api/events/:eventId/template-fees', operator, async (ctx) => {
    const patch = parseInput(feeSettingsInput, ctx.request.body, 'fee settings');
    ctx.body = { settings: await templates.setFeeSettings(ctx.params.eventId!, patch) };
  });
}
