/**
 * A framed print at the printer (issue #14): the template from the event's feed, the fan's photos,
 * composited by the shared compose function at the printer's own pixel size, so the colour printer
 * gets 300 dpi on the template's media (1200×1800 for 4×6 in) and the receipt head its dot width
 * (576 dots), where the whole picture, frame and photo, is then dithered together.
 */
import { composeTemplate } from '../../shared/templates/compose-template.ts';
import type { TemplateCatalogEntry } from '../../shared/templates/template-feed.ts';
import { designSize, receiptTarget, type TemplateMedia } from '../../shared/templates/template-layout.ts';
import type { PrinterPort } from './port.ts';

/** The pixel size a framed print is composited at for this printer. */
export function printTarget(printer: Pick<PrinterPort, 'kind' | 'widthDots'>, media: TemplateMedia) {
  // A photo station (IPP) renders to its media at 300 dpi: the template's design size is that.
  return printer.kind === 'ipp' ? designSize(media) : receiptTarget(media, printer.widthDots);
}

export async function composeForPrinter(
  printer: Pick<PrinterPort, 'kind' | 'widthDots'>,
  entry: TemplateCatalogEntry,
  frame: Buffer | null,
  photos: readonly Buffer[],
  caption: string | null,
): Promise<Buffer> {
  return composeTemplate({
    layout: entry.layout,
    frame,
    photos,
    texts: { eventName: entry.eventName, eventDate: entry.eventDate, caption },
    target: printTarget(printer, entry.layout.media),
    format: 'png',
  });
}
