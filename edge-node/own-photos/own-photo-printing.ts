import { AppError, isAppError } from '../../shared/errors.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { OwnPhotoReleaseAnswer } from '../../shared/protocol/own-photo-api.ts';
import { CoordinatorError } from '../coordinator-client.ts';
import type { PrinterPort } from '../printing/port.ts';
import type { OwnPhotoClient } from './own-photo-client.ts';
import type { JournalJob, JournalUnit, OwnPhotoJournal } from './own-photo-journal.ts';

/** A report the coordinator did not take (no uplink) is sent again after this long, until it is. */
export const OWN_PHOTO_REPORT_RETRY_MS = 3_000;
/**
 * While a job prints (or waits for paper), its hold at the coordinator is renewed this often, well
 * inside the hold (OWN_PHOTO_HOLD_MS, 5 min): a printer at work never loses its job to another.
 */
export const OWN_PHOTO_HOLD_RENEW_MS = 60_000;

/** What printing needs of the coordinator (OwnPhotoClient; tests give a fake). */
export type OwnPhotoPrintingClient = Pick<OwnPhotoClient, 'release' | 'image' | 'printed' | 'failed'>;

export type OwnPhotoPrintState = 'printing' | 'done' | 'failed';

export interface OwnPhotoProgress {
  jobId: string;
  state: OwnPhotoPrintState;
  printed: number;
  total: number;
  error: { code: string; message: string } | null;
}

/**
 * Prints own-photo jobs released to this printer (JP7465442B2's "second print job transmission"):
 * the job is released by the coordinator to this printer only, its photos are fetched from the
 * coordinator on demand (never replicated to every printer: a printer needs no room for them),
 * printed through the normal printer port, and the outcome reported, after which the coordinator
 * deletes the photos. Exactly once: every step is in the journal before it is acted on; a retried
 * release is the same release; a crash resumes and reports instead of printing again. A failure
 * is reported so the fan can retry here or at another printer. Emits 'progress'.
 */
export class OwnPhotoPrinting extends Resource {
  readonly #client: OwnPhotoPrintingClient;
  readonly #printer: PrinterPort;
  readonly #journal: OwnPhotoJournal;
  readonly #clock: Clock;
  readonly #logger: StructuredLogger;
  readonly #active = new Map<string, Promise<OwnPhotoProgress>>();
  readonly #progress = new Map<string, OwnPhotoProgress>();
  readonly #starting = new Map<string, Promise<OwnPhotoProgress>>();
  readonly #abort = new AbortController();

  constructor(opts: {
    client: OwnPhotoPrintingClient;
    printer: PrinterPort;
    journal: OwnPhotoJournal;
    clock: Clock;
    logger: StructuredLogger;
  }) {
    super();
    this.#client = opts.client;
    this.#printer = opts.printer;
    this.#journal = opts.journal;
    this.#clock = opts.clock;
    this.#logger = opts.logger;
  }

  protected override async _open(): Promise<void> {
    for (const job of this.#journal.unfinished()) {
      this.#logger.info({ jobId: job.jobId }, 'resuming an own-photo job interrupted by a restart');
      this.#track(job.jobId, this.#resume(job));
    }
  }

  protected override async _close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#active.values()]);
  }

  progress(jobId: string): OwnPhotoProgress | null {
    const p = this.#progress.get(jobId);
    return p ? { ...p } : null;
  }

  /**
   * Asks the coordinator to release the (paid) job to this printer and starts printing it; resolves
   * with the first progress once the release was granted (a refusal rejects at once, with the
   * coordinator's reason). A second call for a job being printed here joins it.
   */
  start(jobId: string): Promise<OwnPhotoProgress> {
    // A double tap (or two kiosk tabs) while the release is on its way joins the first.
    const starting = this.#starting.get(jobId);
    if (starting) return starting;
    const start = this.#start(jobId).finally(() => this.#starting.delete(jobId));
    this.#starting.set(jobId, start);
    return start;
  }

  async #start(jobId: string): Promise<OwnPhotoProgress> {
    const running = this.#active.get(jobId);
    if (running) {
      const current = this.progress(jobId);
      if (current?.state === 'printing') return current;
      // Finished a moment ago (its outcome is out, its bookkeeping not yet): a retry starts anew.
      await running.catch(() => {});
    }
    const release = await this.#client.release(jobId);
    if (this.#active.has(jobId)) return this.progress(jobId)!;
    const units = unitsOf(release);
    const known = this.#journal.get(jobId);
    if (!known || known.reported !== null) {
      await this.#journal.append({ t: 'released', jobId, code: release.job.code, units, at: this.#clock.now() });
    }
    const job = this.#journal.get(jobId)!;
    this.#set(jobId, { state: 'printing', printed: job.printed.size, total: units.length, error: null });
    this.#track(jobId, this.#print(job, release));
    return this.progress(jobId)!;
  }

  #track(jobId: string, work: Promise<OwnPhotoProgress>): void {
    const tracked = work.finally(() => this.#active.delete(jobId));
    // Only a shutdown ends a job's work with an error (it resumes from the journal at the next start).
    tracked.catch((err: unknown) => {
      if (!this.#abort.signal.aborted) this.#logger.error({ err, jobId }, 'own-photo job stopped');
    });
    this.#active.set(jobId, tracked);
  }

  #set(jobId: string, p: Omit<OwnPhotoProgress, 'jobId'>): OwnPhotoProgress {
    const progress = { jobId, ...p };
    this.#progress.set(jobId, progress);
    this.emit('progress', { ...progress });
    return progress;
  }

  async #resume(job: JournalJob): Promise<OwnPhotoProgress> {
    if (job.printed.size === job.units.length) return this.#report(job);
    let release: OwnPhotoReleaseAnswer;
    try {
      release = await this.#releaseAgain(job.jobId);
    } catch (err) {
      if (!(err instanceof CoordinatorError) || err.status >= 500) throw err;
      // Printed, or taken by another printer while this one was down: nothing more to do here.
      await this.#journal.append({ t: 'reported', jobId: job.jobId, outcome: 'failed', at: this.#clock.now() });
      return this.#set(job.jobId, {
        state: 'failed',
        printed: job.printed.size,
        total: job.units.length,
        error: { code: err.code, message: err.message },
      });
    }
    return this.#print(job, release);
  }

  /** The release of a job resumed after a restart, retried while the coordinator cannot be reached. */
  async #releaseAgain(jobId: string): Promise<OwnPhotoReleaseAnswer> {
    for (;;) {
      try {
        return await this.#client.release(jobId);
      } catch (err) {
        if (!(err instanceof CoordinatorError) || err.status < 500 || this.#abort.signal.aborted) throw err;
        await this.#clock.sleep(OWN_PHOTO_REPORT_RETRY_MS, this.#abort.signal);
      }
    }
  }

  async #print(job: JournalJob, release: OwnPhotoReleaseAnswer): Promise<OwnPhotoProgress> {
    const total = job.units.length;
    const photos = new Map<number, Buffer>();
    // A retry of the release by its holder renews the hold (the coordinator answers the same release).
    const renew = this.#clock.setInterval(() => {
      this.#client.release(job.jobId).catch((err: unknown) => {
        this.#logger.warn({ err, jobId: job.jobId }, 'own-photo hold not renewed this time');
      });
    }, OWN_PHOTO_HOLD_RENEW_MS);
    try {
      for (const u of job.units) {
        if (job.printed.has(u.unit)) continue;
        if (this.#abort.signal.aborted) throw new AppError('shutting_down', 'The printer is shutting down.');
        let bytes = photos.get(u.n);
        if (!bytes) {
          bytes = await this.#client.image(job.jobId, u.n, u.sha256);
          // Only the photo being printed is held: the printer needs no room for the whole job.
          photos.clear();
          photos.set(u.n, bytes);
        }
        await this.#journal.append({ t: 'printing', jobId: job.jobId, unit: u.unit, at: this.#clock.now() });
        await this.#printer.printPhoto(bytes, {
          label: `${release.job.code} ${u.unit + 1}/${total}`,
          jobId: `own-${job.jobId}-${u.unit}`,
          signal: this.#abort.signal,
        });
        await this.#journal.append({ t: 'printed', jobId: job.jobId, unit: u.unit, at: this.#clock.now() });
        this.#set(job.jobId, { state: 'printing', printed: job.printed.size, total, error: null });
      }
    } catch (err) {
      if (this.#abort.signal.aborted) throw err;
      return this.#giveUp(job, err);
    } finally {
      renew.cancel();
    }
    return this.#report(job);
  }

  /** Tells the coordinator every photo printed (it then deletes them); retried until it has it. */
  async #report(job: JournalJob): Promise<OwnPhotoProgress> {
    const total = job.units.length;
    for (;;) {
      try {
        await this.#client.printed(job.jobId);
        break;
      } catch (err) {
        if (err instanceof CoordinatorError && err.status < 500) {
          this.#logger.warn({ err, jobId: job.jobId }, 'the coordinator refused the own-photo print report');
          break;
        }
        if (this.#abort.signal.aborted) throw err;
        await this.#clock.sleep(OWN_PHOTO_REPORT_RETRY_MS, this.#abort.signal);
      }
    }
    await this.#journal.append({ t: 'reported', jobId: job.jobId, outcome: 'printed', at: this.#clock.now() });
    return this.#set(job.jobId, { state: 'done', printed: total, total, error: null });
  }

  /** The job could not be printed here: the coordinator frees it to retry here or elsewhere. */
  async #giveUp(job: JournalJob, err: unknown): Promise<OwnPhotoProgress> {
    const error = isAppError(err)
      ? { code: err.code, message: err.message }
      : { code: 'print_failed', message: err instanceof Error ? err.message : String(err) };
    this.#logger.error({ err, jobId: job.jobId }, 'own-photo job not printed');
    try {
      await this.#client.failed(job.jobId, `${error.code}: ${error.message}`.slice(0, 300));
      await this.#journal.append({ t: 'reported', jobId: job.jobId, outcome: 'failed', at: this.#clock.now() });
    } catch (reportErr) {
      // Unreported, the hold simply runs out at the coordinator and the job is free again.
      this.#logger.warn({ err: reportErr, jobId: job.jobId }, 'own-photo failure not reported; the hold will expire');
    }
    return this.#set(job.jobId, { state: 'failed', printed: job.printed.size, total: job.units.length, error });
  }
}

/** One unit per copy of each photo, numbered in print order. */
function unitsOf(release: OwnPhotoReleaseAnswer): JournalUnit[] {
  const units: JournalUnit[] = [];
  for (const image of release.images) {
    for (let c = 0; c < image.copies; c++) units.push({ unit: units.length, n: image.n, sha256: image.sha256 });
  }
  return units;
}
