import * as jsqrModule from 'jsqr';

/** What jsQR finds in a frame: the decoded text, or null. */
type JsQrDecode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;

// jsqr is a webpack CommonJS bundle whose default export lands one level deeper or not depending on
// the loader's interop; resolve it once here instead of at every call site.
const loaded = jsqrModule as unknown as { default: JsQrDecode | { default: JsQrDecode } };
const jsQR: JsQrDecode = typeof loaded.default === 'function' ? loaded.default : loaded.default.default;

/** Decodes a QR code from an RGBA frame (camera frame or decoded image file); null when none is found. */
export function decodeQrFromRgba(rgba: Uint8Array, width: number, height: number): string | null {
  const pixels = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return jsQR(pixels, width, height)?.data ?? null;
}
