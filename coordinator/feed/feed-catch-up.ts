import type Hypercore from 'hypercore';
import type { Clock } from '../../shared/ports/clock.ts';
import type { FeedHead } from '../store/records.ts';

const HEAD_POLL_INTERVAL_MS = 50;

/** Waits for `promise` to settle, at most `ms` on `clock` (or until `signal` aborts); never throws. */
async function settleWithin(clock: Clock, promise: Promise<unknown>, ms: number, signal?: AbortSignal): Promise<void> {
  const timer = new AbortController();
  const onAbort = () => timer.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const elapsed = clock.sleep(Math.max(0, ms), timer.signal).catch(() => {});
    await Promise.race([promise.catch(() => {}), elapsed]);
  } finally {
    timer.abort();
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * How a local replica of an event feed's two cores reaches a head (EventFeed.waitForHead and
 * catchUp): blocks come from the live download the feed started, this only polls and asks peers
 * for news. Waits stop early once `closing()` says the feed is closing.
 */
export class FeedCatchUp {
  readonly #blobsCore: Hypercore;
  readonly #catalogCore: Hypercore;
  readonly #clock: Clock;
  readonly #closing: () => boolean;

  constructor(parts: { blobsCore: Hypercore; catalogCore: Hypercore; clock: Clock; closing: () => boolean }) {
    this.#blobsCore = parts.blobsCore;
    this.#catalogCore = parts.catalogCore;
    this.#clock = parts.clock;
    this.#closing = parts.closing;
  }

  head(): FeedHead {
    return { blobsLength: this.#blobsCore.length, catalogLength: this.#catalogCore.length };
  }

  async waitForHead(target: FeedHead, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = this.#clock.now() + timeoutMs;
    let asking = false;
    for (;;) {
      if (this.#reached(target)) return true;
      const left = deadline - this.#clock.now();
      if (left <= 0 || this.#closing() || signal?.aborted) return false;
      if (!asking) {
        asking = true;
        Promise.all([this.#blobsCore.update({ wait: true }), this.#catalogCore.update({ wait: true })])
          .catch(() => {})
          .finally(() => {
            asking = false;
          });
      }
      await this.#clock.sleep(Math.min(HEAD_POLL_INTERVAL_MS, left));
    }
  }

  async catchUp(committed: FeedHead, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = this.#clock.now() + timeoutMs;
    if (!(await this.waitForHead(committed, timeoutMs, signal))) return false;
    const updates = Promise.all([this.#blobsCore.update({ wait: true }), this.#catalogCore.update({ wait: true })]);
    await settleWithin(this.#clock, updates, deadline - this.#clock.now(), signal);
    return this.waitForHead(this.head(), Math.max(0, deadline - this.#clock.now()), signal);
  }

  #reached(target: FeedHead): boolean {
    return (
      this.#blobsCore.contiguousLength >= target.blobsLength &&
      this.#catalogCore.contiguousLength >= target.catalogLength
    );
  }
}
