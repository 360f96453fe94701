/**
 * The ESC/POS decoder: it understands exactly the commands escpos.ts emits plus the real-time status
 * queries interleaved on the wire; anything else is an error, so a test decoding our output also
 * proves the stream contains nothing unexpected. The file printer reads its own output with it.
 */

import { unpackRaster } from './dither.ts';
import { type Alignment, DLE, EOT, ESC, GS, LF } from './escpos.ts';

export type EscPosOp =
  | { op: 'initialize'; offset: number }
  | { op: 'align'; offset: number; align: Alignment }
  | { op: 'bold'; offset: number; on: boolean }
  | { op: 'size'; offset: number; width: number; height: number }
  | { op: 'text'; offset: number; text: string }
  | { op: 'newline'; offset: number }
  | { op: 'feed'; offset: number; lines: number }
  | { op: 'cut'; offset: number; partial: boolean }
  | { op: 'status_query'; offset: number; n: number }
  | {
      op: 'raster';
      offset: number;
      mode: number;
      bytesPerRow: number;
      width: number;
      height: number;
      bits: Uint8Array;
    };

/** Parses an ESC/POS stream made of the commands above; throws on anything else or on truncation. */
export function decodeEscPos(bytes: Uint8Array): EscPosOp[] {
  const ops: EscPosOp[] = [];
  let i = 0;
  const need = (n: number, what: string) => {
    if (i + n > bytes.length) throw new Error(`truncated ${what} at offset ${i}`);
  };
  while (i < bytes.length) {
    const b = bytes[i]!;
    const offset = i;
    if (b === ESC) {
      need(2, 'ESC command');
      const c = bytes[i + 1]!;
      if (c === 0x40) {
        ops.push({ op: 'initialize', offset });
        i += 2;
        continue;
      }
      need(3, 'ESC command');
      const n = bytes[i + 2]!;
      if (c === 0x61 && n <= 2) ops.push({ op: 'align', offset, align: (['left', 'center', 'right'] as const)[n]! });
      else if (c === 0x45) ops.push({ op: 'bold', offset, on: (n & 1) === 1 });
      else if (c === 0x64) ops.push({ op: 'feed', offset, lines: n });
      else throw new Error(`unexpected ESC 0x${c.toString(16)} at offset ${offset}`);
      i += 3;
    } else if (b === GS) {
      need(3, 'GS command');
      const c = bytes[i + 1]!;
      const n = bytes[i + 2]!;
      if (c === 0x21) {
        ops.push({ op: 'size', offset, width: (n >> 4) + 1, height: (n & 0x0f) + 1 });
        i += 3;
      } else if (c === 0x56 && (n === 0 || n === 1 || n === 48 || n === 49)) {
        ops.push({ op: 'cut', offset, partial: n === 1 || n === 49 });
        i += 3;
      } else if (c === 0x76 && n === 0x30) {
        need(8, 'GS v 0 header');
        const mode = bytes[i + 3]!;
        const bytesPerRow = bytes[i + 4]! | (bytes[i + 5]! << 8);
        const height = bytes[i + 6]! | (bytes[i + 7]! << 8);
        if (bytesPerRow === 0 || height === 0) throw new Error(`empty GS v 0 at offset ${offset}`);
        i += 8;
        need(bytesPerRow * height, 'GS v 0 data');
        const data = bytes.subarray(i, i + bytesPerRow * height);
        const width = bytesPerRow * 8;
        ops.push({
          op: 'raster',
          offset,
          mode,
          bytesPerRow,
          width,
          height,
          bits: unpackRaster(data, bytesPerRow, width, height),
        });
        i += bytesPerRow * height;
      } else {
        throw new Error(`unexpected GS 0x${c.toString(16)} at offset ${offset}`);
      }
    } else if (b === DLE) {
      need(3, 'DLE command');
      const n = bytes[i + 2]!;
      if (bytes[i + 1] !== EOT || n < 1 || n > 4) throw new Error(`unexpected DLE command at offset ${offset}`);
      ops.push({ op: 'status_query', offset, n });
      i += 3;
    } else if (b === LF) {
      ops.push({ op: 'newline', offset });
      i += 1;
    } else if (b >= 0x20 && b <= 0x7e) {
      let end = i;
      while (end < bytes.length && bytes[end]! >= 0x20 && bytes[end]! <= 0x7e) end++;
      ops.push({ op: 'text', offset, text: Buffer.from(bytes.subarray(i, end)).toString('latin1') });
      i = end;
    } else {
      throw new Error(`unexpected byte 0x${b.toString(16)} at offset ${offset}`);
    }
  }
  return ops;
}

export interface RasterBand {
  width: number;
  height: number;
  bits: Uint8Array;
}

/** Every `GS v 0` band in the stream as pixels (width = bytes per row × 8, padding included). */
export function decodeRasterCommands(bytes: Uint8Array): RasterBand[] {
  const bands: RasterBand[] = [];
  for (const op of decodeEscPos(bytes)) {
    if (op.op === 'raster') bands.push({ width: op.width, height: op.height, bits: op.bits });
  }
  return bands;
}

/** Stacks bands vertically into one image; they must share one width. */
export function stitchBands(bands: readonly RasterBand[]): RasterBand {
  if (bands.length === 0) return { width: 0, height: 0, bits: new Uint8Array(0) };
  const width = bands[0]!.width;
  let height = 0;
  for (const band of bands) {
    if (band.width !== width) throw new Error(`band widths differ: ${width} vs ${band.width}`);
    height += band.height;
  }
  const bits = new Uint8Array(width * height);
  let row = 0;
  for (const band of bands) {
    bits.set(band.bits.subarray(0, band.width * band.height), row * width);
    row += band.height;
  }
  return { width, height, bits };
}

/** The text a receipt would show, line by line (for previews and tests). */
export function decodeTextLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  let current = '';
  for (const op of decodeEscPos(bytes)) {
    if (op.op === 'text') current += op.text;
    else if (op.op === 'newline') {
      lines.push(current);
      current = '';
    } else if (op.op === 'feed') {
      if (current) lines.push(current);
      current = '';
      for (let k = 0; k < op.lines; k++) lines.push('');
    } else if (op.op === 'cut') {
      if (current) lines.push(current);
      current = '';
      lines.push('--- cut ---');
    }
  }
  if (current) lines.push(current);
  return lines;
}
