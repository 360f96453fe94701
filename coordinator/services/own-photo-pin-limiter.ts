import { TokenBucket } from '../../shared/policy/token-bucket.ts';
import type { Clock } from '../../shared/ports/clock.ts';

/** Wrong PINs a job code may take before it is locked (a fan's typos, not a guesser's run). */
export const OWN_PHOTO_PIN_BURST = 5;
/**
 * After the burst one more try per this long. 10 000 PINs at one per 10 min is ~69 days, far past
 * any retention: a guesser with a known code has about 1.5 % per day of finding the PIN.
 */
export const OWN_PHOTO_PIN_REFILL_MS = 10 * 60_000;
/** Codes tracked at once; past it the least recently seen are forgotten (their budget restarts). */
export const MAX_TRACKED_OWN_PHOTO_CODES = 50_000;

/**
 * The wrong-PIN lockout of own-photo job codes, per coordinator process. Unlike order codes (where a
 * right code always goes through: FailedCodeLimiter), a locked code refuses even the right PIN until
 * its budget refills: with only 10 000 PINs, a right answer during a guessing run must not count.
 * The fan can still open the jobs at once by scanning the QR code on their phone, which carries the
 * PIN and so never fails. Unknown codes are slowed per printer and venue by FailedCodeLimiter.
 */
export class OwnPhotoPinLimiter {
  readonly #codes = new Map<string, TokenBucket>();
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #refillMs: number;

  constructor(opts: { clock: Clock; burst?: number; refillMs?: number }) {
    this.#clock = opts.clock;
    this.#burst = opts.burst ?? OWN_PHOTO_PIN_BURST;
    this.#refillMs = opts.refillMs ?? OWN_PHOTO_PIN_REFILL_MS;
  }

  /** Seconds until `code` takes another PIN; null when it takes one now. */
  lockedForSeconds(code: string): number | null {
    const bucket = this.#codes.get(code);
    const now = this.#clock.now();
    if (!bucket || bucket.canTake(1, now)) return null;
    return Math.max(1, Math.ceil(((1 - bucket.available(now)) * this.#refillMs) / 1000));
  }

  /** Counts a wrong PIN against `code`. */
  wrongPin(code: string): void {
    const now = this.#clock.now();
    let bucket = this.#codes.get(code);
    if (bucket) this.#codes.delete(code);
    else {
      if (this.#codes.size >= MAX_TRACKED_OWN_PHOTO_CODES) {
        const oldest = this.#codes.keys().next();
        if (!oldest.done) this.#codes.delete(oldest.value);
      }
      bucket = new TokenBucket({ rateBytesPerSec: 1000 / this.#refillMs, burstBytes: this.#burst, now });
    }
    this.#codes.set(code, bucket);
    bucket.take(1, now);
  }
}
