import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import type { OrderItem } from '../../shared/policy/order-state.ts';
import { feeLine } from '../../shared/policy/template-fees.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { OrderItemTemplate } from '../../shared/templates/order-template.ts';
import { MAX_PHOTO_SLOTS, MAX_TEXT_CHARS } from '../../shared/templates/template-layout.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { EventRecord, OrderRecord } from '../store/records.ts';
import type { TemplateService } from './template-service.ts';

/** The fan's choice for one cart line: a template and, for a multi-window layout, more photos. */
export const templateChoiceSchema = z
  .object({
    templateId: z.string().min(1).max(64),
    moreImageIds: z
      .array(z.string().min(1).max(64))
      .max(MAX_PHOTO_SLOTS - 1)
      .default([]),
    caption: z.string().max(MAX_TEXT_CHARS).nullable().default(null),
  })
  .strict();
export type TemplateChoice = z.infer<typeof templateChoiceSchema>;

/** What a cart line is priced as: a photo, its copies, and maybe a template choice. */
export interface ChosenLine {
  imageId: string;
  copies: number;
  template?: TemplateChoice;
}

export interface TemplateFeeLine {
  imageId: string;
  templateId: string;
  name: string;
  copies: number;
  feeCents: number;
  feeLine: string;
  usesAtQuote: number;
}

/** The merge key of a cart line: the same photo in two frames is two lines. */
export function lineKey(line: ChosenLine): string {
  return JSON.stringify([line.imageId, line.template ?? null]);
}

/**
 * Prices the templates of an order's lines now, for this customer, and freezes each fee on its item
 * (issue #14): uses counted now, rates, the receipt's line. A template needs a photo per window.
 */
export async function priceTemplateLines(
  service: TemplateService,
  deps: Pick<CoordinatorDeps, 'store'>,
  event: EventRecord,
  lines: readonly ChosenLine[],
  customerId: string | null,
): Promise<{ items: OrderItem[]; fees: TemplateFeeLine[]; feesCents: number }> {
  const items: OrderItem[] = [];
  const fees: TemplateFeeLine[] = [];
  for (const line of lines) {
    if (!line.template) {
      items.push({ imageId: line.imageId, copies: line.copies });
      continue;
    }
    const choice = line.template;
    const t = await service.require(choice.templateId, event.id);
    if (t.retired) throw new AppError('template_not_found', `The template "${t.name}" is no longer offered.`);
    const wanted = t.layout.slots.length - 1;
    if (choice.moreImageIds.length !== wanted) {
      throw new AppError(
        'template_photos_missing',
        `"${t.name}" holds ${t.layout.slots.length} photo(s): choose ${wanted} more besides this one.`,
        { templateId: t.id, photos: t.layout.slots.length },
      );
    }
    for (const imageId of choice.moreImageIds) {
      const image = await deps.store.getImage(imageId);
      if (!image || image.eventId !== event.id) {
        throw new AppError('image_not_in_event', `Image ${imageId} is not for sale at this event.`, { imageId });
      }
    }
    const fee = await service.quote(t, customerId);
    const currency = event.priceList.currency;
    const template: OrderItemTemplate = {
      templateId: t.id,
      moreImageIds: choice.moreImageIds,
      caption: t.layout.texts.some((f) => f.source === 'caption') ? (choice.caption ?? null) : null,
      name: t.name,
      fee,
      feeLine: feeLine(t.name, fee, currency),
    };
    items.push({ imageId: line.imageId, copies: line.copies, template });
    fees.push({
      imageId: line.imageId,
      templateId: t.id,
      name: t.name,
      copies: line.copies,
      feeCents: fee.feeCents,
      feeLine: template.feeLine,
      usesAtQuote: fee.templateUses,
    });
  }
  return { items, fees, feesCents: fees.reduce((sum, f) => sum + f.feeCents * f.copies, 0) };
}

/**
 * Counts the template uses (and the customer's uses) of printed units, once per unit however often
 * it is reported: called for every confirmed unit, online or reconciled after an offline print.
 */
export async function recordPrintedUnits(
  service: TemplateService,
  order: OrderRecord,
  units: readonly number[],
  printerId: string,
  now: number,
): Promise<void> {
  const byUnit = new Map<number, OrderItem>();
  let next = 0;
  for (const item of order.items) for (let c = 0; c < item.copies; c++) byUnit.set(next++, item);
  const customerId = await service.store.getOrderCustomer(order.id);
  for (const unit of units) {
    const item = byUnit.get(unit);
    if (!item) continue;
    if (item.template) {
      await service.store.recordUse({
        templateId: item.template.templateId,
        orderId: order.id,
        unit,
        feeCents: item.template.fee.feeCents,
        currency: order.currency,
        printerId,
        at: now,
      });
    }
    if (customerId) await service.store.recordCustomerUse(customerId, order.id, unit);
  }
}

// --- the pseudonymous customer ---------------------------------------------------------------------

export const CUSTOMER_COOKIE = 'vpm_customer';
export const CUSTOMER_COOKIE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;
const CUSTOMER_ID = /^[A-Za-z0-9_-]{16,40}$/;

/**
 * The shop's first-party cookie: a random id, nothing else. It lets a returning fan get the
 * regular-customer rate; no name, e-mail or payment detail is linked to it. Set on first use.
 */
export function customerIdOf(ctx: Context, deps: Pick<CoordinatorDeps, 'random'>): string {
  const current = ctx.cookies.get(CUSTOMER_COOKIE);
  if (current && CUSTOMER_ID.test(current)) return current;
  const id = randomId(deps.random, 16);
  ctx.cookies.set(CUSTOMER_COOKIE, id, {
    httpOnly: true,
    sameSite: 'lax',
    maxAge: CUSTOMER_COOKIE_MAX_AGE_MS,
    secure: ctx.secure,
    overwrite: true,
  });
  return id;
}
