import { TokenBucket } from '../../shared/policy/token-bucket.ts';
import { clientKeyOf } from './client-key.ts';

/** Clients tracked at once per limiter; past it the least recently seen are forgotten. */
export const MAX_TRACKED_CLIENTS = 50_000;

/**
 * Anonymous order creation per client address (IPv6: /64). Generous, because a venue's guest
 * Wi-Fi puts many fans behind one address; it stops one client creating thousands a second.
 */
export const ORDER_BURST = 120;
export const ORDER_REFILL_MS = 500;
/** Wrong staff tokens per client address at sign-in (tokens are unguessable; this stops noise). */
export const SIGNIN_FAILURE_BURST = 10;
export const SIGNIN_FAILURE_REFILL_MS = 6_000;

/** A token bucket per client address. Time comes from the caller (the Clock port). */
export class ClientRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #maxClients: number;

  constructor(opts: { burst: number; refillMs: number; maxClients?: number }) {
    this.#burst = opts.burst;
    this.#refillMs = opts.refillMs;
    this.#maxClients = opts.maxClients ?? MAX_TRACKED_CLIENTS;
  }

  /** Milliseconds before this client may go on (0: now). */
  retryAfterMs(ip: string, now: number): number {
    const bucket = this.#buckets.get(clientKeyOf(ip));
    if (!bucket || bucket.canTake(1, now)) return 0;
    return Math.max(1, Math.ceil((1 - bucket.available(now)) * this.#refillMs));
  }

  /** Counts one request (or failure) of this client. */
  take(ip: string, now: number): void {
    const key = clientKeyOf(ip);
    let bucket = this.#buckets.get(key);
    if (bucket) this.#buckets.delete(key);
    else {
      if (this.#buckets.size >= this.#maxClients) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
      bucket = new TokenBucket({ rateBytesPerSec: 1000 / this.#refillMs, burstBytes: this.#burst, now });
    }
    // Re-inserted: the map's order is least recently seen first.
    this.#buckets.set(key, bucket);
    bucket.take(1, now);
  }
}
