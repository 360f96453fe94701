/**
 * Frames at the kiosk (issue #14 in the buy-at-kiosk flow of #13), kept out of kiosk-sales.ts: a
 * basket's lines priced with their templates exactly as the shop's orders are (template-pricing.ts:
 * the fee frozen on the order item, so the print comes out framed and the receipt states the fee),
 * and the fees the kiosk shows before paying. The kiosk has no customer id: the new-customer rate.
 */
import { AppError } from '../../shared/errors.ts';
import type { OrderItem } from '../../shared/policy/order-state.ts';
import { feeLine } from '../../shared/policy/template-fees.ts';
import type { KioskSaleRequest, KioskSaleView, KioskTemplateFees } from '../../shared/protocol/kiosk-sale.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { EventRecord } from '../store/records.ts';
import { type ChosenLine, lineKey, priceTemplateLines } from '../templates/template-pricing.ts';
import type { TemplateService } from '../templates/template-service.ts';

/** The basket's lines merged (same photo, same frame), each image checked to be the event's. */
export async function kioskLines(
  deps: Pick<CoordinatorDeps, 'store'>,
  eventId: string,
  items: KioskSaleRequest['items'],
): Promise<ChosenLine[]> {
  const merged = new Map<string, ChosenLine>();
  for (const item of items) {
    const line: ChosenLine = item.template
      ? {
          imageId: item.imageId,
          copies: item.copies,
          template: { templateId: item.template.templateId, moreImageIds: [], caption: null },
        }
      : { imageId: item.imageId, copies: item.copies };
    const key = lineKey(line);
    const seen = merged.get(key);
    if (seen) seen.copies += line.copies;
    else merged.set(key, line);
  }
  for (const { imageId } of merged.values()) {
    const image = await deps.store.getImage(imageId);
    if (!image || image.eventId !== eventId) {
      throw new AppError('image_not_in_event', `Image ${imageId} is not for sale at this event.`, { imageId });
    }
  }
  return [...merged.values()];
}

/** The order's items with each frame's fee frozen now, and the fees' sum. */
export async function priceKioskFrames(
  templates: TemplateService | null,
  deps: Pick<CoordinatorDeps, 'store'>,
  event: EventRecord,
  lines: readonly ChosenLine[],
): Promise<{ items: OrderItem[]; feesCents: number }> {
  if (!templates) {
    if (lines.some((l) => l.template)) throw new AppError('template_not_found', 'Frames are not offered here.');
    return { items: lines.map((l) => ({ imageId: l.imageId, copies: l.copies })), feesCents: 0 };
  }
  const priced = await priceTemplateLines(templates, deps, event, lines, null);
  return { items: priced.items, feesCents: priced.feesCents };
}

/** What identifies a basket for a double-tapped "Pay": photos, copies and frames, not the fees. */
export function basketShape(items: readonly OrderItem[] | readonly ChosenLine[]): string {
  return JSON.stringify(items.map((i) => [i.imageId, i.copies, i.template?.templateId ?? null]));
}

/** A sale's lines as the kiosk sees them: a framed line names its template and fee per print. */
export function saleItemsView(items: readonly OrderItem[]): KioskSaleView['items'] {
  return items.map((i) =>
    i.template
      ? {
          imageId: i.imageId,
          copies: i.copies,
          template: {
            templateId: i.template.templateId,
            name: i.template.name,
            feeCents: i.template.fee.feeCents,
            feeLine: i.template.feeLine,
          },
        }
      : { imageId: i.imageId, copies: i.copies },
  );
}

/** The event's offered frames and their fee per print now, for a new customer (the kiosk's). */
export async function kioskTemplateFees(
  templates: TemplateService | null,
  event: EventRecord,
): Promise<KioskTemplateFees> {
  const currency = event.priceList.currency;
  if (!templates) return { eventId: event.id, currency, templates: [] };
  const offered = await templates.list(event.id);
  return {
    eventId: event.id,
    currency,
    templates: await Promise.all(
      offered.map(async (t) => {
        const fee = await templates.quote(t, null);
        return {
          templateId: t.id,
          name: t.name,
          version: t.version,
          photoCount: t.layout.slots.length,
          feeCents: fee.feeCents,
          feeLine: feeLine(t.name, fee, currency),
        };
      }),
    ),
  };
}
