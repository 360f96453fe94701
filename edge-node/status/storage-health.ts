import { statfs } from 'node:fs/promises';
import { AppError } from '../../shared/errors.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';

/**
 * Free space the data directory needs before storage that failed is reopened: enough for a few
 * images, so a reopen is not followed at once by another failure.
 */
export const STORAGE_RESUME_FREE_BYTES = 16 * 1024 * 1024;
/** How often a failed data directory is checked for room again. */
export const STORAGE_POLL_MS = 2_000;

/** errno codes that mean this printer's disk, not a peer, failed a write. */
const STORAGE_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

/** Whether `err` (or an error it wraps) is a failed local write: the disk is full or broken. */
export function isLocalStorageError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && STORAGE_ERRNO.has(code)) return true;
    if (code === 'storage_full') return true;
    // RocksDB's answer when a write batch hits a failed disk (it wraps the errno as its cause).
    if (typeof message === 'string' && /No space left on device|Batch was not applied/.test(message)) return true;
  }
  return false;
}

export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'storage_full') return true;
    if (typeof message === 'string' && message.includes('No space left on device')) return true;
  }
  return false;
}

/** The error a write on a full disk becomes: the operator learns what to do. */
export function storageFullError(dir: string): AppError {
  return new AppError(
    'storage_full',
    `The disk of this printer is full (${dir}): free some space; printing and sync resume by themselves.`,
  );
}

export interface StorageHealthOptions {
  /** The data directory (corestore, job log). */
  dir: string;
  logger: StructuredLogger;
  clock: Clock;
  /**
   * There is room again after a disk-full failure: reopen the storage. Answers false when it cannot
   * now (the node is still starting): it is asked again on the next check.
   */
  onRoomAgain: () => boolean;
  /** Every failed write, for metrics. */
  onFailure?: (kind: StorageFailure['kind']) => void;
  resumeFreeBytes?: number;
  pollMs?: number;
}

export interface StorageFailure {
  kind: 'disk_full' | 'io_error';
  message: string;
  since: number;
}

/**
 * Watches the data directory after a write failed. The feed store (RocksDB) refuses every write
 * after a failed one until it is reopened, even once space is back (measured: still refused 40 s
 * after the filesystem grew), so the owner is told when there is room again (`onRoomAgain`, once
 * per failure) and reopens it. Until then the node keeps running and reports the failure: exiting
 * would have a supervisor restart it into the same full disk, over and over.
 */
export class StorageHealth {
  readonly #o: StorageHealthOptions;
  #failure: StorageFailure | null = null;
  #timer: Timer | null = null;
  #closed = false;
  /** Ends a start-up wait for room at once when the node closes. */
  readonly #closer = new AbortController();
  /** waitForRoom() is running (start-up): reports do not start checks of their own. */
  #waiting = false;

  constructor(opts: StorageHealthOptions) {
    this.#o = opts;
  }

  get failure(): StorageFailure | null {
    return this.#failure;
  }

  /** A write failed with `err`; the first report of a failure logs it and starts watching for room. */
  report(err: unknown): void {
    const kind = isDiskFull(err) ? 'disk_full' : 'io_error';
    this.#o.onFailure?.(kind);
    if (this.#failure || this.#closed || this.#waiting) return;
    this.#failure = {
      kind,
      since: this.#o.clock.now(),
      message:
        kind === 'disk_full'
          ? storageFullError(this.#o.dir).message
          : `Writing to this printer's disk failed (${this.#o.dir}): ${(err as Error)?.message ?? String(err)}. Check the disk; sync resumes once writes succeed.`,
    };
    this.#o.logger.error({ err, dir: this.#o.dir, kind }, 'local storage failed: sync paused until there is room');
    // A broken disk (EIO, read-only) does not heal by itself: it stays reported until a restart.
    if (kind === 'disk_full') this.#poll();
  }

  /**
   * Start-up on a full disk (the feed store cannot even open): reports it, calls `whileWaiting` on
   * every check (to tell the coordinator), and resolves once there is room. Rejects when closed.
   */
  async waitForRoom(err: unknown, whileWaiting: () => Promise<void>, signal?: AbortSignal): Promise<void> {
    // The storage's owner closing ends the wait as closing this watch does.
    const stop = AbortSignal.any(signal ? [this.#closer.signal, signal] : [this.#closer.signal]);
    this.#o.onFailure?.('disk_full');
    // This wait owns the failure now: a check started by an earlier report must not reopen
    // storage that is still being opened.
    this.#timer?.cancel();
    this.#timer = null;
    this.#waiting = true;
    this.#failure = { kind: 'disk_full', since: this.#o.clock.now(), message: storageFullError(this.#o.dir).message };
    this.#o.logger.error({ err, dir: this.#o.dir }, 'local storage is full: waiting for room before starting');
    while (!stop.aborted) {
      await whileWaiting().catch(() => {});
      await this.#o.clock.sleep(this.#o.pollMs ?? STORAGE_POLL_MS, stop).catch(() => {});
      if (stop.aborted) break;
      if ((await this.#freeBytes()) >= (this.#o.resumeFreeBytes ?? STORAGE_RESUME_FREE_BYTES)) {
        this.#failure = null;
        this.#waiting = false;
        this.#o.logger.info({ dir: this.#o.dir }, 'local storage has room again: starting');
        return;
      }
    }
    this.#waiting = false;
    throw new AppError('shutting_down', 'The printer closed while waiting for disk space.');
  }

  close(): void {
    this.#closed = true;
    this.#closer.abort();
    this.#timer?.cancel();
    this.#timer = null;
  }

  #poll(): void {
    this.#timer = this.#o.clock
      .setTimeout(async () => {
        this.#timer = null;
        if (this.#closed) return;
        const free = await this.#freeBytes();
        if (free >= (this.#o.resumeFreeBytes ?? STORAGE_RESUME_FREE_BYTES) && this.#o.onRoomAgain()) {
          // The owner reopens the storage now: this failure is over (a new one is reported afresh).
          this.#failure = null;
          this.#o.logger.info({ dir: this.#o.dir, freeBytes: free }, 'local storage has room again: reopening it');
          return;
        }
        this.#poll();
      }, this.#o.pollMs ?? STORAGE_POLL_MS)
      .unref();
  }

  #freeBytes(): Promise<number> {
    return statfs(this.#o.dir).then(
      (s) => s.bavail * s.bsize,
      () => 0,
    );
  }
}
