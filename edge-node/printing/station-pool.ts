/**
 * A print station as one printer port: 1..N IPP photo printers plus an optional receipt printer.
 * Each unit (job id = unit id) goes to a free, healthy photo printer, is confirmed only when that
 * printer reports the job `completed`, and moves to another printer when its job aborts or is
 * cancelled on a printer that cannot print: never before the printer confirms the job did not print,
 * so no unit prints twice. After a crash, a unit the printers already know (by job name) is watched
 * or confirmed, not sent again. Decisions come from shared/policy/station-dispatch.ts.
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { AppError } from '../../shared/errors.ts';
import { choosePrinter, estimatedWaitSeconds, stationAvailability } from '../../shared/policy/station-dispatch.ts';
import { systemClock, type Timer } from '../../shared/ports/clock.ts';
import { IppError } from './ipp/client.ts';
import { IppPhotoPrinter, jobPhase, type PrinterReport } from './ipp/ipp-photo-printer.ts';
import type { RenderedPhoto } from './photo-render.ts';
import type { PrinterPort, PrinterStatus, PrintOptions, ReceiptInfo } from './port.ts';
import { type FollowTiming, followJob } from './station-job-follow.ts';
import { jobToRebalance } from './station-rebalance.ts';
import { mediaKeyOf, STATION_PRERENDER_PHOTOS, StationRenders } from './station-renders.ts';
import { stationStatus } from './station-status.ts';
import type {
  JobInFlight,
  JobOutcome,
  StationCounters,
  StationEvents,
  StationOptions,
  UnitPlaced,
} from './station-types.ts';
import { StationWaiters } from './station-waiters.ts';

/** How often printers are asked for their state and a job in flight for its state. */
export const STATION_POLL_MS = 1_000;
/** A job on a printer that cannot print is cancelled (and its unit moved) after this long. */
export const STALL_GRACE_MS = 5_000;
/** IPP server-error-busy: the printer takes no more jobs now (one at a time, or its queue is full). */
const STATUS_BUSY = 0x0507;

export type { StationCounters, StationEvents, StationOptions, UnitPlaced } from './station-types.ts';

export class StationPool implements PrinterPort {
  readonly #events = new EventEmitter();
  readonly kind = 'ipp' as const;
  readonly widthDots: number;
  readonly printers: IppPhotoPrinter[];
  readonly counters: StationCounters = { unitsCompleted: 0, failoverMoved: 0, recoveredCompleted: 0, rebalanced: 0 };
  readonly #receipt: PrinterPort | undefined;
  readonly #timing: FollowTiming;
  readonly #closing = new AbortController();
  readonly #waiters = new StationWaiters();
  #poller: Timer | null = null;
  #polling = false;
  #status: PrinterStatus;
  #opened: Promise<void> | null = null;
  /** Units handed in and waiting for a free printer. */
  #unitsWaiting = 0;
  /** Every job being watched, by unit id. */
  readonly #jobs = new Map<string, JobInFlight>();
  readonly #renders = new StationRenders();

  constructor(opts: StationOptions) {
    if (opts.printers.length === 0)
      throw new AppError('station_empty', 'A print station needs at least one photo printer.');
    this.#timing = {
      clock: opts.clock ?? systemClock,
      pollMs: opts.pollMs ?? STATION_POLL_MS,
      stallGraceMs: opts.stallGraceMs ?? STALL_GRACE_MS,
    };
    this.#receipt = opts.receipt;
    this.widthDots = opts.receipt?.widthDots ?? 0;
    this.printers = opts.printers.map(
      (c) => new IppPhotoPrinter(c, this.#timing.clock, opts.requestTimeoutMs, opts.resumeRetryMs),
    );
    for (const p of this.printers) p.on('health', () => this.#onChange());
    // Every unit waiting for a printer listens on the closing signal (and drops it when it gets one).
    setMaxListeners(0, this.#closing.signal);
    this.#status = { state: 'offline', detail: 'The print station has not asked its printers yet.', checkedAt: 0 };
  }

  ready(): Promise<void> {
    this.#opened ??= (async () => {
      await this.#receipt?.ready();
      await this.#pollAll();
      this.#poller = this.#timing.clock.setInterval(() => void this.#pollAll(), this.#timing.pollMs).unref();
    })();
    return this.#opened;
  }

  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new AppError('printer_closed', 'The print station was closed before the job finished.'));
    this.#poller?.cancel();
    this.#waiters.wakeAll();
    for (const p of this.printers) p.close();
    await this.#receipt?.close();
  }

  /** Every place in the printers' queues: an order's units go side by side onto the printers. */
  get unitConcurrency(): number {
    return this.printers.reduce((n, p) => n + p.queueDepth, 0);
  }

  async status(): Promise<PrinterStatus> {
    return this.#status;
  }

  report(): {
    printers: PrinterReport[];
    counters: StationCounters;
    canTakeCodes: boolean;
    unitsWaiting: number;
    estimatedWaitSeconds: number | null;
  } {
    const views = this.printers.map((p) => p.view());
    return {
      printers: this.printers.map((p) => p.report()),
      counters: { ...this.counters },
      canTakeCodes: stationAvailability(views).canTakeCodes,
      unitsWaiting: this.#unitsWaiting,
      estimatedWaitSeconds: estimatedWaitSeconds(views, this.#unitsWaiting),
    };
  }

  /** Photos kept rendered for the station's media ahead of their redemption (PreRenderer's maxPhotos). */
  get prerenderCapacity(): number {
    return STATION_PRERENDER_PHOTOS;
  }

  /** Renders a photo for every media the station's printers take, ahead of its redemption (issue #16). */
  prerender(key: string, image: Buffer): Promise<void> {
    return this.#renders.prerender(key, image, this.printers);
  }

  isPrerendered(key: string): boolean {
    return this.#renders.isPrerendered(key, this.printers);
  }

  /** An operator loaded a new roll into printer `name` (IppPhotoPrinter.rollLoaded); answers its report. */
  async rollLoaded(name: string): Promise<PrinterReport> {
    const printer = this.printers.find((p) => p.name === name);
    if (!printer) {
      throw new AppError(
        'station_printer_unknown',
        `This station has no photo printer "${name}"; its printers are ${this.printers.map((p) => `"${p.name}"`).join(', ')}.`,
      );
    }
    await printer.rollLoaded();
    this.#onChange();
    return printer.report();
  }

  async printReceipt(info: ReceiptInfo, opts?: PrintOptions): Promise<void> {
    // A photo-only station has no receipt printer: the kiosk screen is the receipt.
    await this.#receipt?.printReceipt(info, opts);
  }

  /**
   * Prints one unit; resolves when a printer reports its job completed. `jobId` names the unit across
   * restarts: pass the same id again after a crash and the unit is never printed twice.
   */
  async printPhoto(image: Buffer, opts: PrintOptions & { label?: string } = {}): Promise<void> {
    await this.ready();
    const unitId = opts.jobId ?? `unit-${this.#timing.clock.now()}`;
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.#closing.signal]) : this.#closing.signal;
    if (await this.#recover(unitId, signal, opts.onPlaced)) return;
    // Rendered once per unit and media, before a printer is taken, so no printer idles while it renders.
    const renders = new Map<string, Promise<RenderedPhoto>>();
    const render = (p: IppPhotoPrinter): Promise<RenderedPhoto> => {
      const key = mediaKeyOf(p);
      let r = renders.get(key);
      if (!r) {
        r = this.#renders.rendered(image, p, opts.renderKey);
        renders.set(key, r);
      }
      return r;
    };
    await render(this.printers[0]!);
    for (;;) {
      this.#unitsWaiting++;
      let printer: IppPhotoPrinter;
      try {
        printer = await this.#acquire(signal);
      } finally {
        this.#unitsWaiting--;
      }
      try {
        const doc = await render(printer);
        let job: { id: number };
        try {
          job = await printer.submit(unitId, doc);
        } catch (err) {
          if (!(err instanceof IppError)) throw err;
          // Not sent (refused or unreachable): nothing can print, so it is safe to try elsewhere.
          if (err.details?.statusCode !== STATUS_BUSY) {
            printer.failures++;
            await printer.refresh();
          }
          await this.#timing.clock.sleep(this.#timing.pollMs, signal);
          continue;
        }
        const placed: UnitPlaced = {
          unitId,
          printer: printer.name,
          tray: printer.config.tray ?? printer.name,
          ippJobId: job.id,
        };
        // A probe's failure is the printer still being empty, not a failed print.
        const probe = printer.probing;
        this.#emit('accepted', placed);
        opts.onPlaced?.({ printer: placed.printer, tray: placed.tray });
        const outcome = await this.#watch(printer, unitId, job.id, signal);
        if (outcome === 'printed') {
          this.counters.unitsCompleted++;
          this.#emit('printed', placed);
          return;
        }
        if (outcome === 'rebalanced') this.counters.rebalanced++;
        else {
          if (!probe) printer.failures++;
          this.counters.failoverMoved++;
        }
        this.#emit('moved', placed);
      } finally {
        printer.inFlight--;
        this.#onChange();
      }
    }
  }

  /** A unit a printer already has: true if it completed (now or while watched), false to send it. */
  async #recover(unitId: string, signal: AbortSignal, onPlaced: PrintOptions['onPlaced']): Promise<boolean> {
    for (const printer of this.printers) {
      let jobs: Awaited<ReturnType<IppPhotoPrinter['jobsFor']>>;
      try {
        jobs = await printer.jobsFor(unitId);
      } catch (err) {
        if (!(err instanceof IppError)) throw err;
        continue;
      }
      const tray = printer.config.tray ?? printer.name;
      if (jobs.length > 0) onPlaced?.({ printer: printer.name, tray });
      if (jobs.some((j) => jobPhase(j.state) === 'completed')) {
        this.counters.recoveredCompleted++;
        this.#emit('printed', {
          unitId,
          printer: printer.name,
          tray,
          ippJobId: jobs[0]!.id,
        });
        return true;
      }
      const open = jobs.find((j) => jobPhase(j.state) === 'pending' || jobPhase(j.state) === 'processing');
      if (!open) continue;
      while (printer.inFlight >= printer.queueDepth) await this.#waiters.wait(signal);
      printer.inFlight++;
      try {
        if ((await this.#watch(printer, unitId, open.id, signal)) === 'printed') {
          this.counters.recoveredCompleted++;
          this.#emit('printed', {
            unitId,
            printer: printer.name,
            tray,
            ippJobId: open.id,
          });
          return true;
        }
      } finally {
        printer.inFlight--;
        this.#onChange();
      }
    }
    return false;
  }

  /** Follows one job to its end: printed, or known not to have printed (and why). */
  async #watch(printer: IppPhotoPrinter, unitId: string, jobId: number, signal: AbortSignal): Promise<JobOutcome> {
    const entry: JobInFlight = { printer, jobId, phase: 'pending', move: 'none' };
    this.#jobs.set(unitId, entry);
    try {
      return await followJob(entry, unitId, signal, this.#timing);
    } finally {
      this.#jobs.delete(unitId);
    }
  }

  /** Waits for a healthy printer with room in its queue and takes a place in it. */
  async #acquire(signal: AbortSignal): Promise<IppPhotoPrinter> {
    for (;;) {
      signal.throwIfAborted();
      const id = choosePrinter(this.printers.map((p) => p.view()));
      const printer = id === null ? undefined : this.printers.find((p) => p.name === id);
      if (printer) {
        printer.inFlight++;
        this.#onChange();
        return printer;
      }
      await this.#waiters.wait(signal);
    }
  }

  async #pollAll(): Promise<void> {
    if (this.#polling || this.#closing.signal.aborted) return;
    this.#polling = true;
    try {
      await Promise.all(this.printers.map((p) => p.refresh()));
    } finally {
      this.#polling = false;
    }
    this.#rebalance();
    this.#onChange();
  }

  /** Moves the newest pending job of a long queue to a printer with nothing to do (one at a time). */
  #rebalance(): void {
    const newest = jobToRebalance(this.printers, [...this.#jobs.values()], this.#unitsWaiting);
    if (newest) {
      newest.move = 'requested';
    }
  }

  #onChange(): void {
    const next = stationStatus(this.printers, this.#timing.clock.now());
    if (next.state !== this.#status.state || next.detail !== this.#status.detail) {
      this.#status = next;
      this.#emit('status', next);
    } else this.#status = next;
    // A printer became free or its health changed: every waiting unit looks again.
    this.#waiters.wakeAll();
  }

  on<E extends keyof StationEvents>(event: E, listener: (...args: StationEvents[E]) => void): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof StationEvents>(event: E, listener: (...args: StationEvents[E]) => void): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  #emit<E extends keyof StationEvents>(event: E, ...args: StationEvents[E]): void {
    this.#events.emit(event, ...args);
  }
}
