/**
 * How templates travel on an event's feed (issue #14), next to the photos: the frame PNG is a blob
 * in the event's blobs core, and `template/<templateId>` in the catalog holds the layout, the frame's
 * coordinates and checksum. Every printer replicates the catalog whole, so it knows every template
 * of the event and prints framed photos while the uplink is down. A changed template (windows
 * adjusted) is put again under the same key with a higher version; the catalog keeps the newest.
 */
import type { BlobCoordinates, CatalogEntry } from '../feed/feed-layout.ts';
import type { TemplateLayout } from './template-layout.ts';

export const CATALOG_TEMPLATE_PREFIX = 'template/';

export interface TemplateCatalogEntry {
  templateId: string;
  name: string;
  version: number;
  layout: TemplateLayout;
  /** For the layout's event name and date fields: a printer with no cloud has them from here. */
  eventName: string;
  eventDate: string;
  frame: { blob: BlobCoordinates; byteLength: number; sha256: string; width: number; height: number } | null;
  registeredAt: number;
}

export function templateCatalogKey(templateId: string): string {
  return CATALOG_TEMPLATE_PREFIX + templateId;
}

export function isTemplateCatalogEntry(value: unknown): value is TemplateCatalogEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<TemplateCatalogEntry>;
  return typeof v.templateId === 'string' && typeof v.version === 'number' && typeof v.layout === 'object';
}

/** The frame as the image fetcher and the replica read blobs: a catalog entry of its own. */
export function frameAsCatalogEntry(entry: TemplateCatalogEntry): CatalogEntry | null {
  if (!entry.frame) return null;
  return {
    imageId: `template-${entry.templateId}-v${entry.version}`,
    seq: -1,
    blob: entry.frame.blob,
    byteLength: entry.frame.byteLength,
    sha256: entry.frame.sha256,
    width: entry.frame.width,
    height: entry.frame.height,
    mime: 'image/png',
    registeredAt: entry.registeredAt,
  };
}
