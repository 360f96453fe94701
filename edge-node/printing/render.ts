/**
 * Photo → printer dots. sharp does the decoding, EXIF orientation and resampling; luma,
 * sharpening, tone and dithering are ours (dither.ts) so they are exact, deterministic and testable,
 * and cheap: on the printer-sized grey plane, not on the colour image (libvips sharpens in Lab,
 * which cost a sixth of a render).
 */
import sharp, { type OutputInfo } from 'sharp';
import { AppError } from '../../shared/errors.ts';
import { floydSteinberg, thermalTone } from './dither.ts';

/** A very tall panorama is printed scaled down to this height rather than as metres of paper. */
export const PHOTO_MAX_HEIGHT_DOTS = 4000;
/** Decoding bombs stop here; print masters are camera photos, far below this. */
export const PHOTO_MAX_INPUT_PIXELS = 200_000_000;
/** Print heads we know are 384 (58 mm) to 832 (104 mm) dots; anything outside is a config error. */
export const PRINTER_MIN_WIDTH_DOTS = 8;
export const PRINTER_MAX_WIDTH_DOTS = 4096;

const WHITE = 255;

export interface PhotoGray {
  width: number;
  height: number;
  gray: Float32Array;
}

/** The photo as printer-sized grey values (before dithering): exactly widthDots wide, white-padded if narrower. */
export async function renderPhotoGray(image: Buffer, widthDots: number): Promise<PhotoGray> {
  assertWidthDots(widthDots);
  let raw: { data: Buffer; info: OutputInfo };
  try {
    // The coordinator accepted this master after decoding it whole; sharp's default (fail on any
    // warning) would refuse the harmless ones it tolerates, e.g. camera firmwares' "extraneous bytes".
    raw = await sharp(image, { limitInputPixels: PHOTO_MAX_INPUT_PIXELS, failOn: 'error' })
      .autoOrient()
      .resize({ width: widthDots, height: PHOTO_MAX_HEIGHT_DOTS, fit: 'inside' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new AppError(
      'print_image_unreadable',
      `The photo could not be decoded for printing (${(err as Error).message}); fetch the print master again.`,
    );
  }
  const { width, height } = raw.info;
  const gray = thermalTone(raw.data, width, height);
  if (width === widthDots) return { width, height, gray };
  // Taller than PHOTO_MAX_HEIGHT_DOTS allows at full width: centre it on white paper.
  const padded = new Float32Array(widthDots * height).fill(WHITE);
  const left = Math.floor((widthDots - width) / 2);
  for (let y = 0; y < height; y++) padded.set(gray.subarray(y * width, (y + 1) * width), y * widthDots + left);
  return { width: widthDots, height, gray: padded };
}

/** The photo as the dots the printer will burn: widthDots wide, 1 = black dot. */
export async function renderPhoto(
  image: Buffer,
  widthDots: number,
): Promise<{ width: number; height: number; bits: Uint8Array }> {
  const { width, height, gray } = await renderPhotoGray(image, widthDots);
  return { width, height, bits: floydSteinberg(gray, width, height) };
}

/** A black-and-white PNG of exactly these dots (1 = black), for previews and operators. */
export async function rasterPreviewPng(bits: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (width < 1 || height < 1) throw new RangeError(`cannot preview an empty raster ${width}x${height}`);
  // Dots (1 = black) to grey levels in libvips, off the event loop: 1 → 0, 0 → WHITE.
  return sharp(bits, { raw: { width, height, channels: 1 } })
    .linear(-WHITE, WHITE)
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

function assertWidthDots(widthDots: number): void {
  if (!Number.isInteger(widthDots) || widthDots < PRINTER_MIN_WIDTH_DOTS || widthDots > PRINTER_MAX_WIDTH_DOTS) {
    throw new AppError(
      'printer_width_invalid',
      `Printer width must be a whole number of dots between ${PRINTER_MIN_WIDTH_DOTS} and ${PRINTER_MAX_WIDTH_DOTS}, got ${widthDots}.`,
    );
  }
}
