/**
 * One IPP photo printer of a station: its health (polled), its counters, and the job operations the
 * station pool needs. The pool decides; this class only asks and tells the printer.
 */
import { EventEmitter } from 'node:events';
import sharp from 'sharp';
import {
  lowRollAlert,
  printsLeft,
  type StationPrinterView,
  updatePrintTime,
} from '../../../shared/policy/station-dispatch.ts';
import type { Clock } from '../../../shared/ports/clock.ts';
import { DEFAULT_PHOTO_DPI, type RenderedPhoto } from '../photo-render.ts';
import { encodePwgRaster } from '../pwg-raster.ts';
import { IppClient, IppError, JobState, type JobSummary } from './client.ts';
import { attr } from './encoding.ts';
import { healthFrom, type MediaSize, type PrinterHealth, parseMediaName, unreachableHealth } from './printer-health.ts';

/** Without a measurement yet, a dye-sublimation print of 4×6 takes about this long. */
export const DEFAULT_SECONDS_PER_PRINT = 12;
/**
 * A stopped CUPS queue keeps the reasons its backend reported last (e.g. media-empty) until it runs
 * again, so a queue that stopped itself is resumed this often to let the backend look again; if the
 * printer is still empty, the backend stops the queue again and nothing prints.
 */
export const DEFAULT_RESUME_RETRY_MS = 5_000;
/** Warn when this many prints or fewer are left on a roll (configurable per printer). */
export const DEFAULT_LOW_ROLL_PRINTS = 40;

export interface IppPhotoPrinterConfig {
  name: string;
  uri: string;
  /** PWG media name, e.g. na_index-4x6_4x6in. */
  media: string;
  fit: 'fill' | 'fit';
  /** What the kiosk tells the fan ("take your prints from the left printer"). */
  tray?: string;
  /** Prints on a full roll (DS620 4×6: 400), for counting prints left when the printer does not say. */
  rollPrints?: number;
  lowRollPrints?: number;
  /** Configured seconds per print by media, used until one is measured. */
  secondsPerPrint?: number;
  dpi?: number;
  /** Jobs sent to this printer at once (defaultQueueDepth(uri) when not set). */
  queueDepth?: number;
}

/**
 * A CUPS queue holds jobs in its scheduler: some are sent ahead so the next print starts at once and
 * a code is accepted at once even while another printer of the station is out (bench:print: 4 ahead
 * left units waiting for room during a 20 s outage at full arrival rate, p99 10.5 s; 8 took them all,
 * p99 322 ms). Eight dye-sub prints are about 80 s of work; a failed printer's queued jobs move.
 */
export const CUPS_QUEUE_DEPTH = 8;
/** An IPP Everywhere printer (ippeveprinter, most network photo printers) takes one job at a time. */
export const DIRECT_PRINTER_QUEUE_DEPTH = 1;

export function defaultQueueDepth(uri: string): number {
  return /\/printers\/[^/]+\/?$/.test(new URL(uri.replace(/^ipps?:/, 'http:')).pathname)
    ? CUPS_QUEUE_DEPTH
    : DIRECT_PRINTER_QUEUE_DEPTH;
}

export interface PrinterReport {
  name: string;
  uri: string;
  model: string;
  media: string;
  tray: string;
  state: PrinterHealth['state'];
  detail: string;
  canPrint: boolean;
  busy: boolean;
  printsLeft: number | null;
  lowRoll: boolean;
  printsToday: number;
  failures: number;
  secondsPerPrint: number;
  measuredSecondsPerPrint: number | null;
}

export class IppPhotoPrinter extends EventEmitter {
  readonly config: IppPhotoPrinterConfig;
  readonly client: IppClient;
  readonly mediaSize: MediaSize;
  health: PrinterHealth;
  /** Units sent to this printer whose jobs have not ended. */
  inFlight = 0;
  readonly queueDepth: number;
  unitsSent = 0;
  printsToday = 0;
  failures = 0;
  printedSinceLoad = 0;
  measuredSecondsPerPrint: number | null = null;
  readonly #clock: Clock;
  readonly #resumeRetryMs: number;
  #lastResumeAt = Number.NEGATIVE_INFINITY;
  /** A queued job starts printing when the one before it ends: print time is measured from then. */
  #lastCompletedAt = Number.NEGATIVE_INFINITY;
  /** Resumed after stopping itself, not yet shown to print again: one job at a time until it does. */
  #probing = false;
  /** The printer said it was out of paper since the roll count started: once it prints again, the roll is new. */
  #rollRanOut = false;
  resumes = 0;

  constructor(
    config: IppPhotoPrinterConfig,
    clock: Clock,
    timeoutMs?: number,
    resumeRetryMs = DEFAULT_RESUME_RETRY_MS,
  ) {
    super();
    this.config = config;
    this.#clock = clock;
    this.#resumeRetryMs = resumeRetryMs;
    this.client = new IppClient({ uri: config.uri, clock, timeoutMs });
    const size = parseMediaName(config.media);
    if (!size) throw new IppError('printer_media_invalid', `Media "${config.media}" is not a PWG media name.`);
    this.mediaSize = size;
    this.queueDepth = config.queueDepth ?? defaultQueueDepth(config.uri);
    this.health = unreachableHealth(config.name, 'not asked yet');
  }

  get name(): string {
    return this.config.name;
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  get secondsPerPrint(): number {
    return this.measuredSecondsPerPrint ?? this.config.secondsPerPrint ?? DEFAULT_SECONDS_PER_PRINT;
  }

  get printsLeft(): number | null {
    return printsLeft({
      markerPercent: this.health.markerPercent,
      rollPrints: this.config.rollPrints ?? null,
      printedSinceLoad: this.printedSinceLoad,
    });
  }

  /** Asks the printer; resumes a CUPS queue that stopped itself once nothing blocks it any more. */
  async refresh(): Promise<PrinterHealth> {
    let next: PrinterHealth;
    try {
      const attributes = await this.client.getPrinterAttributes();
      next = healthFrom(attributes, this.name, this.config.media);
      const now = this.#clock.now();
      if (next.stopped) this.#probing = false;
      if (next.stopped && (next.stoppedButClear || now - this.#lastResumeAt >= this.#resumeRetryMs)) {
        this.#lastResumeAt = now;
        this.resumes++;
        await this.client.resumePrinter();
        next = healthFrom(await this.client.getPrinterAttributes(), this.name, this.config.media);
        this.#probing = !next.stopped;
      }
      // The backend's reasons outlive the stop: only a job tells whether paper is back. One unit is
      // sent as the probe; if the queue stops again, that unit is cancelled and moved (never printed
      // twice), and the next resume tries again.
      if (this.#probing && !next.stopped && next.blockedByReason) {
        next = {
          ...next,
          canPrint: true,
          state: 'ready',
          detail: `Printer ${this.name} was resumed; its next print shows whether it can print again.`,
        };
      }
    } catch (err) {
      if (!(err instanceof IppError)) throw err;
      next = unreachableHealth(this.name, err.message);
    }
    if (next.state === 'paper_out') this.#rollRanOut = true;
    else if (this.#rollRanOut && next.canPrint && !this.#probing) this.#newRoll();
    const changed = next.state !== this.health.state || next.detail !== this.health.detail;
    this.health = next;
    if (changed) this.emit('health', next);
    return next;
  }

  view(): StationPrinterView {
    return {
      id: this.name,
      canPrint: this.health.canPrint,
      busy: this.busy,
      inFlight: this.inFlight,
      queueDepth: this.#probing ? 1 : this.queueDepth,
      printsLeft: this.printsLeft,
      secondsPerPrint: this.secondsPerPrint,
      unitsSent: this.unitsSent,
    };
  }

  /** Sends one rendered unit; the job name is the unit id, so a restart finds it with Get-Jobs. */
  async submit(unitId: string, doc: RenderedPhoto): Promise<JobSummary> {
    const job = {
      media: attr.keyword(this.config.media),
      'print-color-mode': attr.keyword('color'),
      copies: attr.integer(1),
    };
    this.unitsSent++;
    const formats = this.health.documentFormats;
    if (formats.length > 0 && !formats.includes('image/jpeg') && formats.includes('image/pwg-raster')) {
      const { data, info } = await sharp(doc.data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const raster = encodePwgRaster({
        width: info.width,
        height: info.height,
        dpi: this.config.dpi ?? DEFAULT_PHOTO_DPI,
        rgb: data,
        pageSizeName: this.config.media,
      });
      return this.client.printJob(raster, { jobName: unitId, format: 'image/pwg-raster', job });
    }
    return this.client.printJob(doc.data, { jobName: unitId, format: doc.format, job });
  }

  /** The printer's jobs for this unit (newest first), printed or not. */
  async jobsFor(unitId: string): Promise<JobSummary[]> {
    const [done, open] = await Promise.all([this.client.getJobs('completed'), this.client.getJobs('not-completed')]);
    return [...open, ...done].filter((j) => j.name === unitId).sort((a, b) => b.id - a.id);
  }

  /** True while the next job is the one that shows whether a resumed queue can print again. */
  get probing(): boolean {
    return this.#probing;
  }

  /**
   * An operator loaded a new roll: count prints left from a full roll again, and look at a queue that
   * stopped for lack of paper now instead of at its next retry.
   */
  async rollLoaded(): Promise<PrinterHealth> {
    this.#newRoll();
    this.#lastResumeAt = Number.NEGATIVE_INFINITY;
    return this.refresh();
  }

  #newRoll(): void {
    this.#rollRanOut = false;
    this.printedSinceLoad = 0;
  }

  recordCompleted(sentAt: number): void {
    // A resumed queue's first print after running out of paper shows a new roll is in.
    if (this.#rollRanOut) this.#newRoll();
    this.printsToday++;
    this.printedSinceLoad++;
    this.#probing = false;
    const now = this.#clock.now();
    const seconds = (now - Math.max(sentAt, this.#lastCompletedAt)) / 1000;
    this.#lastCompletedAt = now;
    this.measuredSecondsPerPrint = updatePrintTime(this.measuredSecondsPerPrint, seconds);
  }

  report(): PrinterReport {
    const left = this.printsLeft;
    return {
      name: this.name,
      uri: this.config.uri,
      model: this.health.model,
      media: this.config.media,
      tray: this.config.tray ?? this.name,
      state: this.health.state,
      detail: this.health.detail,
      canPrint: this.health.canPrint,
      busy: this.busy,
      printsLeft: left,
      lowRoll: lowRollAlert(left, this.config.lowRollPrints ?? DEFAULT_LOW_ROLL_PRINTS),
      printsToday: this.printsToday,
      failures: this.failures,
      secondsPerPrint: this.secondsPerPrint,
      measuredSecondsPerPrint: this.measuredSecondsPerPrint,
    };
  }

  close(): void {
    this.client.close();
  }
}

export function jobPhase(state: number): 'pending' | 'processing' | 'completed' | 'canceled' | 'aborted' {
  if (state === JobState.completed) return 'completed';
  if (state === JobState.canceled) return 'canceled';
  if (state === JobState.aborted) return 'aborted';
  if (state === JobState.processing || state === JobState.processingStopped) return 'processing';
  return 'pending';
}
