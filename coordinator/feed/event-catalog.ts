import type { BlobCoordinates, CatalogEntry } from '../../shared/feed/feed-layout.ts';
import type { TemplateCatalogEntry } from '../../shared/templates/template-feed.ts';

/**
 * What an event feed's catalog (a Hyperbee) holds besides templates: one entry per image, and the
 * image counter. Values are JSON read back from a replica, so they are checked before use.
 */

/** Catalog key of the number of images on the feed; the next image's seq. */
export const CATALOG_IMAGE_COUNT_KEY = 'meta/imageCount';

/** An image to append: its print master and what its catalog entry records of it. */
export interface FeedImage {
  imageId: string;
  bytes: Buffer;
  sha256: string;
  width: number;
  height: number;
  mime: CatalogEntry['mime'];
  registeredAt: number;
}

export interface ImageCount {
  count: number;
}

export type CatalogValue = CatalogEntry | ImageCount | TemplateCatalogEntry;

export function isCatalogEntry(value: unknown): value is CatalogEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<CatalogEntry>;
  return typeof entry.imageId === 'string' && typeof entry.seq === 'number' && typeof entry.blob === 'object';
}

export function isImageCount(value: unknown): value is ImageCount {
  return typeof value === 'object' && value !== null && typeof (value as ImageCount).count === 'number';
}

/** The catalog entry of `image`, appended as number `seq` with its bytes at `blob`. */
export function catalogEntryFor(image: FeedImage, seq: number, blob: BlobCoordinates): CatalogEntry {
  return {
    imageId: image.imageId,
    seq,
    blob: { ...blob },
    byteLength: image.bytes.byteLength,
    sha256: image.sha256,
    width: image.width,
    height: image.height,
    mime: image.mime,
    registeredAt: image.registeredAt,
  };
}
