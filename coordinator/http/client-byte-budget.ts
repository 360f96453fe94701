import { TokenBucket } from '../../shared/policy/token-bucket.ts';
import { clientKeyOf } from './client-key.ts';
import { MAX_TRACKED_CLIENTS } from './client-rate-limiter.ts';

const HOUR_MS = 3_600_000;

/**
 * Bytes a client address may upload per hour (a token bucket of bytes, refilled evenly). Checked
 * before a body is read (a client in debt is refused at once) and charged with what it sent, so
 * one client can never fill the coordinator's disk with fans' photos. Time comes from the caller.
 */
export class ClientByteBudget {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #bytesPerHour: number;

  constructor(opts: { bytesPerHour: number }) {
    this.#bytesPerHour = opts.bytesPerHour;
  }

  /** Milliseconds before this client may upload again (0: now). */
  retryAfterMs(ip: string, now: number): number {
    const bucket = this.#buckets.get(clientKeyOf(ip));
    if (!bucket) return 0;
    const available = bucket.available(now);
    if (available > 0) return 0;
    return Math.max(1, Math.ceil(((1 - available) / this.#bytesPerHour) * HOUR_MS));
  }

  spend(ip: string, bytes: number, now: number): void {
    const key = clientKeyOf(ip);
    let bucket = this.#buckets.get(key);
    if (bucket) this.#buckets.delete(key);
    else {
      if (this.#buckets.size >= MAX_TRACKED_CLIENTS) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
      bucket = new TokenBucket({
        rateBytesPerSec: this.#bytesPerHour / 3_600,
        burstBytes: this.#bytesPerHour,
        now,
      });
    }
    this.#buckets.set(key, bucket);
    bucket.take(bytes, now);
  }
}
