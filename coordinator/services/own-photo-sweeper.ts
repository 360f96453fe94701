import { isAppError } from '../../shared/errors.ts';
import { type OwnPhotoJobRecord, sweepAction, withOwnPhotoEvent } from '../../shared/policy/own-photo-job.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import { jobIdOfOwnPhotoMediaKey, OWN_PHOTO_MEDIA_PREFIX } from '../media/own-photo-media.ts';
import type { Store } from '../store/port.ts';
import { OWN_PHOTO_SWEEP_INTERVAL_MS } from './own-photo-settings.ts';
import type { OwnPhotoService } from './own-photos.ts';

/** Jobs one sweep handles; the rest wait for the next (a sweep never holds the store for long). */
export const OWN_PHOTO_SWEEP_BATCH = 100;
/** Media keys of own photos one sweep looks at for orphans; the scan goes on where it stopped. */
export const OWN_PHOTO_ORPHAN_SCAN_KEYS = 500;
/**
 * Photos without a job record are removed only after they were seen so for this long: an upload
 * writes its photos a moment before its record (on any coordinator sharing the store).
 */
export const OWN_PHOTO_ORPHAN_GRACE_MS = 10 * 60_000;
/** Suspected orphans remembered at once. */
const MAX_ORPHAN_SUSPECTS = 10_000;

export interface SweepResult {
  expired: number;
  imagesDeleted: number;
  holdsFreed: number;
  /** Jobs whose photos had no record (an upload cut short by a crash) and were removed. */
  orphansRemoved: number;
}

/**
 * The retention limit, enforced: on the Clock, unpaid jobs past their expiry are expired and their
 * photos deleted; printed jobs whose photos are still there (a crash between "printed" and the
 * deletion) lose them; a printer that went quiet holding a job loses the hold, so the job can
 * print elsewhere. Every step is a compare-and-swap, so several coordinators may sweep at once.
 */
export class OwnPhotoSweeper {
  readonly #store: Store;
  readonly #ownPhotos: OwnPhotoService;
  readonly #clock: Clock;
  readonly #logger: StructuredLogger;
  #timer: Timer | null = null;
  /** Job ids of photos found without a record, and when first seen so. */
  readonly #suspects = new Map<string, number>();
  #scanAfter: string | null = null;
  #running: Promise<SweepResult> | null = null;

  constructor(opts: { store: Store; ownPhotos: OwnPhotoService; clock: Clock; logger: StructuredLogger }) {
    this.#store = opts.store;
    this.#ownPhotos = opts.ownPhotos;
    this.#clock = opts.clock;
    this.#logger = opts.logger;
  }

  start(intervalMs = OWN_PHOTO_SWEEP_INTERVAL_MS): void {
    if (this.#timer) return;
    this.#timer = this.#clock
      .setInterval(() => {
        void this.sweep().catch((err: unknown) => this.#logger.error({ err }, 'own-photo retention sweep failed'));
      }, intervalMs)
      .unref();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  /** One pass; concurrent calls share it. */
  sweep(): Promise<SweepResult> {
    this.#running ??= this.#sweepOnce().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #sweepOnce(): Promise<SweepResult> {
    const result: SweepResult = { expired: 0, imagesDeleted: 0, holdsFreed: 0, orphansRemoved: 0 };
    const now = this.#clock.now();
    const due = await this.#store.ownPhotoJobs().listOwnPhotoJobsDue(now, OWN_PHOTO_SWEEP_BATCH);
    for (const job of due) {
      try {
        await this.#handle(job, now, result);
      } catch (err) {
        if (!isAppError(err)) throw err;
        this.#logger.warn({ err, jobId: job.id }, 'own-photo job not swept this time');
      }
    }
    await this.#removeOrphans(now, result);
    if (result.expired + result.imagesDeleted + result.holdsFreed + result.orphansRemoved > 0) {
      this.#logger.info(result, 'own-photo retention sweep');
    }
    return result;
  }

  /** A slice of the own-photo media each sweep: photos whose job record never came are removed. */
  async #removeOrphans(now: number, result: SweepResult): Promise<void> {
    const keys = await this.#store.listMediaKeys(OWN_PHOTO_MEDIA_PREFIX, this.#scanAfter, OWN_PHOTO_ORPHAN_SCAN_KEYS);
    this.#scanAfter = keys.length < OWN_PHOTO_ORPHAN_SCAN_KEYS ? null : (keys.at(-1) ?? null);
    const jobIds = new Set(keys.map(jobIdOfOwnPhotoMediaKey).filter((id): id is string => id !== null));
    for (const jobId of jobIds) {
      if (await this.#store.ownPhotoJobs().getOwnPhotoJob(jobId)) {
        this.#suspects.delete(jobId);
        continue;
      }
      const since = this.#suspects.get(jobId);
      if (since === undefined) {
        if (this.#suspects.size < MAX_ORPHAN_SUSPECTS) this.#suspects.set(jobId, now);
        continue;
      }
      if (now - since < OWN_PHOTO_ORPHAN_GRACE_MS) continue;
      const prefix = `${OWN_PHOTO_MEDIA_PREFIX}${jobId}/`;
      for (const key of await this.#store.listMediaKeys(prefix, null, OWN_PHOTO_ORPHAN_SCAN_KEYS)) {
        await this.#store.deleteMedia(key);
      }
      this.#suspects.delete(jobId);
      result.orphansRemoved++;
    }
  }

  async #handle(job: OwnPhotoJobRecord, now: number, result: SweepResult): Promise<void> {
    const jobs = this.#store.ownPhotoJobs();
    const action = sweepAction(job, now);
    if (action === 'expire') {
      const expired = withOwnPhotoEvent(job, 'expired');
      if (expired && (await jobs.replaceOwnPhotoJob(expired, job.version))) {
        result.expired++;
        await this.#ownPhotos.deleteImages(expired);
        result.imagesDeleted++;
      }
    } else if (action === 'delete_images') {
      await this.#ownPhotos.deleteImages(job);
      result.imagesDeleted++;
    } else if (action === 'free_hold') {
      const freed = withOwnPhotoEvent(job, 'release_failed', {
        release: null,
        failures: [
          ...job.failures,
          { printerId: job.release?.printerId ?? '', at: now, reason: 'the printer stopped reporting' },
        ].slice(-20),
      });
      if (freed && (await jobs.replaceOwnPhotoJob(freed, job.version))) result.holdsFreed++;
    }
  }
}
