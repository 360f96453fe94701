/**
 * A print master rendered for a photo printer's media: colour, converted to sRGB through the
 * embedded ICC profile, oriented like the photo (a landscape photo is turned onto portrait media),
 * cropped to fill or bordered to fit, at the printer's resolution. sharp (libvips) does the work on
 * its own thread pool, so the event loop only waits for the result; a unit is rendered once.
 */
import sharp, { type Metadata } from 'sharp';
import { AppError } from '../../shared/errors.ts';
import type { MediaSize } from './ipp/printer-health.ts';

export const DEFAULT_PHOTO_DPI = 300;
export const PHOTO_JPEG_QUALITY = 92;
/** A master larger than this many pixels is refused rather than decoded (a decompression bomb). */
export const MAX_MASTER_PIXELS = 100_000_000;

export type PhotoFit = 'fill' | 'fit';

export interface RenderedPhoto {
  data: Buffer;
  format: 'image/jpeg';
  width: number;
  height: number;
  /** The photo was turned 90° to match the media. */
  rotated: boolean;
}

export function mediaPixels(media: MediaSize, dpi = DEFAULT_PHOTO_DPI): { width: number; height: number } {
  return { width: Math.round(media.widthIn * dpi), height: Math.round(media.heightIn * dpi) };
}

export async function renderPhoto(
  master: Buffer,
  media: MediaSize,
  opts: { fit: PhotoFit; dpi?: number },
): Promise<RenderedPhoto> {
  const { width, height } = mediaPixels(media, opts.dpi);
  let meta: Metadata;
  try {
    meta = await sharp(master, { limitInputPixels: MAX_MASTER_PIXELS }).metadata();
  } catch (err) {
    throw new AppError('photo_unreadable', `The photo cannot be decoded: ${(err as Error).message}.`);
  }
  // EXIF orientations 5–8 swap width and height.
  const swapped = (meta.orientation ?? 1) >= 5;
  const photoW = (swapped ? meta.height : meta.width) ?? 0;
  const photoH = (swapped ? meta.width : meta.height) ?? 0;
  const rotated = photoW > photoH !== width > height && photoW !== photoH;
  let pipeline = sharp(master, { limitInputPixels: MAX_MASTER_PIXELS }).autoOrient();
  if (rotated) pipeline = pipeline.rotate(90);
  const data = await pipeline
    .resize(width, height, {
      fit: opts.fit === 'fill' ? 'cover' : 'contain',
      position: 'centre',
      background: { r: 255, g: 255, b: 255 },
    })
    .toColourspace('srgb')
    .withIccProfile('srgb')
    .jpeg({ quality: PHOTO_JPEG_QUALITY, chromaSubsampling: '4:4:4' })
    .toBuffer();
  return { data, format: 'image/jpeg', width, height, rotated };
}
