/**
 * A printer that writes to a folder: each job's exact ESC/POS bytes (`.escpos`, replayable to a real
 * printer with `cat job.escpos > /dev/usb/lp0` or `nc printer 9100 < job.escpos`) plus previews made
 * by decoding those bytes again (`.png` for raster, `.txt` for text), so a preview shows what the
 * bytes contain, not what we meant to send.
 *
 * It answers real-time status like a printer would, from marker files an operator or a test can
 * create: `PAPER_OUT` → paper out, `COVER_OPEN` → cover open. Jobs then pause and resume exactly as
 * with a hardware printer.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeAtomically } from '../../shared/fs/write-atomically.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { STATUS_QUERY, toPrintableAscii } from './escpos.ts';
import { decodeRasterCommands, decodeTextLines, stitchBands } from './escpos-decode.ts';
import { EscPosPrinter, type EscPosPrinterOptions, type JobInfo, type PrinterTransport } from './escpos-printer.ts';
import { rasterPreviewPng } from './render.ts';

export const PAPER_OUT_FILE = 'PAPER_OUT';
export const COVER_OPEN_FILE = 'COVER_OPEN';
const FILE_LABEL_MAX_CHARS = 60;
const SEQUENCE_DIGITS = 6;

export interface FilePrinterOptions extends EscPosPrinterOptions {
  dir: string;
  widthDots?: number;
  /** Takes this long per photo, like a real photo printer (demos, routing tests); 0 by default. */
  secondsPerPrint?: number;
}

export class FilePrinter extends EscPosPrinter {
  readonly dir: string;

  constructor(options: FilePrinterOptions) {
    super(
      'file',
      options.widthDots ?? 576,
      new FileTransport(options.dir, options.clock, options.secondsPerPrint ?? 0),
      options,
    );
    this.dir = options.dir;
  }
}

/** Status bytes with the fixed bits (bit 1 and bit 4) set, as real printers send them. */
const STATUS_BASE = 0x12;

export class FileTransport implements PrinterTransport {
  private jobBytes: Buffer[] = [];
  private sequence = 0;
  private lastError: string | undefined;
  /**
   * The .escpos files in the folder: read once at open, then kept as this transport writes them, so
   * a job's dedupe check does not list a folder that grows by three files a print.
   */
  private printed: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly clock: Clock = systemClock,
    private readonly secondsPerPrint = 0,
  ) {}

  async open(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    // Continue numbering after a restart so names stay unique and in print order.
    this.printed = (await fs.readdir(this.dir)).filter((name) => name.endsWith('.escpos'));
    for (const name of this.printed) {
      const match = /Z-(\d+)-/.exec(name);
      if (match) this.sequence = Math.max(this.sequence, Number(match[1]));
    }
  }

  async close(): Promise<void> {}

  /** Whether a job with this id already produced its output here (since open, or before it). */
  hasPrinted(jobId: string): boolean {
    const id = slug(jobId);
    return this.printed.some((name) => name.includes(`-${id}-`) || name.endsWith(`-${id}.escpos`));
  }

  unavailableReason(): string | undefined {
    return this.lastError;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.jobBytes.push(Buffer.from(bytes));
  }

  async query(request: Uint8Array): Promise<number | null> {
    // A photo job asks twice per band: three lookups that cost the same however many prints the
    // folder holds (a listing of it grows by three files a print), side by side in libuv's pool.
    const [folder, paperOut, coverOpen] = await Promise.all([
      isDirectory(this.dir),
      exists(path.join(this.dir, PAPER_OUT_FILE)),
      exists(path.join(this.dir, COVER_OPEN_FILE)),
    ]);
    if (folder !== 'ok') {
      this.lastError = `output folder ${this.dir} is ${folder}`;
      return null;
    }
    const n = request[2];
    if (n === STATUS_QUERY.printer[2]) return STATUS_BASE | (paperOut || coverOpen ? 0x08 : 0);
    if (n === STATUS_QUERY.offline[2]) return STATUS_BASE | (coverOpen ? 0x04 : 0) | (paperOut ? 0x20 : 0);
    if (n === STATUS_QUERY.paper[2]) return STATUS_BASE | (paperOut ? 0x60 : 0);
    return STATUS_BASE;
  }

  async beginJob(): Promise<void> {
    this.jobBytes = [];
  }

  async endJob(job: JobInfo): Promise<void> {
    const bytes = Buffer.concat(this.jobBytes);
    this.jobBytes = [];
    // A job id names a print across restarts: if its output is already in the folder, the print
    // happened before a crash and must not come out twice. The .escpos file appears atomically
    // (rename), so it is there or not; never half.
    if (job.jobId && this.hasPrinted(job.jobId)) return;
    this.sequence++;
    const stamp = new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-');
    const name = job.jobId ? `${job.jobId}-${job.label}` : job.label;
    const base = `${stamp}-${String(this.sequence).padStart(SEQUENCE_DIGITS, '0')}-${slug(name)}`;
    const bands = decodeRasterCommands(bytes);
    if (bands.length > 0 && this.secondsPerPrint > 0) await this.clock.sleep(this.secondsPerPrint * 1000);
    // Previews are not the record of the print (the .escpos file is): a crash may lose them, so
    // they are not flushed to disk one by one.
    if (bands.length > 0) {
      const image = stitchBands(bands);
      await writeAtomically(
        path.join(this.dir, `${base}.png`),
        await rasterPreviewPng(image.bits, image.width, image.height),
        { durable: false },
      );
    }
    const text = decodeTextLines(bytes);
    if (text.some((line) => line.trim() !== '' && line !== '--- cut ---')) {
      await writeAtomically(path.join(this.dir, `${base}.txt`), Buffer.from(`${text.join('\n')}\n`), {
        durable: false,
      });
    }
    // Last, so a watcher that sees the .escpos file finds its previews already there.
    await writeAtomically(path.join(this.dir, `${base}.escpos`), bytes);
    this.printed.push(`${base}.escpos`);
  }
}

/** Errors that mean "not there" for a marker file or the output folder. */
const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR']);
/** Errors that mean the folder is there but this process may not use it. */
const FORBIDDEN_CODES = new Set(['EACCES', 'EPERM']);

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    // A folder this process may not read is reported by the folder's own check.
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (ABSENT_CODES.has(code) || FORBIDDEN_CODES.has(code)) return false;
    throw err;
  }
}

async function isDirectory(dir: string): Promise<'ok' | 'missing' | 'not accessible'> {
  try {
    return (await fs.stat(dir)).isDirectory() ? 'ok' : 'missing';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (ABSENT_CODES.has(code)) return 'missing';
    if (FORBIDDEN_CODES.has(code)) return 'not accessible';
    throw err;
  }
}

function slug(label: string): string {
  const s = toPrintableAscii(label)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, FILE_LABEL_MAX_CHARS);
  return s || 'job';
}
