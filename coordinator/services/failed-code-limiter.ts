import { TokenBucket } from '../../shared/policy/token-bucket.ts';
import type { Clock } from '../../shared/ports/clock.ts';

/** A printer may get this many typed codes wrong before it is slowed (typos at a busy kiosk). */
export const FAILED_CODE_BURST = 10;
/** After the burst, one more wrong code is answered normally per this long. */
export const FAILED_CODE_REFILL_MS = 30_000;
/** Wrong codes a whole venue may type before all its printers are slowed (many printers, one guesser). */
export const VENUE_FAILED_CODE_BURST = 50;
export const VENUE_FAILED_CODE_REFILL_MS = 3_000;
/**
 * A wrong code past the budget is answered only after this long: below the printer's timeout for
 * typed codes (ONLINE_REDEEM_TIMEOUT_MS, 4 s), so the kiosk shows the refusal, not "no network".
 * Under attack this bounds guessing to one answer per 3 s per printer and two per venue.
 */
export const WRONG_CODE_HOLD_MS = 3_000;
/** Held wrong codes at once per venue; each printer may have one. */
export const MAX_HELD_WRONG_CODES_PER_VENUE = 2;

/** Wrong codes a printer, and all printers of a venue, may present before the answers slow down. */
export interface WrongCodeBurst {
  printer: number;
  venue: number;
}

/**
 * Brute-force brake for typed order codes. A code is 40 random bits and carries no signature, so
 * guessing is the attack. Only wrong codes are slowed: a right code always goes through at once,
 * so a fan behind a prankster (or after their own typos) is never refused their order.
 *
 * What keeps guessing slow when right codes answer at once: past the budget (per printer and per
 * venue, token buckets of wrong answers) a wrong code is held for WRONG_CODE_HOLD_MS before its
 * 429, and while a printer has a wrong code held (or its venue has MAX_HELD_WRONG_CODES_PER_VENUE)
 * further typed codes from it are refused before they are looked up, which tells nothing about
 * them. A guesser thus gets about one answer per hold per printer, at most two per hold per venue.
 * A kiosk sends one code at a time, so a fan typing after a refusal is never caught by that.
 * Per coordinator process; buckets are kept per paired printer and venue, sets operators bound.
 */
export class FailedCodeLimiter {
  readonly #printers = new Map<string, TokenBucket>();
  readonly #venues = new Map<string, TokenBucket>();
  readonly #heldPrinters = new Set<string>();
  readonly #heldPerVenue = new Map<string, number>();
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #venueBurst: number;
  readonly #venueRefillMs: number;

  constructor(opts: { clock: Clock; burst?: WrongCodeBurst; refillMs?: number; venueRefillMs?: number }) {
    this.#clock = opts.clock;
    this.#burst = opts.burst?.printer ?? FAILED_CODE_BURST;
    this.#refillMs = opts.refillMs ?? FAILED_CODE_REFILL_MS;
    this.#venueBurst = opts.burst?.venue ?? VENUE_FAILED_CODE_BURST;
    this.#venueRefillMs = opts.venueRefillMs ?? VENUE_FAILED_CODE_REFILL_MS;
  }

  /**
   * Before the lookup: the seconds to wait while this printer has a wrong code held, or its venue
   * has too many (null: go ahead). It does not depend on the code, so it reveals nothing about it.
   */
  busySeconds(printerId: string, venueId: string): number | null {
    const busy =
      this.#heldPrinters.has(printerId) || (this.#heldPerVenue.get(venueId) ?? 0) >= MAX_HELD_WRONG_CODES_PER_VENUE;
    return busy ? Math.ceil(WRONG_CODE_HOLD_MS / 1000) : null;
  }

  /**
   * After a lookup found no order for `printerId`: counts it against the printer and its venue.
   * Within the budget it resolves at once (the caller answers 404); past it, it resolves after
   * the hold with the seconds to wait before another wrong code is answered normally (429).
   */
  async wrongCode(printerId: string, venueId: string): Promise<{ retryAfterSeconds: number } | null> {
    const now = this.#clock.now();
    const printer = this.#bucket(this.#printers, printerId, this.#burst, this.#refillMs, now);
    const venue = this.#bucket(this.#venues, venueId, this.#venueBurst, this.#venueRefillMs, now);
    if (printer.canTake(1, now) && venue.canTake(1, now)) {
      printer.take(1, now);
      venue.take(1, now);
      return null;
    }
    this.#heldPrinters.add(printerId);
    this.#heldPerVenue.set(venueId, (this.#heldPerVenue.get(venueId) ?? 0) + 1);
    try {
      await this.#clock.sleep(WRONG_CODE_HOLD_MS);
    } finally {
      this.#heldPrinters.delete(printerId);
      const left = (this.#heldPerVenue.get(venueId) ?? 1) - 1;
      if (left > 0) this.#heldPerVenue.set(venueId, left);
      else this.#heldPerVenue.delete(venueId);
    }
    const later = this.#clock.now();
    const waitMs = Math.max(waitFor(printer, later, this.#refillMs), waitFor(venue, later, this.#venueRefillMs), 1);
    return { retryAfterSeconds: Math.ceil(waitMs / 1000) };
  }

  #bucket(map: Map<string, TokenBucket>, key: string, burst: number, refillMs: number, now: number): TokenBucket {
    let bucket = map.get(key);
    if (!bucket) {
      bucket = new TokenBucket({ rateBytesPerSec: 1000 / refillMs, burstBytes: burst, now });
      map.set(key, bucket);
    }
    return bucket;
  }
}

/** Milliseconds until `bucket` holds one whole token. */
function waitFor(bucket: TokenBucket, now: number, refillMs: number): number {
  return bucket.canTake(1, now) ? 0 : Math.ceil((1 - bucket.available(now)) * refillMs);
}
