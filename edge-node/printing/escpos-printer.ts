/**
 * What every ESC/POS printer adapter shares: rendering, banding, one job at a time, and the
 * pause/resume loop driven by real-time status. Adapters only move bytes (PrinterTransport).
 *
 * Resuming without losing or repeating a band: before each band we ask the printer for its status
 * (`DLE EOT`). A printer answers real-time queries as it reads them from its input, which is in
 * order, so an answer proves every byte sent before the query has reached the printer. A band
 * counts as accepted once the query that follows it is answered; it is never sent again. A band
 * whose write failed or whose following query went unanswered (connection lost, printer power
 * cycled) is sent again after the printer is back, preceded by the job prelude (ESC @ and
 * alignment), since a printer that restarted has forgotten them.
 */
import { EventEmitter } from 'node:events';
import { AppError } from '../../shared/errors.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { countEmbeddedStatusQueries, EscPosBuilder, encodeRasterBands } from './escpos.ts';
import type { PrinterKind, PrinterPort, PrinterStatus, PrintOptions, ReceiptInfo, StatusListener } from './port.ts';
import { NEAR_END_NOTE, probeStatus, type StatusProbe } from './printer-status.ts';
import { RasterCache } from './raster-cache.ts';
import { appendReceipt } from './receipt.ts';
import { PRINTER_MAX_WIDTH_DOTS, PRINTER_MIN_WIDTH_DOTS, renderPhoto } from './render.ts';

/** How often a paused job asks the printer whether it is ready again. */
export const STATUS_POLL_INTERVAL_MS = 500;
export { STATUS_TIMEOUT_MS } from './printer-status.ts';
/** A write the printer has not taken for this long is reported to the operator (buffer full, paper out…). */
export const WRITE_STALL_NOTICE_MS = 5000;
/** Lines fed after a photo's label so the cut does not slice the picture. */
const PHOTO_TRAILER_FEED_LINES = 3;

export interface PrinterTransport {
  /** Prepares the adapter; must not fail only because the printer is off (queries then answer null). */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Resolves once the bytes are handed to the device or socket, honouring backpressure. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Sends a real-time query and resolves with its answer byte, or null when none came within the
   * status timeout (offline, unreachable). `strayAnswers` answers to queries that occurred by
   * accident inside data written since the last query come first and are skipped.
   */
  query(request: Uint8Array, strayAnswers?: number): Promise<number | null>;
  /** Why the device cannot be reached, in operator words (e.g. "cannot connect to 10.0.0.7:9100: ECONNREFUSED"). */
  unavailableReason?(): string | undefined;
  /** Job boundaries, for adapters that store each job separately (file adapter). */
  beginJob?(job: JobInfo): Promise<void>;
  endJob?(job: JobInfo): Promise<void>;
}

export interface JobInfo {
  kind: 'photo' | 'receipt';
  jobId?: string;
  /** Short human label: the photo label, or "receipt-<order code>". */
  label: string;
  /** For operator messages: "photo "Goal 1"", "receipt for order ABCD". */
  description: string;
}

export interface EscPosPrinterOptions {
  statusPollIntervalMs?: number;
  writeStallNoticeMs?: number;
  /** Status times, polls and timeouts (the system clock when left out). */
  clock?: Clock;
}

interface Job {
  info: JobInfo;
  /** Resent before resuming after a lost connection: the printer may have reset. */
  prelude: Buffer;
  chunks: Buffer[];
}

export class EscPosPrinter implements PrinterPort {
  readonly kind: PrinterKind;
  readonly widthDots: number;
  protected readonly transport: PrinterTransport;
  private readonly events = new EventEmitter();
  private readonly pollIntervalMs: number;
  private readonly stallNoticeMs: number;
  private readonly clock: Clock;
  private readonly closing = new AbortController();
  private opened: Promise<void> | undefined;
  private jobQueue: Promise<unknown> = Promise.resolve();
  private transportLock: Promise<unknown> = Promise.resolve();
  private activeJob: JobInfo | undefined;
  private pendingWrites = 0;
  private lastStatus: PrinterStatus | undefined;
  private lastEmitted: { state: string; detail: string } | undefined;

  constructor(kind: PrinterKind, widthDots: number, transport: PrinterTransport, options: EscPosPrinterOptions = {}) {
    if (!Number.isInteger(widthDots) || widthDots < PRINTER_MIN_WIDTH_DOTS || widthDots > PRINTER_MAX_WIDTH_DOTS) {
      throw new AppError(
        'printer_width_invalid',
        `Printer width must be ${PRINTER_MIN_WIDTH_DOTS}…${PRINTER_MAX_WIDTH_DOTS} dots (576 for 80 mm, 384 for 58 mm paper), got ${widthDots}.`,
      );
    }
    this.kind = kind;
    this.widthDots = widthDots;
    this.transport = transport;
    this.pollIntervalMs = options.statusPollIntervalMs ?? STATUS_POLL_INTERVAL_MS;
    this.stallNoticeMs = options.writeStallNoticeMs ?? WRITE_STALL_NOTICE_MS;
    this.clock = options.clock ?? systemClock;
  }

  on(event: 'status', listener: StatusListener): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: 'status', listener: StatusListener): this {
    this.events.off(event, listener);
    return this;
  }

  async ready(): Promise<void> {
    this.throwIfClosed();
    this.opened ??= this.transport.open();
    await this.opened;
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await this.transport.close();
    await this.jobQueue.catch(() => {});
  }

  async status(): Promise<PrinterStatus> {
    if (this.closing.signal.aborted) return this.makeStatus('offline', 'The printer port is closed.');
    // A running job polls all the time; asking again would queue behind its band writes.
    // Same while a write abandoned by an aborted job still waits for the printer to take it.
    if ((this.activeJob || this.pendingWrites > 0) && this.lastStatus) return this.lastStatus;
    await this.ready();
    const { status } = await this.exclusive(() => this.probe(0));
    this.publish(status);
    return status;
  }

  /** Print-ready ESC/POS raster bands by photo id, rendered ahead (issue #16: scan → print). */
  private readonly rasters = new RasterCache<Buffer[]>();

  async prerender(key: string, image: Buffer): Promise<void> {
    await this.rasters.getOrRender(key, () => this.#bands(image));
  }

  async #bands(image: Buffer): Promise<Buffer[]> {
    const photo = await renderPhoto(image, this.widthDots);
    return encodeRasterBands(photo.bits, photo.width, photo.height);
  }

  isPrerendered(key: string): boolean {
    return this.rasters.has(key);
  }

  async printPhoto(image: Buffer, opts: PrintOptions & { label?: string } = {}): Promise<void> {
    this.throwIfClosed();
    // A second copy, a reprint, or a photo rendered ahead (or being rendered) is not decoded again.
    const bands =
      opts.renderKey === undefined
        ? await this.#bands(image)
        : await this.rasters.getOrRender(opts.renderKey, () => this.#bands(image));
    const trailer = new EscPosBuilder();
    if (opts.label) trailer.line(opts.label);
    trailer.feed(PHOTO_TRAILER_FEED_LINES).cut(true);
    const label = opts.label ?? 'photo';
    const job: Job = {
      info: {
        kind: 'photo',
        jobId: opts.jobId,
        label,
        description: opts.label ? `photo "${opts.label}"` : 'a photo',
      },
      prelude: new EscPosBuilder().initialize().align('center').bytes(),
      chunks: [...bands, trailer.bytes()],
    };
    await this.enqueue(job, opts.signal);
  }

  async printReceipt(info: ReceiptInfo, opts: PrintOptions = {}): Promise<void> {
    this.throwIfClosed();
    const job: Job = {
      info: {
        kind: 'receipt',
        jobId: opts.jobId,
        label: `receipt-${info.orderCode}`,
        description: `the receipt for order ${info.orderCode}`,
      },
      prelude: new EscPosBuilder().initialize().bytes(),
      chunks: [appendReceipt(new EscPosBuilder(), info, this.widthDots).bytes()],
    };
    await this.enqueue(job, opts.signal);
  }

  private enqueue(job: Job, signal: AbortSignal | undefined): Promise<void> {
    const run = this.jobQueue.then(() => this.runJob(job, signal));
    this.jobQueue = run.catch(() => {});
    return run;
  }

  private async runJob(job: Job, signal: AbortSignal | undefined): Promise<void> {
    let next = 0;
    const progress = (): JobProgress => ({ jobId: job.info.jobId, sentParts: next, totalParts: job.chunks.length });
    this.throwIfStopped(signal, progress());
    await this.ready();
    this.activeJob = job.info;
    let finalStatus: PrinterStatus | undefined;
    try {
      await this.transport.beginJob?.(job.info);
      let needPrelude = true;
      let awaitingConfirmation = false;
      let strays = 0;
      for (;;) {
        this.throwIfStopped(signal, progress());
        const probe = await raceStop(
          this.exclusive(() => this.probe(strays)),
          this.stopSignals(signal),
          () => this.stopError(signal, progress()),
        );
        strays = 0;
        if (awaitingConfirmation) {
          awaitingConfirmation = false;
          if (probe.answered) next++;
          else needPrelude = true;
        }
        if (next >= job.chunks.length) {
          finalStatus = probe.status;
          break;
        }
        this.publish(probe.status);
        // Offline may mean a lost connection or a restarted printer: restore its settings first.
        if (probe.status.state === 'offline') needPrelude = true;
        if (probe.status.state !== 'printing') {
          await this.sleep(this.pollIntervalMs, signal, progress());
          continue;
        }
        const bytes = needPrelude ? Buffer.concat([job.prelude, job.chunks[next]!]) : job.chunks[next]!;
        try {
          await this.writeWatched(bytes, signal, progress());
        } catch (err) {
          this.throwIfStopped(signal, progress());
          needPrelude = true;
          this.publish(this.makeStatus('offline', this.unreachable(`sending to the printer failed: ${errText(err)}`)));
          await this.sleep(this.pollIntervalMs, signal, progress());
          continue;
        }
        needPrelude = false;
        awaitingConfirmation = true;
        strays = countEmbeddedStatusQueries(bytes);
      }
      await this.transport.endJob?.(job.info);
    } finally {
      this.activeJob = undefined;
    }
    if (finalStatus?.state === 'printing') {
      const nearEnd = finalStatus.paperNearEnd ? NEAR_END_NOTE : '';
      this.publish({ ...finalStatus, state: 'ready', detail: `Ready.${nearEnd}` });
    } else if (finalStatus) {
      this.publish(finalStatus);
    }
  }

  private probe(strays: number): Promise<StatusProbe> {
    return probeStatus((request, skip) => this.transport.query(request, skip), {
      strays,
      jobDescription: this.activeJob?.description,
      unreachable: () => this.unreachable('no answer to a status query'),
      clock: this.clock,
    });
  }

  private async writeWatched(bytes: Buffer, signal: AbortSignal | undefined, progress: JobProgress): Promise<void> {
    const stall = this.clock.setTimeout(() => {
      this.publish(
        this.makeStatus(
          'offline',
          `The printer has not taken data for ${Math.round(this.stallNoticeMs / 1000)} s: check paper, cover and error lights; the job continues when it does.`,
        ),
      );
    }, this.stallNoticeMs);
    try {
      this.pendingWrites++;
      const write = this.exclusive(() => this.transport.write(bytes)).finally(() => {
        this.pendingWrites--;
      });
      await raceStop(write, this.stopSignals(signal), () => this.stopError(signal, progress));
    } finally {
      stall.cancel();
    }
  }

  private publish(status: PrinterStatus): void {
    this.lastStatus = status;
    const key = { state: status.state, detail: status.detail };
    if (this.lastEmitted?.state === key.state && this.lastEmitted.detail === key.detail) return;
    this.lastEmitted = key;
    this.events.emit('status', status);
  }

  private makeStatus(state: PrinterStatus['state'], detail: string): PrinterStatus {
    return { state, detail, checkedAt: this.clock.now() };
  }

  private unreachable(fallback: string): string {
    const reason = this.transport.unavailableReason?.() ?? fallback;
    return `The printer cannot be reached (${reason}): check power and cable; printing continues when it is back.`;
  }

  /** Serialises device access: a query must not interleave with another query or a band. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.transportLock.then(fn);
    this.transportLock = run.catch(() => {});
    return run;
  }

  private stopSignals(signal: AbortSignal | undefined): AbortSignal[] {
    return signal ? [signal, this.closing.signal] : [this.closing.signal];
  }

  private stopError(signal: AbortSignal | undefined, progress: JobProgress): AppError {
    if (this.closing.signal.aborted) {
      return new AppError('printer_closed', 'The printer port was closed before the job finished.', progress);
    }
    const reason = signal?.reason instanceof Error ? `: ${signal.reason.message}` : '';
    return new AppError(
      'print_aborted',
      `The print job was cancelled${reason}; ${progress.sentParts} of ${progress.totalParts} parts had been sent.`,
      progress,
    );
  }

  private throwIfStopped(signal: AbortSignal | undefined, progress: JobProgress): void {
    if (this.closing.signal.aborted || signal?.aborted) throw this.stopError(signal, progress);
  }

  private throwIfClosed(): void {
    if (this.closing.signal.aborted) throw new AppError('printer_closed', 'The printer port is closed.');
  }

  private sleep(ms: number, signal: AbortSignal | undefined, progress: JobProgress): Promise<void> {
    const signals = this.stopSignals(signal);
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        timer.cancel();
        for (const s of signals) s.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(this.stopError(signal, progress));
      };
      const timer = this.clock.setTimeout(() => {
        done();
        resolve();
      }, ms);
      for (const s of signals) {
        if (s.aborted) return onAbort();
        s.addEventListener('abort', onAbort, { once: true });
      }
    });
  }
}

type JobProgress = { jobId: string | undefined; sentParts: number; totalParts: number };

/** Settles like `work`, unless one of the signals aborts first (then rejects with makeError()). */
function raceStop<T>(work: Promise<T>, signals: AbortSignal[], makeError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      cleanup();
      reject(makeError());
    };
    const cleanup = () => {
      for (const s of signals) s.removeEventListener('abort', onAbort);
    };
    for (const s of signals) {
      if (s.aborted) return onAbort();
      s.addEventListener('abort', onAbort, { once: true });
    }
    work.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (err: unknown) => {
        cleanup();
        reject(err);
      },
    );
  });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
