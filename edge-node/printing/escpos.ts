/**
 * Our own small ESC/POS encoder (the decoder, for tests and the file printer: escpos-decode.ts).
 *
 * Why not the `escpos` npm packages: they turn images into 1-bit by a plain threshold (photos come
 * out as black blobs), send an image as one raster command (some models cap one `GS v 0` at about
 * 2303 dots high and tall photos then fail), and offer no real-time status queries (`DLE EOT n`),
 * which we need to pause on paper-out and resume without losing or repeating a band. What we emit is
 * a handful of commands, so owning them is less code than adapting a package around them.
 */
import { packRaster } from './dither.ts';

/** The control bytes the encoder emits and the decoder reads. */
export const ESC = 0x1b;
export const GS = 0x1d;
export const DLE = 0x10;
export const EOT = 0x04;
const ENQ = 0x05;
const DC4 = 0x14;
export const LF = 0x0a;

/**
 * Maximum height of one `GS v 0` command. Models differ (about 2303 dots on some, less on others with
 * small receive buffers); 256 dots × 72 bytes = 18 KiB per band fits every buffer we know of and
 * gives frequent points to check status and resume.
 */
export const RASTER_BAND_MAX_DOTS = 256;
/** `GS v 0` carries its width in bytes in two bytes; printers cap far lower, this is the format limit. */
export const RASTER_MAX_WIDTH_BYTES = 0xffff;

export const STATUS_QUERY = {
  printer: Uint8Array.of(DLE, EOT, 1),
  offline: Uint8Array.of(DLE, EOT, 2),
  error: Uint8Array.of(DLE, EOT, 3),
  paper: Uint8Array.of(DLE, EOT, 4),
} as const;
export type StatusKind = keyof typeof STATUS_QUERY;

export interface PrinterStatusFlags {
  /** n=1 bit 3 */
  offline: boolean;
  /** n=1 bit 5 */
  waitingForOnlineRecovery: boolean;
  /** n=1 bit 6 (and n=2 bit 3: paper is being fed with the FEED button) */
  feedButtonPressed: boolean;
  /** n=2 bit 2 */
  coverOpen: boolean;
  /** n=2 bit 3 */
  paperFedByButton: boolean;
  /** n=2 bit 5: printing stopped because the paper ran out */
  paperEndStop: boolean;
  /** n=2 bit 6 */
  errorOccurred: boolean;
  /** n=3 bit 3 */
  autocutterError: boolean;
  /** n=3 bit 5 */
  unrecoverableError: boolean;
  /** n=3 bit 6 (e.g. print head too hot; clears by itself) */
  autoRecoverableError: boolean;
  /** n=4 bits 2–3 */
  paperNearEnd: boolean;
  /** n=4 bits 5–6 */
  paperEnd: boolean;
}

/**
 * Every real-time status byte has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0. Anything else on the
 * back channel is not an answer to our query (noise, other protocols) and is ignored.
 */
export function isStatusByte(byte: number): boolean {
  return (byte & 0b1001_0011) === 0b0001_0010;
}

export function parseStatus(kind: StatusKind, byte: number): Partial<PrinterStatusFlags> {
  const bit = (n: number) => (byte & (1 << n)) !== 0;
  switch (kind) {
    case 'printer':
      return { offline: bit(3), waitingForOnlineRecovery: bit(5), feedButtonPressed: bit(6) };
    case 'offline':
      return { coverOpen: bit(2), paperFedByButton: bit(3), paperEndStop: bit(5), errorOccurred: bit(6) };
    case 'error':
      return { autocutterError: bit(3), unrecoverableError: bit(5), autoRecoverableError: bit(6) };
    case 'paper':
      // Both bits of a pair are set together; accept either so one sensor reading bit is enough.
      return { paperNearEnd: bit(2) || bit(3), paperEnd: bit(5) || bit(6) };
  }
}

/**
 * How many real-time queries (`DLE EOT 1..4`) occur by accident inside a chunk of bytes. Printers
 * scan the incoming stream for real-time commands, even inside raster data, and answer them. Our
 * own rasters hold none (moveDotsOffRealTimeCommands); the printer port still counts them in what it
 * sends and skips that many answers before reading the answer to its own query.
 */
export function countEmbeddedStatusQueries(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === DLE && bytes[i + 1] === EOT && bytes[i + 2]! >= 1 && bytes[i + 2]! <= 4) count++;
  }
  return count;
}

export type Alignment = 'left' | 'center' | 'right';
const ALIGN_CODES: Record<Alignment, number> = { left: 0, center: 1, right: 2 };

/** Characters printers render from any code page we might be on (PC437 by default): printable ASCII. */
const TEXT_REPLACEMENTS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  Æ: 'AE',
  ø: 'o',
  Ø: 'O',
  œ: 'oe',
  Œ: 'OE',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  '€': 'EUR',
  '£': 'GBP',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '–': '-',
  '—': '-',
  '…': '...',
  // A template's fee line on the receipt (issue #14): "€2.00 × 0.8 (popular)".
  '×': 'x',
  '\t': ' ',
  '\u00a0': ' ',
};

/** Maps text to printable ASCII: accents dropped (é → e), known symbols spelled out, the rest '?'. */
export function toPrintableAscii(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const mapped = TEXT_REPLACEMENTS[ch];
    if (mapped !== undefined) {
      out += mapped;
      continue;
    }
    if (ch === '\n' || (ch >= ' ' && ch <= '~')) {
      out += ch;
      continue;
    }
    const base = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
    out += /^[ -~]+$/.test(base) ? base : '?';
  }
  return out;
}

/** After DLE, these bytes make a real-time command: DLE EOT (status), DLE ENQ (recover), DLE DC4 (drawer pulse, power off, clear buffers). */
const REAL_TIME_AFTER_DLE: ReadonlySet<number> = new Set([EOT, ENQ, DC4]);
/** The DLE byte's one dot (bit 3 from the left) moved one column left (bit 2). */
const DLE_DOT_MOVED_LEFT = 0x20;

/**
 * Printers act on real-time commands wherever they occur in what they receive, raster data
 * included, and light photo areas are full of 0x10, 0x04 and 0x01 bytes. A query hidden in a band
 * is answered like ours, and its answer can be taken for ours: a busy printer reads the rest of the
 * band, and our query, only as its buffer drains, so ours may come seconds after the hidden one.
 * Other pairs could pulse a cash drawer or clear the printer's buffers. So wherever a band's data
 * holds DLE followed by EOT, ENQ or DC4, the DLE byte's single dot moves one column left (0x10 →
 * 0x20, the same row): the row keeps its number of dots, one dot in tens of thousands moves one
 * column, and 0x20 can neither start a command nor complete one. Changes `data` in place; returns
 * how many dots moved.
 */
export function moveDotsOffRealTimeCommands(data: Uint8Array): number {
  let moved = 0;
  for (let i = 0; i + 1 < data.length; i++) {
    if (data[i] === DLE && REAL_TIME_AFTER_DLE.has(data[i + 1]!)) {
      data[i] = DLE_DOT_MOVED_LEFT;
      moved++;
    }
  }
  return moved;
}

/**
 * Splits bits into bands and encodes each as one self-contained `GS v 0` command, with no real-time
 * command hidden in its data (moveDotsOffRealTimeCommands).
 */
export function encodeRasterBands(
  bits: Uint8Array,
  width: number,
  height: number,
  bandMaxDots: number = RASTER_BAND_MAX_DOTS,
): Buffer[] {
  if (!Number.isInteger(bandMaxDots) || bandMaxDots < 1 || bandMaxDots > 0xffff) {
    throw new RangeError(`band height must be 1…65535 dots, got ${bandMaxDots}`);
  }
  const bands: Buffer[] = [];
  for (let top = 0; top < height; top += bandMaxDots) {
    const rows = Math.min(bandMaxDots, height - top);
    const slice = bits.subarray(top * width, (top + rows) * width);
    const { bytesPerRow, data } = packRaster(slice, width, rows);
    moveDotsOffRealTimeCommands(data);
    if (bytesPerRow > RASTER_MAX_WIDTH_BYTES) throw new RangeError(`raster too wide: ${width} dots`);
    const header = Buffer.from([GS, 0x76, 0x30, 0, bytesPerRow & 0xff, bytesPerRow >> 8, rows & 0xff, rows >> 8]);
    bands.push(Buffer.concat([header, data]));
  }
  return bands;
}

export class EscPosBuilder {
  private readonly parts: Buffer[] = [];

  initialize(): this {
    return this.push([ESC, 0x40]);
  }

  align(a: Alignment): this {
    return this.push([ESC, 0x61, ALIGN_CODES[a]]);
  }

  bold(on: boolean): this {
    return this.push([ESC, 0x45, on ? 1 : 0]);
  }

  /** Character magnification, 1…8 in each direction. */
  size(w: number, h: number): this {
    const clamp = (n: number) => Math.min(8, Math.max(1, Math.round(n)));
    return this.push([GS, 0x21, ((clamp(w) - 1) << 4) | (clamp(h) - 1)]);
  }

  /** Printable ASCII only (see toPrintableAscii); '\n' ends a line. */
  text(s: string): this {
    this.parts.push(Buffer.from(toPrintableAscii(s), 'latin1'));
    return this;
  }

  line(s = ''): this {
    return this.text(`${s}\n`);
  }

  /** Prints the buffer and feeds `lines` lines (0…255). */
  feed(lines: number): this {
    return this.push([ESC, 0x64, Math.min(255, Math.max(0, Math.round(lines)))]);
  }

  /** Full cut (GS V 0) or partial cut (GS V 1), which leaves a hinge so prints do not fall off. */
  cut(partial = false): this {
    return this.push([GS, 0x56, partial ? 1 : 0]);
  }

  /** One `GS v 0` per band of at most bandMaxDots rows. */
  rasterBands(bits: Uint8Array, width: number, height: number, bandMaxDots: number = RASTER_BAND_MAX_DOTS): this {
    this.parts.push(...encodeRasterBands(bits, width, height, bandMaxDots));
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }

  private push(bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
}
