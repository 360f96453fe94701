/**
 * The redemption flow's template parts (issue #14), kept out of redemption-service.ts: what the job
 * log keeps of a framed unit, how the receipt names it, and how its picture is made.
 */
import { AppError } from '../../shared/errors.ts';
import type { PrintUnitJob } from '../../shared/protocol/printer-api.ts';
import type { UnitTemplate } from '../../shared/templates/order-template.ts';
import { frameAsCatalogEntry } from '../../shared/templates/template-feed.ts';
import type { EventReplica } from '../mesh/event-replica.ts';
import type { ImageFetcher } from '../mesh/image-fetcher.ts';
import type { PrinterPort, ReceiptInfo } from '../printing/port.ts';
import { composeForPrinter } from '../printing/template-print.ts';
import { CATALOG_READ_TIMEOUT_MS } from './redemption-timing.ts';

/** A job's units as the job log keeps them: a framed unit keeps its template, so it resumes framed. */
export function loggedUnits(units: readonly PrintUnitJob[]) {
  return units.map((u) => ({
    unit: u.unit,
    imageId: u.imageId,
    copy: u.copy,
    printedBefore: u.printed,
    ...(u.template ? { template: u.template } : {}),
  }));
}

/** The receipt's lines: a framed print is named by its template and states its fee line. */
/** An order item as a printer reads it (the wire's view, without the fee details). */
interface ItemView {
  imageId: string;
  copies: number;
  template?: { name: string; feeLine: string };
}

export function receiptItems(items: readonly ItemView[]): ReceiptInfo['items'] {
  return items.map((i) => ({
    imageId: i.imageId,
    copies: i.copies,
    ...(i.template ? { label: i.template.name, feeLine: i.template.feeLine } : {}),
  }));
}

/**
 * The unit's photo framed with its template at this printer's resolution. The template and its
 * frame come from the event's feed (held here, or from a neighbour), so it prints with no cloud.
 */
export async function framedPhoto(
  parts: {
    replica: EventReplica;
    fetcher: ImageFetcher;
    printer: PrinterPort;
    signal: AbortSignal;
  },
  template: UnitTemplate,
  photo: Buffer,
): Promise<Buffer> {
  const entry = await parts.replica.templateEntry(template.templateId, CATALOG_READ_TIMEOUT_MS);
  if (!entry) {
    throw new AppError('template_not_printable', 'The frame of this print is not on this printer yet; try again.');
  }
  const frameEntry = frameAsCatalogEntry(entry);
  const frame = frameEntry
    ? (await parts.fetcher.fetch(parts.replica, frameEntry, { signal: parts.signal })).bytes
    : null;
  const more = await Promise.all(
    template.moreImageIds.map(async (id) => {
      const photoEntry = await parts.replica.entry(id, CATALOG_READ_TIMEOUT_MS);
      if (!photoEntry) throw new AppError('image_not_in_feed', 'A photo of this print is not on the event feed yet.');
      return (await parts.fetcher.fetch(parts.replica, photoEntry, { signal: parts.signal })).bytes;
    }),
  );
  return composeForPrinter(parts.printer, entry, frame, [photo, ...more], template.caption);
}
