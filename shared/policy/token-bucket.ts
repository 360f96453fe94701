/**
 * A bandwidth cap as a token bucket: tokens (bytes) refill at `rateBytesPerSec` up to `burstBytes`.
 *
 * Why a bucket per traffic class: Windows Delivery Optimization keeps separate foreground and
 * background caps, Dragonfly gives background prefetch its own rate limit, and libtorrent and
 * Syncthing exempt LAN peers from the WAN limit. The edge node therefore holds separate instances
 * (background vs on-demand, WAN vs LAN) and an on-demand fetch is never stuck behind the
 * background budget.
 *
 * Why debit-with-debt: `take` always debits and returns how long the caller must wait before the
 * bytes may go. A block larger than the burst is still sendable (the bucket goes negative and the
 * wait covers the debt), and successive callers queue up naturally in arrival order, because each
 * one's wait includes the debt of those before it. There are no timers here; the caller sleeps.
 */
import { AppError } from '../errors.ts';

/** Float slack so that waiting exactly the returned time is always enough. */
const TOKEN_EPSILON_BYTES = 1e-6;

function checkRate(rateBytesPerSec: number): void {
  if (!(rateBytesPerSec > 0)) {
    throw new AppError('invalid_rate_limit', 'a bandwidth cap must be > 0 bytes/s (Infinity = uncapped)');
  }
}

export class TokenBucket {
  #rate: number;
  readonly #burst: number;
  #tokens: number;
  #updatedAt: number;

  constructor(opts: { rateBytesPerSec: number; burstBytes: number; now: number }) {
    checkRate(opts.rateBytesPerSec);
    if (!(opts.burstBytes > 0 && Number.isFinite(opts.burstBytes))) {
      throw new AppError('invalid_rate_limit', 'the burst of a bandwidth cap must be a finite number of bytes > 0');
    }
    this.#rate = opts.rateBytesPerSec;
    this.#burst = opts.burstBytes;
    this.#tokens = opts.burstBytes;
    this.#updatedAt = opts.now;
  }

  get rateBytesPerSec(): number {
    return this.#rate;
  }

  get burstBytes(): number {
    return this.#burst;
  }

  /** Bytes that may go right now (negative = debt still to wait out). */
  available(now: number): number {
    this.#refill(now);
    return this.#rate === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : this.#tokens;
  }

  /** Debits `bytes` and returns the milliseconds to wait before sending them (0 = go now). */
  take(bytes: number, now: number): number {
    if (!(bytes >= 0)) throw new RangeError(`take() needs a byte count ≥ 0, got ${bytes}`);
    if (this.#rate === Number.POSITIVE_INFINITY) return 0;
    this.#refill(now);
    this.#tokens -= bytes;
    if (this.#tokens >= -TOKEN_EPSILON_BYTES) return 0;
    return Math.ceil((-this.#tokens * 1000) / this.#rate);
  }

  /** Whether `take(bytes, now)` would return 0; debits nothing. */
  canTake(bytes: number, now: number): boolean {
    if (this.#rate === Number.POSITIVE_INFINITY) return true;
    this.#refill(now);
    return this.#tokens - bytes >= -TOKEN_EPSILON_BYTES;
  }

  /** Changes the cap from `now` on; time before `now` is accounted at the old rate. */
  setRate(rateBytesPerSec: number, now: number): void {
    checkRate(rateBytesPerSec);
    this.#refill(now);
    // Leaving or entering "uncapped": an uncapped bucket has no debt, and starts capped with a full burst.
    if (this.#rate === Number.POSITIVE_INFINITY || rateBytesPerSec === Number.POSITIVE_INFINITY) {
      this.#tokens = this.#burst;
    }
    this.#rate = rateBytesPerSec;
  }

  #refill(now: number): void {
    // A clock that steps backwards refills nothing instead of draining tokens.
    if (now <= this.#updatedAt) return;
    if (this.#rate !== Number.POSITIVE_INFINITY) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updatedAt) * this.#rate) / 1000);
    }
    this.#updatedAt = now;
  }
}
