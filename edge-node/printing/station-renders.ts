/**
 * A station's prints rendered ahead of their redemption (issue #16: scan → print with the photo
 * local), by photo id and media. A photo's bytes never change (the catalog pins their sha256), so a
 * rendered print never goes stale; least recently used go first.
 */
import type { IppPhotoPrinter } from './ipp/ipp-photo-printer.ts';
import { type RenderedPhoto, renderPhoto } from './photo-render.ts';
import { RasterCache } from './raster-cache.ts';

/**
 * Colour prints kept rendered: the newest photos, at most 96 × 2.6 MB (a 4×6 at 300 dpi rendered from
 * a noise-like master, the worst case; a real photo's is about 0.6 MB). Rendering one takes ~110–230 ms
 * of CPU that would otherwise sit between a fan's code and the printer accepting the job.
 */
export const STATION_PRERENDER_PHOTOS = 96;

/** Printers with the same media, fit and resolution share a rendered print. */
export function mediaKeyOf(p: IppPhotoPrinter): string {
  return `${p.config.media}/${p.config.fit}/${p.config.dpi ?? ''}`;
}

export class StationRenders {
  readonly #ahead = new RasterCache<RenderedPhoto>(STATION_PRERENDER_PHOTOS);

  /** The print for printer `p`'s media: rendered ahead (by photo id), else rendered now and kept. */
  async rendered(image: Buffer, p: IppPhotoPrinter, photoKey: string | undefined): Promise<RenderedPhoto> {
    const render = () => renderPhoto(image, p.mediaSize, { fit: p.config.fit, dpi: p.config.dpi });
    if (photoKey === undefined) return render();
    // A second copy, a reprint, or a photo rendered ahead (or being rendered) is not rendered again.
    return this.#ahead.getOrRender(`${photoKey}|${mediaKeyOf(p)}`, render);
  }

  async prerender(photoKey: string, image: Buffer, printers: readonly IppPhotoPrinter[]): Promise<void> {
    for (const p of onePerMedia(printers)) await this.rendered(image, p, photoKey);
  }

  isPrerendered(photoKey: string, printers: readonly IppPhotoPrinter[]): boolean {
    return onePerMedia(printers).every((p) => this.#ahead.has(`${photoKey}|${mediaKeyOf(p)}`));
  }
}

function onePerMedia(printers: readonly IppPhotoPrinter[]): IppPhotoPrinter[] {
  const byMedia = new Map<string, IppPhotoPrinter>();
  for (const p of printers) if (!byMedia.has(mediaKeyOf(p))) byMedia.set(mediaKeyOf(p), p);
  return [...byMedia.values()];
}
