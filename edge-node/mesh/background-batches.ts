import { FEED_BLOCK_BYTES } from '../../shared/feed/feed-layout.ts';
import { BACKGROUND_BATCH_BLOCKS, BACKGROUND_PARALLEL_BATCHES } from '../../shared/policy/sync-planner.ts';
import type { TokenBucket } from '../../shared/policy/token-bucket.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { DownloadHandle } from './block-runs.ts';
import type { PriorityGate } from './traffic.ts';

export type ByteSourceKind = 'lan' | 'cloud';

/** One background download of some blocks (a Hypercore range, on the main core or the cloud lane). */
export type BatchDownload = (batch: number[]) => DownloadHandle;

export interface BackgroundBatchesOptions {
  clock: Clock;
  gate: Pick<PriorityGate, 'waitForTurn' | 'nextOnDemand'>;
  bucket: TokenBucket;
  /** Aborted when the replicator closes: every wait ends. */
  signal: AbortSignal;
  /** When bytes last arrived from this source (epoch ms; 0: never). */
  progressAt: (source: ByteSourceKind) => number;
}

/**
 * Background blocks, fetched the way background sync must: in batches under the bandwidth cap, each
 * stopped the moment a fan's on-demand fetch starts and retried once it is served, and given up when
 * its source has gone silent.
 */
export class BackgroundBatches {
  readonly #o: BackgroundBatchesOptions;

  constructor(opts: BackgroundBatchesOptions) {
    this.#o = opts;
  }

  /**
   * Fetches `blocks` batch by batch; false when a batch failed or stalled (the rest waits for a later
   * cycle), or `stop` aborted: the batch in flight is dropped at once (blocks already under way
   * still land) and no other starts.
   */
  async fetch(
    blocks: number[],
    stallMs: number,
    source: ByteSourceKind,
    download: BatchDownload,
    stop?: AbortSignal,
  ): Promise<boolean> {
    // A few batches in flight keep the pipe full between round trips; each stays small enough that
    // an on-demand fetch waits behind little (the batches stop the moment one starts).
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && !this.#o.signal.aborted && !stop?.aborted && next < blocks.length) {
        const start = next;
        next += BACKGROUND_BATCH_BLOCKS;
        const batch = blocks.slice(start, start + BACKGROUND_BATCH_BLOCKS);
        const done = await this.#batch(batch, stallMs, source, download, stop);
        if (!done) failed = true;
      }
    };
    await Promise.all(Array.from({ length: BACKGROUND_PARALLEL_BATCHES }, worker));
    return !failed && !this.#o.signal.aborted && !stop?.aborted;
  }

  /**
   * One batch, retried after any on-demand interruption; false when it failed, or stalled: nothing
   * arrived from its source for `stallMs` (a batch of blocks its owner is still receiving from the
   * cloud trickles in, and is not given up while it does).
   */
  async #batch(
    batch: number[],
    stallMs: number,
    source: ByteSourceKind,
    download: BatchDownload,
    stop: AbortSignal | undefined,
  ): Promise<boolean> {
    const { clock, gate, bucket, signal } = this.#o;
    for (;;) {
      await gate.waitForTurn();
      const wait = bucket.take(batch.length * FEED_BLOCK_BYTES, clock.now());
      if (wait > 0) await clock.sleep(wait, signal).catch(() => {});
      if (signal.aborted || stop?.aborted) return false;
      const range = download(batch);
      const interrupted = gate.nextOnDemand().then(() => 'interrupted' as const);
      // The stall timer is cancelled once the race is decided, and on close or stop.
      const stall = new AbortController();
      const onAbort = (): void => stall.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      stop?.addEventListener('abort', onAbort, { once: true });
      const outcome = await Promise.race([
        range.done().then(
          () => 'done' as const,
          () => 'failed' as const,
        ),
        this.#quietFor(stallMs, source, stall.signal),
        interrupted,
      ]);
      signal.removeEventListener('abort', onAbort);
      stop?.removeEventListener('abort', onAbort);
      stall.abort();
      range.destroy();
      if (outcome === 'interrupted') continue; // the same batch again once the fan is served
      return outcome === 'done';
    }
  }

  /** Resolves 'stalled' once no bytes have arrived from `source` for `ms` (counted from the call at the earliest). */
  async #quietFor(ms: number, source: ByteSourceKind, signal: AbortSignal): Promise<'stalled' | 'closed'> {
    const clock = this.#o.clock;
    const from = clock.now();
    for (;;) {
      const left = Math.max(from, this.#o.progressAt(source)) + ms - clock.now();
      if (left <= 0) return 'stalled';
      try {
        await clock.sleep(left, signal);
      } catch {
        return 'closed';
      }
    }
  }
}
