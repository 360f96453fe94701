import { TokenBucket } from '../../shared/policy/token-bucket.ts';

/** A printer may get this many typed codes wrong before it has to wait (typos at a busy kiosk). */
export const FAILED_CODE_BURST = 10;
/** After the burst, one more wrong code is allowed per this long. */
export const FAILED_CODE_REFILL_MS = 30_000;

/**
 * Brute-force brake for typed order codes. A code is 40 random bits and, unlike a token, carries no
 * signature, so guessing is the attack: each printer has a bucket of wrong guesses (the bucket's
 * "bytes" are failed attempts) that refills slowly. Right codes cost nothing, so a fan behind a
 * prankster is only slowed if the prankster is at the same printer. Per coordinator process: with
 * several coordinators a printer's budget is multiplied by their number, which is still far below
 * what guessing 40 bits needs. Buckets are kept per paired printer, a set the operators bound.
 */
export class FailedCodeLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #burst: number;
  readonly #refillMs: number;

  constructor(opts: { burst?: number; refillMs?: number } = {}) {
    this.#burst = opts.burst ?? FAILED_CODE_BURST;
    this.#refillMs = opts.refillMs ?? FAILED_CODE_REFILL_MS;
  }

  /** Milliseconds before `printerId` may try another code (0: now). */
  retryAfterMs(printerId: string, now: number): number {
    const bucket = this.#buckets.get(printerId);
    if (!bucket || bucket.canTake(1, now)) return 0;
    return Math.max(1, Math.ceil((1 - bucket.available(now)) * this.#refillMs));
  }

  /** Counts one wrong code against `printerId`. */
  failed(printerId: string, now: number): void {
    let bucket = this.#buckets.get(printerId);
    if (!bucket) {
      bucket = new TokenBucket({ rateBytesPerSec: 1000 / this.#refillMs, burstBytes: this.#burst, now });
      this.#buckets.set(printerId, bucket);
    }
    bucket.take(1, now);
  }
}
