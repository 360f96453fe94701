import { createHash } from 'node:crypto';
import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { AppError } from '../../shared/errors.ts';
import { type ImageMime, sniffImageMime } from './image-signature.ts';

/**
 * Turns uploaded bytes into a print master plus the derived images buyers browse. Uploads are
 * untrusted: the type comes from the content, pixel counts are checked from the header before any
 * decode (a 50 KiB PNG can declare gigapixels), and the whole image must decode cleanly so a
 * truncated master never reaches a printer.
 */

export interface ImageLimits {
  maxUploadBytes: number;
  maxInputPixels: number;
  minEdgePixels: number;
}

export const MAX_UPLOAD_BYTES = 40 * 1024 * 1024;
/** 100 megapixels: above any current camera sensor, well below what exhausts coordinator memory. */
export const MAX_INPUT_PIXELS = 100_000_000;
/** Smaller than this is unusable for a print and most likely a mistake (an icon, a tracking pixel). */
export const MIN_EDGE_PIXELS = 64;
export const PREVIEW_LONG_EDGE_PIXELS = 1200;
export const THUMBNAIL_LONG_EDGE_PIXELS = 320;
const PREVIEW_JPEG_QUALITY = 82;
const THUMBNAIL_JPEG_QUALITY = 75;

export const DEFAULT_IMAGE_LIMITS: ImageLimits = Object.freeze({
  maxUploadBytes: MAX_UPLOAD_BYTES,
  maxInputPixels: MAX_INPUT_PIXELS,
  minEdgePixels: MIN_EDGE_PIXELS,
});

export interface ProcessedImage {
  mime: ImageMime;
  /** Displayed dimensions, i.e. after applying the EXIF orientation. */
  width: number;
  height: number;
  /** Hex sha256 of `master`. */
  sha256: string;
  /** The bytes exactly as uploaded: this is what gets printed, so it is never re-encoded. */
  master: Buffer;
  /** JPEG, long edge at most PREVIEW_LONG_EDGE_PIXELS, orientation applied, metadata stripped. */
  preview: Buffer;
  /** JPEG, long edge at most THUMBNAIL_LONG_EDGE_PIXELS, orientation applied, metadata stripped. */
  thumbnail: Buffer;
}

// libvips keeps decoded images in a process-wide cache; uploads are never reprocessed, so the cache
// only holds memory (tens of MB per large master) without ever paying off.
sharp.cache(false);

const SHARP_FORMAT_BY_MIME: Record<ImageMime, string> = { 'image/jpeg': 'jpeg', 'image/png': 'png' };

export async function processImage(bytes: Buffer, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ProcessedImage> {
  if (bytes.length > limits.maxUploadBytes) {
    throw new AppError(
      413,
      'image_too_large',
      `The image is ${bytes.length} bytes; the limit is ${limits.maxUploadBytes} bytes. Export it at a smaller size.`,
      { byteLength: bytes.length, maxUploadBytes: limits.maxUploadBytes },
    );
  }
  const mime = sniffImageMime(bytes);
  if (mime === null) {
    throw new AppError(415, 'unsupported_image_type', 'Only JPEG and PNG images are accepted (checked by content).');
  }

  // 'error' rejects truncated and corrupt pixel data but tolerates the harmless warnings some camera
  // firmwares trigger (e.g. extraneous bytes before a marker).
  const sharpOptions = { failOn: 'error', limitInputPixels: limits.maxInputPixels } as const;
  const metadata = await readHeader(bytes, sharpOptions, limits);

  if (metadata.format !== SHARP_FORMAT_BY_MIME[mime]) {
    // The magic bytes say one thing, the decoder another: a polyglot or a mangled file.
    throw corrupt(`The file starts like ${mime} but does not decode as one.`);
  }
  const storedWidth = metadata.width;
  const storedHeight = metadata.height;
  if (!storedWidth || !storedHeight) throw corrupt('The image header has no dimensions.');
  if (storedWidth * storedHeight > limits.maxInputPixels) {
    throw tooManyPixels(storedWidth * storedHeight, limits);
  }

  const width = metadata.autoOrient?.width ?? storedWidth;
  const height = metadata.autoOrient?.height ?? storedHeight;
  if (Math.min(width, height) < limits.minEdgePixels) {
    throw new AppError(
      422,
      'image_too_small',
      `The image is ${width}x${height} pixels; each edge must be at least ${limits.minEdgePixels} pixels to print.`,
      { width, height, minEdgePixels: limits.minEdgePixels },
    );
  }

  // Making the preview decodes every pixel of the master, which is the full integrity check; the
  // thumbnail is derived from the preview so the master is decoded only once.
  const preview = await decodeOrReject(limits, () =>
    sharp(bytes, sharpOptions)
      .rotate()
      .resize({
        width: PREVIEW_LONG_EDGE_PIXELS,
        height: PREVIEW_LONG_EDGE_PIXELS,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: PREVIEW_JPEG_QUALITY })
      .toBuffer(),
  );
  const thumbnail = await decodeOrReject(limits, () =>
    sharp(preview, { failOn: 'error' })
      .resize({
        width: THUMBNAIL_LONG_EDGE_PIXELS,
        height: THUMBNAIL_LONG_EDGE_PIXELS,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .jpeg({ quality: THUMBNAIL_JPEG_QUALITY })
      .toBuffer(),
  );

  return {
    mime,
    width,
    height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    master: bytes,
    preview,
    thumbnail,
  };
}

async function readHeader(bytes: Buffer, options: SharpOptions, limits: ImageLimits): Promise<Metadata> {
  try {
    return await sharp(bytes, options).metadata();
  } catch (err) {
    if (isPixelLimitError(err)) throw tooManyPixels(null, limits);
    throw corrupt('The image header cannot be read; upload the original file again.');
  }
}

async function decodeOrReject(limits: ImageLimits, decode: () => Promise<Buffer>): Promise<Buffer> {
  try {
    return await decode();
  } catch (err) {
    if (isPixelLimitError(err)) throw tooManyPixels(null, limits);
    throw corrupt('The image data is corrupt or truncated; upload the original file again.');
  }
}

/** sharp enforces limitInputPixels while reading the header and reports it only through the message. */
function isPixelLimitError(err: unknown): boolean {
  return err instanceof Error && /pixel limit/i.test(err.message);
}

function tooManyPixels(pixels: number | null, limits: ImageLimits): AppError {
  return new AppError(
    413,
    'image_too_many_pixels',
    `The image has more than ${limits.maxInputPixels} pixels; export it at a smaller size.`,
    { pixels, maxInputPixels: limits.maxInputPixels },
  );
}

function corrupt(message: string): AppError {
  return new AppError(422, 'image_corrupt', message);
}

export { type ImageMime, sniffImageMime } from './image-signature.ts';
