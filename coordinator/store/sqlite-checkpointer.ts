import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';

/** How often the background thread copies the WAL into the database file. */
export const BACKGROUND_CHECKPOINT_INTERVAL_MS = 1_000;
/**
 * WAL pages (4 KiB) after which a commit checkpoints inline after all: the background thread is
 * behind or gone, and the WAL must not grow without bound (64 MiB).
 */
export const INLINE_CHECKPOINT_WAL_PAGES = 16_384;

/** What one checkpoint of the worker (sqlite-checkpoint-worker.mjs) found and did. */
export interface CheckpointResult {
  /** WAL frames in the log, and how many of them are now in the database file. */
  logFrames: number;
  checkpointedFrames: number;
}

/**
 * SQLite copies its write-ahead log into the database file ("checkpoint") by default inside the
 * commit that takes the log past 1,000 pages: that commit (a claim, a payment) then also writes
 * ~4 MB and fsyncs the database file, 20× a plain commit on an idle disk (~4 ms against 0.2 ms) and
 * far more on a busy one. Here a worker thread with its own connection checkpoints every second, off
 * the request path; the store's connection checkpoints inline only past INLINE_CHECKPOINT_WAL_PAGES.
 */
export class SqliteCheckpointer extends Resource {
  readonly #path: string;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #worker: Worker | null = null;
  #timer: Timer | null = null;
  #inFlight = false;
  /** Checkpoints run, and WAL frames the last one found and copied. */
  checkpoints = 0;
  last: CheckpointResult | null = null;

  constructor(opts: { path: string; clock: Clock; intervalMs?: number }) {
    super();
    this.#path = opts.path;
    this.#clock = opts.clock;
    this.#intervalMs = opts.intervalMs ?? BACKGROUND_CHECKPOINT_INTERVAL_MS;
  }

  protected override async _open(): Promise<void> {
    const worker = new Worker(new URL('./sqlite-checkpoint-worker.mjs', import.meta.url), {
      workerData: { path: this.#path },
    });
    let alive = true;
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', () => {
        alive = false;
        this.#worker = null;
        resolve();
      }),
    );
    this.#worker = worker;
    this.defer(async () => {
      // Waited for, so held by the event loop while it closes.
      worker.ref();
      if (alive) worker.postMessage('close');
      await exited;
    });
    worker.on('message', (result: CheckpointResult) => {
      this.#inFlight = false;
      this.checkpoints++;
      this.last = result;
    });
    // A thread that failed is not the store's failure: commits fall back to inline checkpoints.
    const failed = new Promise<never>((_, reject) => worker.once('error', reject));
    failed.catch(() => {});
    await Promise.race([once(worker, 'online'), failed]);
    // Like the interval: an idle checkpointer does not keep the process alive.
    worker.unref();
    this.#timer = this.#clock.setInterval(() => this.#tick(), this.#intervalMs).unref();
    this.defer(() => this.#timer?.cancel());
  }

  #tick(): void {
    if (this.#inFlight || !this.#worker) return;
    this.#inFlight = true;
    this.#worker.postMessage('checkpoint');
  }
}
