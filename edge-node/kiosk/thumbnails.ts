import sharp from 'sharp';

/** Kiosk thumbnails fit this box (CSS pixels × 2 for a sharp picture on a high-density touch screen). */
export const KIOSK_THUMB_SIDE_PX = 480;
export const KIOSK_THUMB_JPEG_QUALITY = 78;
/** Thumbnails kept in memory; an order has a handful of photos and the kiosk shows one order at a time. */
export const KIOSK_THUMB_CACHE_ENTRIES = 64;

/**
 * Small JPEGs of the photos on the kiosk screen, made once per image with sharp and kept in a bounded
 * LRU (by image id: the same photo printed twice, or shown again on a poll, is not decoded again).
 * Concurrent requests for the same image share one resize.
 */
export class ThumbnailCache {
  readonly #entries = new Map<string, Promise<Buffer>>();
  readonly #maxEntries: number;

  constructor(maxEntries = KIOSK_THUMB_CACHE_ENTRIES) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The thumbnail of `imageId`; `source` is asked for the full photo only on a miss (null: not held here). */
  async get(imageId: string, source: () => Promise<Buffer | null>): Promise<Buffer | null> {
    const cached = this.#entries.get(imageId);
    if (cached) {
      this.#entries.delete(imageId);
      this.#entries.set(imageId, cached);
      return cached;
    }
    const full = await source();
    if (!full) return null;
    const again = this.#entries.get(imageId);
    if (again) return again;
    const made = makeThumbnail(full);
    this.#entries.set(imageId, made);
    made.catch(() => this.#entries.delete(imageId));
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    return made;
  }
}

export function makeThumbnail(image: Buffer): Promise<Buffer> {
  return sharp(image, { failOn: 'error' })
    .rotate()
    .resize(KIOSK_THUMB_SIDE_PX, KIOSK_THUMB_SIDE_PX, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: KIOSK_THUMB_JPEG_QUALITY, mozjpeg: true })
    .toBuffer();
}
