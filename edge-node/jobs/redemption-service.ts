import { AppError } from '../../shared/errors.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { PrintUnitJob, RedeemJob } from '../../shared/protocol/printer-api.ts';
import { normalizeRedemptionCode } from '../../shared/token/redemption-token.ts';
import { type CoordinatorClient, CoordinatorError } from '../coordinator-client.ts';
import type { EventReplica } from '../mesh/event-replica.ts';
import type { ImageFetcher } from '../mesh/image-fetcher.ts';
import type { OfflinePath } from '../offline/offline-path.ts';
import type { PrinterPort, ReceiptPayment } from '../printing/port.ts';
import { framedPhoto, loggedUnits } from './framed-units.ts';
import type { JobLog, OrderProgress } from './job-log.ts';
import { orderReceipt } from './order-receipt.ts';
import { confirmPrint, confirmPrintedBefore, retryUnconfirmed } from './print-confirmations.ts';
import { nextToPrint } from './print-order.ts';
import { claimOrder, readCode } from './redemption-claim.ts';
import {
  newProgress,
  type ProgressError,
  progressError,
  type RedemptionProgress,
  sourceState,
} from './redemption-progress.ts';
import { CONFIRM_RETRY_MS } from './redemption-timing.ts';
import { loadUnitImage, type UnitImageDeps } from './unit-image.ts';

export type { ProgressError, RedemptionProgress, UnitProgress, UnitState } from './redemption-progress.ts';
export { progressError } from './redemption-progress.ts';

export type RedemptionLogger = StructuredLogger;

/**
 * Where a redemption's time goes (issue #16: scan → print): `claim` from the code to the claim in the
 * job log; per photo, `image` from the order's start until its bytes are here; per unit, `print`
 * handing it to the printer (rendering included unless it was rendered ahead, and the job-log records
 * around it); `receipt` the receipt and the closing record.
 */
export type RedemptionStage = 'claim' | 'image' | 'print' | 'receipt';

export interface RedemptionServiceOptions {
  client: CoordinatorClient;
  tokenKeys: () => ReadonlyMap<number, Uint8Array>;
  clock: Clock;
  log: JobLog;
  replicaFor: (eventId: string, job?: RedeemJob) => Promise<EventReplica | null>;
  fetcher: ImageFetcher;
  printer: PrinterPort;
  venueName: () => string;
  /** The event's name for the receipt (null: not known here). */
  eventName?: (eventId: string) => string | null;
  printerName: () => string;
  logger: RedemptionLogger;
  /** A kiosk sale's payment lines for the receipt of `orderId` (issue #13); null: an ordinary order. */
  receiptPayment?: (orderId: string) => ReceiptPayment | null;
  /** Offline redemption (issue #6); without it, a code is refused when the cloud is unreachable. */
  offline?: OfflinePath;
  /**
   * Starts work that a scanned order will need (rendering its local photos) while its claim is on the
   * way; never awaited by the redemption, and its failures are only logged.
   */
  warmUp?: (orderCode: string) => Promise<unknown>;
  /** Hears how long each stage of a redemption took (the node's metrics). */
  onStage?: (stage: RedemptionStage, ms: number) => void;
  /** Hears, per photo print, whether it was rendered ahead or renders on the fan's wait. */
  onPrintRender?: (when: 'ahead' | 'at_print') => void;
}

/**
 * The redemption flow at a printer: the fan's code is verified offline, the order is claimed at the
 * coordinator (exactly once across printers), images already local print at once, missing ones are
 * fetched at top priority, each unit prints as soon as its image is whole (in order where possible),
 * and is confirmed to the coordinator after it printed. Every step is in the durable job log first,
 * so after a crash the node resumes where it stopped. Emits 'progress' (RedemptionProgress).
 */
export class RedemptionService extends Resource {
  readonly #o: RedemptionServiceOptions;
  readonly #active = new Map<string, Promise<RedemptionProgress>>();
  readonly #abort = new AbortController();
  #confirmLoop: Promise<void> | null = null;
  #closed = false;

  constructor(opts: RedemptionServiceOptions) {
    super();
    this.#o = opts;
  }

  get queue(): number {
    return this.#active.size;
  }

  /** An order being printed here right now. */
  isActive(orderId: string): boolean {
    return this.#active.has(orderId);
  }

  /** Resumes orders a crash interrupted and starts re-sending unconfirmed prints. */
  protected override async _open(): Promise<void> {
    for (const order of this.#o.log.open()) {
      this.#o.logger.info({ orderId: order.orderId }, 'resuming an order interrupted by a restart');
      void this.#track(order.orderId, this.#resume(order));
    }
    this.#confirmLoop = retryUnconfirmed(this.#o, {
      closed: () => this.#closed,
      printing: (orderId) => this.#active.has(orderId),
      signal: this.#abort.signal,
    });
  }

  /**
   * Reads a scanned or typed code and prints its order. Rejects with a clear AppError for bad codes.
   * `onClaimed` hears the order id as soon as the coordinator granted the claim (its first progress
   * has been emitted by then), so a screen can follow the prints instead of waiting for the last.
   */
  async redeem(code: string, opts: { onClaimed?: (orderId: string) => void } = {}): Promise<RedemptionProgress> {
    const startedAt = this.#o.clock.now();
    const read = readCode(this.#o, code);
    const { orderCode } = read;
    this.#o.warmUp?.(orderCode).catch((err: unknown) => {
      this.#o.logger.info({ err, orderCode }, 'could not render the order ahead; its prints render when printed');
    });
    const { job, offline } = await claimOrder(this.#o, code, read);
    const running = this.#active.get(job.order.id);
    if (running) {
      opts.onClaimed?.(job.order.id);
      return running;
    }
    const local = this.#o.log.get(job.order.id);
    if (!local || local.closed) {
      await this.#o.log.append({
        t: 'claimed',
        orderId: job.order.id,
        code: job.order.code,
        // The coordinator's token (for a typed code, the only one there is): resume redeems with it.
        token: job.token ?? normalizeRedemptionCode(code),
        eventId: job.order.eventId,
        units: loggedUnits(job.units),
        ...(offline ? { offline } : {}),
        at: this.#o.clock.now(),
      });
    }
    // The same code scanned twice at once (a wedge scanner reading a QR twice) got here while the
    // first scan was logging its claim: join that run, or every photo goes to the printer twice.
    const joined = this.#active.get(job.order.id);
    if (joined) {
      opts.onClaimed?.(job.order.id);
      return joined;
    }
    this.#o.onStage?.('claim', this.#o.clock.now() - startedAt);
    const printing = this.#track(job.order.id, this.#print(job));
    opts.onClaimed?.(job.order.id);
    return printing;
  }

  protected override async _close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    await Promise.allSettled([...this.#active.values(), this.#confirmLoop]);
  }

  #track(orderId: string, work: Promise<RedemptionProgress>): Promise<RedemptionProgress> {
    const tracked = work.finally(() => {
      this.#active.delete(orderId);
      // Background work that yields to redemptions (the pre-renderer) may go on now.
      if (this.#active.size === 0) this.emit('idle');
    });
    this.#active.set(orderId, tracked);
    return tracked;
  }

  async #resume(order: OrderProgress): Promise<RedemptionProgress> {
    // Claimed on the LAN with no cloud: the coordinator does not know it yet, the job log has it all.
    if (order.offline && !order.reconciled) return this.#resumeOffline(order);
    // The claim may have expired while we were down: redeeming again renews it (same printer), or
    // tells us another printer took over, in which case printing here would print twice.
    for (;;) {
      try {
        const job = await this.#o.client.redeem(order.token);
        return await this.#print(job);
      } catch (err) {
        if (err instanceof CoordinatorError && err.status >= 400 && err.status < 500) {
          await this.#o.log.append({
            t: 'closed',
            orderId: order.orderId,
            outcome: 'failed',
            reason: err.code,
            at: this.#o.clock.now(),
          });
          this.#o.logger.warn({ orderId: order.orderId, code: err.code }, 'interrupted order not resumed here');
          return { orderId: order.orderId, code: order.code, units: [], done: true, error: progressError(err) };
        }
        if (this.#closed) throw err;
        await this.#o.clock.sleep(CONFIRM_RETRY_MS, this.#abort.signal).catch(() => {});
      }
    }
  }

  async #resumeOffline(order: OrderProgress): Promise<RedemptionProgress> {
    const units: PrintUnitJob[] = order.units.map((u) => ({
      ...u,
      printed: u.printedBefore,
      lacking: false,
      image: null,
    }));
    const progress = newProgress(order.orderId, order.code, units, this.#o.log.get(order.orderId)?.printed);
    this.emit('progress', structuredClone(progress));
    const replica = await this.#o.replicaFor(order.eventId);
    return this.#printUnits(progress, order.eventId, replica, units, null);
  }

  async #print(job: RedeemJob): Promise<RedemptionProgress> {
    const progress = newProgress(job.order.id, job.order.code, job.units, this.#o.log.get(job.order.id)?.printed);
    // Before the feed opens (which can take a moment), so the order is visible from its claim on.
    this.emit('progress', structuredClone(progress));
    const replica = await this.#o.replicaFor(job.order.eventId, job);
    return this.#printUnits(progress, job.order.eventId, replica, job.units, job);
  }

  async #printUnits(
    progress: RedemptionProgress,
    eventId: string,
    replica: EventReplica | null,
    units: PrintUnitJob[],
    job: RedeemJob | null,
  ): Promise<RedemptionProgress> {
    const { log, clock } = this.#o;
    const emit = () => this.emit('progress', structuredClone(progress));
    emit();
    try {
      if (!replica)
        throw new AppError('event_feed_unavailable', `This printer cannot open the feed of event ${eventId}.`);
      const todo = progress.units.filter((u) => u.state !== 'printed');
      // Fetch every distinct missing image at once (they share the on-demand priority); print in order.
      const images = new Map<string, Promise<Buffer>>();
      const imagesFrom = clock.now();
      for (const u of todo) {
        if (images.has(u.imageId)) continue;
        const fromJob = units.find((j) => j.imageId === u.imageId)?.image ?? null;
        const p = loadUnitImage(this.#unitImageDeps(), replica, u.imageId, fromJob, (source) => {
          for (const x of todo) {
            if (x.imageId !== u.imageId) continue;
            x.source = source;
            if (x.state === 'queued' || x.state === 'fetching_lan' || x.state === 'local')
              x.state = sourceState(source);
          }
          emit();
        });
        p.then(() => this.#o.onStage?.('image', clock.now() - imagesFrom)).catch(() => {});
        images.set(u.imageId, p);
      }
      const pending = [...todo];
      const failures: ProgressError[] = [];
      // A station with several printers takes an order's units side by side; one printer, in turn.
      const concurrency = Math.max(1, this.#o.printer.unitConcurrency ?? 1);
      const printing = new Set<Promise<void>>();
      let printFailure: { err: unknown } | null = null;
      while (pending.length > 0 && printFailure === null) {
        if (this.#closed)
          throw new AppError('shutting_down', 'The printer is shutting down; the order resumes on restart.');
        if (printing.size >= concurrency) {
          await Promise.race(printing);
          continue;
        }
        // In order when the next image is ready or nearly so; otherwise whichever image is ready first.
        const photos = pending.map((u) => images.get(u.imageId)!);
        const u = pending.splice(await nextToPrint(clock, photos), 1)[0]!;
        let bytes: Buffer;
        const template = units.find((j) => j.unit === u.unit)?.template;
        try {
          bytes = await images.get(u.imageId)!;
          if (template) bytes = await framedPhoto({ ...this.#o, replica, signal: this.#abort.signal }, template, bytes);
        } catch (err) {
          u.state = 'failed';
          u.detail = (err as Error).message;
          failures.push(progressError(err));
          emit();
          continue;
        }
        u.state = 'printing';
        emit();
        const one: Promise<void> = (async () => {
          const printFrom = clock.now();
          if (!template && this.#o.printer.isPrerendered)
            this.#o.onPrintRender?.(this.#o.printer.isPrerendered(u.imageId) ? 'ahead' : 'at_print');
          await log.append({ t: 'printing', orderId: progress.orderId, unit: u.unit, at: clock.now() });
          await this.#o.printer.printPhoto(bytes, {
            label: `${progress.code} ${u.unit + 1}/${progress.units.length}`,
            signal: this.#abort.signal,
            jobId: `${progress.orderId}-${u.unit}`,
            // A framed unit is not the photo's pre-rendered raster: it is rendered from its composite.
            ...(template ? {} : { renderKey: u.imageId }),
            onPlaced: (where) => {
              u.tray = where.tray;
              emit();
            },
          });
          await log.append({ t: 'printed', orderId: progress.orderId, unit: u.unit, at: clock.now() });
          this.#o.onStage?.('print', clock.now() - printFrom);
          u.state = 'printed';
          emit();
          // The fan does not wait for bookkeeping: the print is durable in the job log, and the
          // confirmation is retried until the coordinator has it.
          void this.#confirm(progress.orderId, u.unit);
        })()
          .catch((err: unknown) => {
            printFailure ??= { err };
          })
          .finally(() => printing.delete(one));
        printing.add(one);
      }
      // Units side by side end together: the first failure (shutdown, abort) is the order's, once
      // none of its units is still being handed to a printer.
      await Promise.all(printing);
      if (printFailure !== null) throw (printFailure as { err: unknown }).err;
      await confirmPrintedBefore(this.#o, progress);
      const failed = progress.units.filter((u) => u.state === 'failed');
      if (failed.length > 0) {
        progress.error = {
          code: failures[0]?.code ?? 'image_unavailable',
          message: `${failed.length} print(s) could not be fetched; redeem the code again to retry them.`,
        };
      } else {
        const receiptFrom = clock.now();
        await this.#o.printer.printReceipt(orderReceipt(this.#o, progress, job, clock.now()), {
          signal: this.#abort.signal,
        });
        await log.append({ t: 'closed', orderId: progress.orderId, outcome: 'done', at: clock.now() });
        this.#o.onStage?.('receipt', clock.now() - receiptFrom);
        await this.#o.offline?.finished(progress.orderId);
      }
      progress.done = true;
      emit();
      return progress;
    } catch (err) {
      progress.error = progressError(err);
      emit();
      if (!this.#closed) this.#o.logger.error({ err, orderId: progress.orderId }, 'redemption stopped');
      return progress;
    }
  }

  /** The image for a unit: from the catalog (or the coordinator's coordinates), fetched if missing. */
  #unitImageDeps(): UnitImageDeps {
    return { clock: this.#o.clock, fetcher: this.#o.fetcher, signal: this.#abort.signal, closed: () => this.#closed };
  }

  #confirm(orderId: string, unit: number): Promise<boolean> {
    return confirmPrint(this.#o, orderId, unit);
  }
}
