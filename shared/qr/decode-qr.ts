import * as jsqrModule from 'jsqr';
import { AppError } from '../errors.ts';

/** What jsQR finds in a frame: the decoded text, or null. */
type JsQrDecode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;

// jsqr is a webpack CommonJS bundle whose default export lands one level deeper or not depending on
// the loader's interop; resolve it once here instead of at every call site.
const loaded = jsqrModule as unknown as { default: JsQrDecode | { default: JsQrDecode } };
const jsQR: JsQrDecode = typeof loaded.default === 'function' ? loaded.default : loaded.default.default;

/**
 * Decodes a QR code from an RGBA frame (camera frame or decoded image file); null when none is found.
 * A frame whose size does not match its dimensions is refused with a coded error (jsQR would throw a
 * bare "Malformed data passed to binarizer", or allocate for dimensions the bytes do not have).
 */
export function decodeQrFromRgba(rgba: Uint8Array, width: number, height: number): string | null {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 0 || height < 0) {
    throw new AppError('qr_frame_malformed', `A frame of ${width}x${height} pixels is not a picture.`);
  }
  if (rgba.byteLength !== width * height * 4) {
    throw new AppError(
      'qr_frame_malformed',
      `A ${width}x${height} RGBA frame has ${width * height * 4} bytes, not ${rgba.byteLength}.`,
    );
  }
  // An empty frame holds no code; jsQR would still walk a 0 x 2^40 frame row by row.
  if (width === 0 || height === 0) return null;
  const pixels = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return jsQR(pixels, width, height)?.data ?? null;
}
