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

/**
 * One image at a time per process. libvips keeps one error buffer for the whole process, and the
 * decision below to tolerate a JPEG's harmless warnings reads it: two images decoding at once could
 * lend each other their warnings (a sound image refused, or a damaged one let through). libvips
 * still uses every core for the one image.
 */
let decoding: Promise<unknown> = Promise.resolve();

export function processImage(bytes: Buffer, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ProcessedImage> {
  return processImageFrom(async () => bytes, limits);
}

/**
 * Like processImage, but the bytes are loaded only when this image's turn comes: uploads waiting
 * for the decoder stay on disk, so memory holds one image being processed, not every one waiting.
 */
export function processImageFrom(
  load: () => Promise<Buffer>,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<ProcessedImage> {
  const turn = async () => processOneImage(await load(), limits);
  const run = decoding.then(turn, turn);
  decoding = run.catch(() => {});
  return run;
}

async function processOneImage(bytes: Buffer, limits: ImageLimits): Promise<ProcessedImage> {
  if (bytes.length > limits.maxUploadBytes) {
    throw new AppError(
      'image_too_large',
      `The image is ${bytes.length} bytes; the limit is ${limits.maxUploadBytes} bytes. Export it at a smaller size.`,
      { byteLength: bytes.length, maxUploadBytes: limits.maxUploadBytes },
    );
  }
  const mime = sniffImageMime(bytes);
  if (mime === null) {
    throw new AppError('unsupported_image_type', 'Only JPEG and PNG images are accepted (checked by content).');
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
      'image_too_small',
      `The image is ${width}x${height} pixels; each edge must be at least ${limits.minEdgePixels} pixels to print.`,
      { width, height, minEdgePixels: limits.minEdgePixels },
    );
  }

  // The decoders stop once they have the pixels, so a file cut just before its end marker, or an
  // image header followed by a zip, would pass them; the end marker is what says the file is whole.
  // (Data after it is allowed: phones append motion-photo videos to JPEGs.)
  if (mime === 'image/png' && bytes.lastIndexOf(PNG_END_CHUNK) === -1) {
    throw corrupt('The PNG file ends early (no end chunk); upload the original file again.');
  }
  if (mime === 'image/jpeg' && !hasJpegEndAfterScan(bytes)) {
    throw corrupt('The JPEG file ends early (no end-of-image marker); upload the original file again.');
  }

  // Making the preview decodes every pixel of the master, which is the full integrity check; the
  // thumbnail is derived from the preview so the master is decoded only once.
  const preview = await decodeOrReject(limits, async () => {
    // PNGs keep failOn: 'error': libpng warns about harmless things (e.g. a known-bad sRGB profile).
    if (mime === 'image/png') return renderPreview(bytes, sharpOptions);
    try {
      return await renderPreview(bytes, { ...sharpOptions, failOn: 'warning' });
    } catch (err) {
      if (!onlyHarmlessJpegWarnings(err)) throw err;
      return renderPreview(bytes, sharpOptions);
    }
  });
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

const JPEG_START_OF_SCAN = Buffer.from([0xff, 0xda]);
const JPEG_END_OF_IMAGE = Buffer.from([0xff, 0xd9]);

function hasJpegEndAfterScan(bytes: Buffer): boolean {
  const scan = bytes.indexOf(JPEG_START_OF_SCAN);
  return scan !== -1 && bytes.lastIndexOf(JPEG_END_OF_IMAGE) > scan;
}

/** The 12-byte IEND chunk every complete PNG ends with (length 0, type, fixed CRC). */
const PNG_END_CHUNK = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * libjpeg reports corrupt entropy-coded data (bad Huffman codes, a scan cut short by a marker) only
 * as warnings and decodes zeros in its place, so failOn: 'error' alone let an image header followed
 * by a zip or HTML through as a "JPEG". The preview is therefore decoded failing on warnings first;
 * only when every warning is one that real encoders cause without damaging pixels ("extraneous
 * bytes before marker", odd JFIF or ICC headers) is it decoded again, tolerating those. (sharp's 'warning' events cannot be used for this: libvips
 * warnings are process-wide and reach whichever pipeline finishes next.)
 */
const HARMLESS_JPEG_WARNINGS = [
  /^VipsJpeg: Corrupt JPEG data: \d+ extraneous bytes before marker 0x[0-9a-f]{2}$/i,
  /^VipsJpeg: Corrupt JPEG data: bad ICC marker$/i,
  /^VipsJpeg: Warning: unknown JFIF revision number/i,
  /^VipsJpeg: Unknown Adobe color transform code/i,
  /^VipsJpeg: Invalid SOS parameters for sequential JPEG$/i,
];

/** True when a decode failed (at failOn 'warning') only for warnings that leave the pixels intact. */
export function onlyHarmlessJpegWarnings(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const lines = err.message.split('\n').filter((line) => line.trim() !== '');
  return lines.length > 0 && lines.every((line) => HARMLESS_JPEG_WARNINGS.some((re) => re.test(line.trim())));
}

function renderPreview(bytes: Buffer, options: SharpOptions): Promise<Buffer> {
  return sharp(bytes, options)
    .rotate()
    .resize({
      width: PREVIEW_LONG_EDGE_PIXELS,
      height: PREVIEW_LONG_EDGE_PIXELS,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: PREVIEW_JPEG_QUALITY })
    .toBuffer();
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
    'image_too_many_pixels',
    `The image has more than ${limits.maxInputPixels} pixels; export it at a smaller size.`,
    { pixels, maxInputPixels: limits.maxInputPixels },
  );
}

function corrupt(message: string): AppError {
  return new AppError('image_corrupt', message);
}

export { type ImageMime, sniffImageMime } from './image-signature.ts';
