/**
 * Pure image maths for 1-bit thermal printing: luma, tone, error-diffusion dithering, raster packing.
 *
 * A thermal head prints a dot or nothing, so greys must become dot density. A threshold turns a photo
 * into black blobs (that is what the `escpos` npm packages do); error diffusion keeps the local
 * average of dots equal to the local grey, which is what makes faces legible on receipt paper.
 *
 * Conventions: grey values are 0 (black) … 255 (white) as floats; dithered bits are one byte per
 * pixel, 1 = print a dot (black), 0 = leave paper white.
 */

/** Grey values below this become a dot; the midpoint of the 0…255 scale. */
export const DITHER_THRESHOLD = 128;

/** Paper is white: transparent pixels must disappear, not print black. */
const PAPER_WHITE = 255;

/** ITU-R BT.601 luma weights, the usual choice for 8-bit sRGB photos. */
const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

/** Luma of RGBA pixels composited over white paper (alpha 0 = white). */
export function toGray(rgba: Uint8Array, width: number, height: number): Float32Array {
  assertDims(width, height);
  const count = width * height;
  if (rgba.length < count * 4) {
    throw new RangeError(`toGray: expected ${count * 4} RGBA bytes for ${width}x${height}, got ${rgba.length}`);
  }
  const gray = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * 4;
    const luma = LUMA_R * rgba[o]! + LUMA_G * rgba[o + 1]! + LUMA_B * rgba[o + 2]!;
    const alpha = rgba[o + 3]! / 255;
    gray[i] = luma * alpha + PAPER_WHITE * (1 - alpha);
  }
  return gray;
}

/** Mild unsharp mask after downscaling (see sharpenGray): radius and strength. */
export const PHOTO_SHARPEN_SIGMA = 0.5;
export const PHOTO_SHARPEN_AMOUNT = 1;
/** Mid-tone lift against thermal dot gain (see applyGamma). 1 = none. */
export const THERMAL_GAMMA = 1.2;

/** Printer-sized RGBA → the grey values a thermal head dithers: luma over white, sharpened, lifted. */
export function thermalTone(rgba: Uint8Array, width: number, height: number): Float32Array {
  const sharpened = sharpenGray(toGray(rgba, width, height), width, height, PHOTO_SHARPEN_SIGMA, PHOTO_SHARPEN_AMOUNT);
  return applyGamma(sharpened, THERMAL_GAMMA);
}

/** Gamma is read from a table with this many entries per grey level, interpolated between them. */
const GAMMA_TABLE_STEPS_PER_LEVEL = 16;
const gammaTables = new Map<number, Float64Array>();

function gammaTable(gamma: number): Float64Array {
  let table = gammaTables.get(gamma);
  if (!table) {
    const exponent = 1 / gamma;
    table = new Float64Array(255 * GAMMA_TABLE_STEPS_PER_LEVEL + 2);
    for (let i = 0; i < table.length; i++) {
      table[i] = 255 * (Math.min(255, i / GAMMA_TABLE_STEPS_PER_LEVEL) / 255) ** exponent;
    }
    gammaTables.set(gamma, table);
  }
  return table;
}

/**
 * Gamma lift for thermal paper: dots spread a little as the paper darkens around them (dot gain),
 * so mid-tones print darker than their dot density says. `gamma > 1` lightens mid-tones and keeps
 * pure black and pure white unchanged. A power per dot was a fifth of a photo's render time; the
 * interpolated table is within 0.05 of a grey level of it (far below what a dot can show).
 */
export function applyGamma(gray: Float32Array, gamma: number): Float32Array {
  if (!(gamma > 0)) throw new RangeError(`applyGamma: gamma must be > 0, got ${gamma}`);
  const table = gammaTable(gamma);
  const out = new Float32Array(gray.length);
  for (let i = 0; i < gray.length; i++) {
    const at = Math.min(255, Math.max(0, gray[i]!)) * GAMMA_TABLE_STEPS_PER_LEVEL;
    const below = Math.floor(at);
    const lo = table[below]!;
    out[i] = lo + (table[below + 1]! - lo) * (at - below);
  }
  return out;
}

/**
 * Unsharp mask on grey values: each value moves away from its Gaussian-blurred neighbourhood by
 * `amount` times the difference, clamped to 0…255. Dithering softens edges; this brings back faces
 * and text. Separable blur over a kernel of radius ⌈2σ⌉ (edges repeat their last value).
 */
export function sharpenGray(
  gray: Float32Array,
  width: number,
  height: number,
  sigma: number,
  amount: number,
): Float32Array {
  assertDims(width, height);
  if (!(sigma > 0) || !(amount >= 0)) throw new RangeError(`sharpenGray: need sigma > 0 and amount ≥ 0`);
  const radius = Math.max(1, Math.ceil(2 * sigma));
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k]! /= sum;
  const across = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let v = 0;
      if (x >= radius && x < width - radius) {
        for (let k = -radius; k <= radius; k++) v += kernel[k + radius]! * gray[row + x + k]!;
      } else {
        for (let k = -radius; k <= radius; k++) v += kernel[k + radius]! * gray[row + clampIndex(x + k, width)]!;
      }
      across[row + x] = v;
    }
  }
  // Down the columns a row at a time, so every pass reads memory in order.
  const out = new Float32Array(width * height);
  const blurred = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    blurred.fill(0);
    for (let k = -radius; k <= radius; k++) {
      const weight = kernel[k + radius]!;
      const from = clampIndex(y + k, height) * width;
      for (let x = 0; x < width; x++) blurred[x]! += weight * across[from + x]!;
    }
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const v = gray[row + x]!;
      out[row + x] = Math.min(255, Math.max(0, v + amount * (v - blurred[x]!)));
    }
  }
  return out;
}

function clampIndex(i: number, length: number): number {
  return i < 0 ? 0 : i >= length ? length - 1 : i;
}

/**
 * Serpentine Floyd–Steinberg: even rows go left→right, odd rows right→left, with the 7/16, 3/16,
 * 5/16, 1/16 kernel mirrored on odd rows. Alternating direction removes the diagonal "worms" plain
 * Floyd–Steinberg draws in flat areas. Deterministic (no noise); the input is not modified.
 * Errors are carried in float64 over two row buffers, so memory stays O(width).
 */
export function floydSteinberg(gray: Float32Array, width: number, height: number): Uint8Array {
  assertDims(width, height);
  if (gray.length < width * height) {
    throw new RangeError(`floydSteinberg: expected ${width * height} grey values, got ${gray.length}`);
  }
  const bits = new Uint8Array(width * height);
  // Index x + 1 so the kernel can spill one column past either edge without branches.
  let errCurrent = new Float64Array(width + 2);
  let errNext = new Float64Array(width + 2);
  for (let y = 0; y < height; y++) {
    const leftToRight = y % 2 === 0;
    const step = leftToRight ? 1 : -1;
    for (let i = 0; i < width; i++) {
      const x = leftToRight ? i : width - 1 - i;
      const value = gray[y * width + x]! + errCurrent[x + 1]!;
      const black = value < DITHER_THRESHOLD;
      bits[y * width + x] = black ? 1 : 0;
      const error = value - (black ? 0 : 255);
      errCurrent[x + 1 + step]! += (error * 7) / 16;
      errNext[x + 1 - step]! += (error * 3) / 16;
      errNext[x + 1]! += (error * 5) / 16;
      errNext[x + 1 + step]! += error / 16;
    }
    const done = errCurrent;
    errCurrent = errNext;
    errNext = done;
    errNext.fill(0);
  }
  return bits;
}

/** Packs byte-per-pixel bits into printer rows: MSB = leftmost dot, rows padded with white to whole bytes. */
export function packRaster(bits: Uint8Array, width: number, height: number): { bytesPerRow: number; data: Uint8Array } {
  assertDims(width, height);
  if (bits.length < width * height) {
    throw new RangeError(`packRaster: expected ${width * height} pixels, got ${bits.length}`);
  }
  const bytesPerRow = Math.ceil(width / 8);
  const data = new Uint8Array(bytesPerRow * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (bits[y * width + x]) data[y * bytesPerRow + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return { bytesPerRow, data };
}

/** Inverse of packRaster (padding dropped): used by decoders and previews. */
export function unpackRaster(data: Uint8Array, bytesPerRow: number, width: number, height: number): Uint8Array {
  assertDims(width, height);
  if (width > bytesPerRow * 8) throw new RangeError(`unpackRaster: ${width} dots do not fit ${bytesPerRow} bytes`);
  if (data.length < bytesPerRow * height) {
    throw new RangeError(`unpackRaster: expected ${bytesPerRow * height} bytes, got ${data.length}`);
  }
  const bits = new Uint8Array(width * height);
  // A byte at a time (eight dots): the file printer unpacks every photo it writes a preview of.
  const wholeBytes = width >> 3;
  for (let y = 0; y < height; y++) {
    const row = y * bytesPerRow;
    let at = y * width;
    for (let b = 0; b < wholeBytes; b++, at += 8) {
      const v = data[row + b]!;
      bits[at] = v >> 7;
      bits[at + 1] = (v >> 6) & 1;
      bits[at + 2] = (v >> 5) & 1;
      bits[at + 3] = (v >> 4) & 1;
      bits[at + 4] = (v >> 3) & 1;
      bits[at + 5] = (v >> 2) & 1;
      bits[at + 6] = (v >> 1) & 1;
      bits[at + 7] = v & 1;
    }
    for (let x = wholeBytes << 3; x < width; x++) bits[y * width + x] = (data[row + (x >> 3)]! >> (7 - (x & 7))) & 1;
  }
  return bits;
}

function assertDims(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 0) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
}
