/**
 * PWG raster (PWG 5102.4), one 8-bit sRGB page: for IPP printers that take `image/pwg-raster` but
 * not JPEG. A 4-byte sync word, a 1796-byte page header, then the lines with PWG's run-length
 * compression (a line-repeat byte, then runs of repeated pixels or literal pixels).
 */
import { AppError } from '../../shared/errors.ts';

export const PWG_SYNC = 'RaS2';
export const PWG_HEADER_BYTES = 1796;
const SRGB_COLOR_SPACE = 19;
const BYTES_PER_PIXEL = 3;
const MAX_RUN = 128;
const MAX_LINE_REPEAT = 256;
const POINTS_PER_INCH = 72;

/** Header offsets (bytes) of the fields written; everything else stays zero. */
const OFF = {
  mediaClass: 0,
  hwResolution: 276,
  numCopies: 340,
  pageSize: 352,
  width: 372,
  height: 376,
  bitsPerColor: 384,
  bitsPerPixel: 388,
  bytesPerLine: 392,
  colorOrder: 396,
  colorSpace: 400,
  numColors: 420,
  totalPageCount: 452,
  crossFeedTransform: 456,
  feedTransform: 460,
  pageSizeName: 1732,
} as const;

export interface PwgPage {
  width: number;
  height: number;
  dpi: number;
  /** Interleaved 8-bit RGB, width × height × 3 bytes. */
  rgb: Buffer;
  pageSizeName?: string;
}

export function encodePwgRaster(page: PwgPage): Buffer {
  const { width, height, dpi, rgb } = page;
  const lineBytes = width * BYTES_PER_PIXEL;
  if (rgb.length !== lineBytes * height) {
    throw new AppError(
      'pwg_bad_page',
      `A ${width}×${height} RGB page needs ${lineBytes * height} bytes, got ${rgb.length}.`,
    );
  }
  const h = Buffer.alloc(PWG_HEADER_BYTES);
  h.write('PwgRaster', OFF.mediaClass, 'latin1');
  h.writeUInt32BE(dpi, OFF.hwResolution);
  h.writeUInt32BE(dpi, OFF.hwResolution + 4);
  h.writeUInt32BE(1, OFF.numCopies);
  h.writeUInt32BE(Math.round((width * POINTS_PER_INCH) / dpi), OFF.pageSize);
  h.writeUInt32BE(Math.round((height * POINTS_PER_INCH) / dpi), OFF.pageSize + 4);
  h.writeUInt32BE(width, OFF.width);
  h.writeUInt32BE(height, OFF.height);
  h.writeUInt32BE(8, OFF.bitsPerColor);
  h.writeUInt32BE(8 * BYTES_PER_PIXEL, OFF.bitsPerPixel);
  h.writeUInt32BE(lineBytes, OFF.bytesPerLine);
  h.writeUInt32BE(0, OFF.colorOrder);
  h.writeUInt32BE(SRGB_COLOR_SPACE, OFF.colorSpace);
  h.writeUInt32BE(BYTES_PER_PIXEL, OFF.numColors);
  h.writeUInt32BE(1, OFF.totalPageCount);
  h.writeUInt32BE(1, OFF.crossFeedTransform);
  h.writeUInt32BE(1, OFF.feedTransform);
  if (page.pageSizeName) h.write(page.pageSizeName.slice(0, 63), OFF.pageSizeName, 'latin1');
  const out: Buffer[] = [Buffer.from(PWG_SYNC, 'latin1'), h];
  const line = (y: number) => rgb.subarray(y * lineBytes, (y + 1) * lineBytes);
  for (let y = 0; y < height; ) {
    const current = line(y);
    let repeat = 1;
    while (y + repeat < height && repeat < MAX_LINE_REPEAT && line(y + repeat).equals(current)) repeat++;
    out.push(Buffer.from([repeat - 1]), encodeLine(current, width));
    y += repeat;
  }
  return Buffer.concat(out);
}

function encodeLine(line: Buffer, width: number): Buffer {
  const parts: Buffer[] = [];
  const same = (a: number, b: number) =>
    line[a * 3] === line[b * 3] && line[a * 3 + 1] === line[b * 3 + 1] && line[a * 3 + 2] === line[b * 3 + 2];
  let x = 0;
  while (x < width) {
    if (x + 1 < width && same(x, x + 1)) {
      let n = 2;
      while (x + n < width && n < MAX_RUN && same(x, x + n)) n++;
      parts.push(Buffer.from([n - 1]), line.subarray(x * 3, x * 3 + 3));
      x += n;
    } else {
      let n = 1;
      while (x + n < width && n < MAX_RUN && !(x + n + 1 < width && same(x + n, x + n + 1))) n++;
      parts.push(Buffer.from([257 - n]), line.subarray(x * 3, (x + n) * 3));
      x += n;
    }
  }
  return Buffer.concat(parts);
}

/** Reads back a one-page PWG raster written by encodePwgRaster (tests; 8-bit sRGB only). */
export function decodePwgRaster(data: Buffer): PwgPage {
  if (data.subarray(0, 4).toString('latin1') !== PWG_SYNC)
    throw new AppError('pwg_bad_sync', 'Not a PWG raster stream.');
  const h = data.subarray(4, 4 + PWG_HEADER_BYTES);
  const width = h.readUInt32BE(OFF.width);
  const height = h.readUInt32BE(OFF.height);
  const dpi = h.readUInt32BE(OFF.hwResolution);
  const rgb = Buffer.alloc(width * height * 3);
  let pos = 4 + PWG_HEADER_BYTES;
  for (let y = 0; y < height; ) {
    const repeat = data[pos++]! + 1;
    const line = Buffer.alloc(width * 3);
    for (let x = 0; x < width; ) {
      const c = data[pos++]!;
      if (c < 128) {
        for (let k = 0; k <= c; k++) data.copy(line, (x + k) * 3, pos, pos + 3);
        pos += 3;
        x += c + 1;
      } else {
        const n = 257 - c;
        data.copy(line, x * 3, pos, pos + n * 3);
        pos += n * 3;
        x += n;
      }
    }
    for (let k = 0; k < repeat && y < height; k++, y++) line.copy(rgb, y * width * 3);
  }
  const name = h
    .subarray(OFF.pageSizeName, OFF.pageSizeName + 64)
    .toString('latin1')
    .replace(/\0.*$/s, '');
  return { width, height, dpi, rgb, pageSizeName: name };
}
