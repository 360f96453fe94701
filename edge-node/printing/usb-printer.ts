/**
 * ESC/POS over USB through the Linux `usblp` driver, which exposes a USB printer as a character
 * device (/dev/usb/lp0) that is written for output and read for the printer's answers.
 *
 * Why not `escpos-usb`: it needs the native `usb` package (libusb plus a compiler at install time,
 * and detaching the kernel driver at run time); the device file needs nothing native, works with the
 * kernel driver the printer already has, and permissions are the usual `lp` group.
 *
 * The device is opened non-blocking: a blocking read on a printer that never answers would pin one
 * of libuv's four pool threads forever, and a few of those would stall every file operation of the
 * process. Reads and writes that would block return EAGAIN and are retried after a short pause.
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { isStatusByte } from './escpos.ts';
import {
  EscPosPrinter,
  type EscPosPrinterOptions,
  type PrinterTransport,
  STATUS_TIMEOUT_MS,
} from './escpos-printer.ts';
import { pickAnswer, STRAY_ANSWER_SETTLE_MS } from './tcp-printer.ts';

/** Pause before retrying a read or write the device refused with EAGAIN (busy or nothing to read). */
export const USB_RETRY_INTERVAL_MS = 10;
const READ_CHUNK_BYTES = 64;
/** Bounds the pre-query drain, so a device that never stops talking cannot hold us. */
const MAX_LEFTOVER_READS = 16;

export interface UsbPrinterOptions extends EscPosPrinterOptions {
  devicePath: string;
  widthDots?: number;
  statusTimeoutMs?: number;
}

export class UsbPrinter extends EscPosPrinter {
  constructor(options: UsbPrinterOptions) {
    super(
      'usb',
      options.widthDots ?? 576,
      new UsbDeviceTransport(options.devicePath, options.statusTimeoutMs, options.clock),
      options,
    );
  }
}

export class UsbDeviceTransport implements PrinterTransport {
  private handle: fs.FileHandle | undefined;
  private lastError: string | undefined;
  private closed = false;

  constructor(
    private readonly devicePath: string,
    private readonly timeoutMs: number = STATUS_TIMEOUT_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  async open(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
  }

  unavailableReason(): string | undefined {
    return this.lastError;
  }

  async write(bytes: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error(this.lastError ?? `${this.devicePath} is not open`);
    let offset = 0;
    while (offset < bytes.length) {
      try {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
        offset += bytesWritten;
      } catch (err) {
        if (errorCode(err) === 'EAGAIN' && !this.closed) {
          await this.clock.sleep(USB_RETRY_INTERVAL_MS);
          continue;
        }
        this.lastError = `USB printer ${this.devicePath} stopped working (${errorCode(err)}): check the cable`;
        await this.drop();
        throw err;
      }
    }
  }

  async query(request: Uint8Array, strayAnswers = 0): Promise<number | null> {
    let handle: fs.FileHandle;
    try {
      handle = await this.device();
    } catch {
      return null;
    }
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    const answers: number[] = [];
    // What is already waiting arrived before our query went out: stray answers, or leftovers.
    for (let i = 0; i < MAX_LEFTOVER_READS; i++) {
      const bytesRead = await this.readSome(handle, buffer, answers);
      if (bytesRead === null) return null;
      if (bytesRead === 0) break;
    }
    if (strayAnswers === 0) answers.length = 0;
    const before = answers.length;
    try {
      await this.write(request);
    } catch {
      return null;
    }
    const needed = strayAnswers + 1;
    const deadline = this.clock.now() + this.timeoutMs;
    let settleBy = Number.POSITIVE_INFINITY;
    while (!(answers.length >= needed && answers.length > before) && !this.closed) {
      if (this.clock.now() >= Math.min(deadline, settleBy)) break;
      const bytesRead = await this.readSome(handle, buffer, answers);
      if (bytesRead === null) return null;
      if (answers.length > before && settleBy === Number.POSITIVE_INFINITY)
        settleBy = this.clock.now() + STRAY_ANSWER_SETTLE_MS;
      if (bytesRead === 0) await this.clock.sleep(USB_RETRY_INTERVAL_MS);
    }
    const answer = pickAnswer(answers, before, needed, !this.closed);
    if (answer !== null) {
      this.lastError = undefined;
      return answer;
    }
    this.lastError = `USB printer ${this.devicePath} did not answer a status query within ${this.timeoutMs} ms`;
    return null;
  }

  /** One non-blocking read; status bytes go to `answers`. 0 = nothing there, null = device gone. */
  private async readSome(handle: fs.FileHandle, buffer: Buffer, answers: number[]): Promise<number | null> {
    try {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      for (const byte of buffer.subarray(0, bytesRead)) if (isStatusByte(byte)) answers.push(byte);
      return bytesRead;
    } catch (err) {
      if (errorCode(err) === 'EAGAIN') return 0;
      this.lastError = `USB printer ${this.devicePath} stopped working (${errorCode(err)}): check the cable`;
      await this.drop();
      return null;
    }
  }

  private async device(): Promise<fs.FileHandle> {
    if (this.closed) throw new Error('printer port closed');
    if (this.handle) return this.handle;
    try {
      this.handle = await fs.open(this.devicePath, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
      return this.handle;
    } catch (err) {
      this.lastError = describeOpenError(this.devicePath, err);
      throw err;
    }
  }

  private async drop(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
  }
}

function describeOpenError(path: string, err: unknown): string {
  switch (errorCode(err)) {
    case 'ENOENT':
    case 'ENODEV':
    case 'ENXIO':
      return `USB printer device ${path} not found: check that the printer is on and its USB cable is plugged in`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to open ${path}: add the edge-node user to the group owning it (usually lp)`;
    case 'EBUSY':
      return `${path} is in use by another program (a print spooler?): stop it`;
    default:
      return `cannot open ${path} (${errorCode(err)})`;
  }
}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.message : String(err);
}
