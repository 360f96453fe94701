import type { Clock } from '../../shared/ports/clock.ts';
import type { Store } from '../store/port.ts';
import type { FeedLogger } from './swarm-seeder.ts';

/** A lease counts as held without a gap only this long before its expiry (clock skew between instances). */
export const LEASE_CLOCK_MARGIN_MS = 1000;

/** `continuous`: held with no gap since the last grant; `fresh`: just taken (someone else may have appended). */
export type LeaseState = 'continuous' | 'fresh' | 'lost';

/**
 * The store leases that make one coordinator process the only writer of a feed (an event's feed, a
 * venue's orders feed). Keys are feed ids; `leaseName` turns one into the store lease's name.
 * A holder whose lease is `fresh` must catch its replica up to the committed head before it
 * appends, because appending from a shorter replica forks the feed.
 */
export class FeedLeases {
  readonly #store: Store;
  readonly #instanceId: string;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #logger: FeedLogger;
  readonly #leaseName: (key: string) => string;
  /** Key → lease expiry we were granted. */
  readonly #held = new Map<string, number>();

  constructor(opts: {
    store: Store;
    instanceId: string;
    ttlMs: number;
    clock: Clock;
    logger: FeedLogger;
    leaseName: (key: string) => string;
  }) {
    this.#store = opts.store;
    this.#instanceId = opts.instanceId;
    this.#ttlMs = opts.ttlMs;
    this.#clock = opts.clock;
    this.#logger = opts.logger;
    this.#leaseName = opts.leaseName;
  }

  /** Keys whose lease this instance holds now. */
  live(): string[] {
    const now = this.#clock.now();
    return [...this.#held].filter(([, until]) => until > now).map(([key]) => key);
  }

  /** Keys this instance took a lease for and has not released (live or not). */
  taken(): string[] {
    return [...this.#held.keys()];
  }

  async acquire(key: string): Promise<LeaseState> {
    const now = this.#clock.now();
    const heldUntil = this.#held.get(key);
    const granted = await this.#store.acquireLease(this.#leaseName(key), this.#instanceId, now, this.#ttlMs);
    if (!granted) {
      this.#held.delete(key);
      return 'lost';
    }
    const margin = Math.min(LEASE_CLOCK_MARGIN_MS, this.#ttlMs / 4);
    const continuous = heldUntil !== undefined && heldUntil - margin > now;
    this.#held.set(key, now + this.#ttlMs);
    return continuous ? 'continuous' : 'fresh';
  }

  /** Forgets the grant without releasing it (it lapsed: the next acquire is fresh). */
  forget(key: string): void {
    this.#held.delete(key);
  }

  async release(key: string): Promise<void> {
    this.#held.delete(key);
    try {
      await this.#store.releaseLease(this.#leaseName(key), this.#instanceId);
    } catch (err) {
      this.#logger.warn({ err, key }, 'could not release the feed lease; it will expire');
    }
  }

  /**
   * Runs `work` (a catch-up) while renewing the lease every third of its TTL. `broken`: a renewal
   * found a gap, so another instance may have appended meanwhile; the grant is then forgotten.
   */
  async renewingWhile<T>(key: string, work: () => Promise<T>): Promise<{ value: T; broken: boolean }> {
    let broken = false;
    let renewing: Promise<void> = Promise.resolve();
    const timer = this.#clock.setInterval(
      () => {
        renewing = renewing.then(async () => {
          if ((await this.acquire(key).catch(() => 'lost' as const)) !== 'continuous') broken = true;
        });
      },
      Math.max(10, Math.floor(this.#ttlMs / 3)),
    );
    let value: T;
    try {
      value = await work();
    } finally {
      timer.cancel();
      await renewing;
    }
    if (broken) this.forget(key);
    return { value, broken };
  }
}
