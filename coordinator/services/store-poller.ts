import type { Logger } from 'pino';
import type { Clock, Timer } from '../../shared/ports/clock.ts';

/**
 * One store poll per key, shared by every listener of that key: a thousand fans watching the same
 * event's gallery cost one query an interval, not a thousand. The store is the only source of
 * truth (several coordinator processes share it), hence polling rather than in-process events.
 *
 * Ticks never overlap (each is scheduled after the previous one finished), a key's timer stops
 * with its last listener, and a failing load is logged and retried on the next tick.
 */
export type PollListener<T> = (value: T) => void;

interface Channel<T> {
  listeners: Set<PollListener<T>>;
  timer: Timer | null;
  /** The first load: listeners that join wait for it. */
  first: Promise<T>;
  latest: T | null;
  loading: boolean;
}

/** Loads a key's current value; `previous` is the channel's last value (for computing what is new). */
export type PollLoad<T> = (key: string, previous: T | null) => Promise<T>;

export class StorePoller<T> {
  readonly #channels = new Map<string, Channel<T>>();
  readonly #load: PollLoad<T>;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #closed = false;

  constructor(opts: { load: PollLoad<T>; intervalMs: number; clock: Clock; logger: Logger }) {
    this.#load = opts.load;
    this.#intervalMs = opts.intervalMs;
    this.#clock = opts.clock;
    this.#logger = opts.logger;
  }

  /** Stops every channel's timer; listeners get nothing more. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const channel of this.#channels.values()) {
      channel.timer?.cancel();
      channel.timer = null;
    }
    this.#channels.clear();
  }

  /**
   * Delivers every later load of `key` to `listener`. Resolves with the channel's latest value and
   * an unsubscribe function; rejects when the channel's first load fails. The listener is added in
   * the same turn the latest value is read, so a change is either in `baseline` or delivered later.
   */
  async subscribe(key: string, listener: PollListener<T>): Promise<{ baseline: T; unsubscribe: () => void }> {
    let channel = this.#channels.get(key);
    if (!channel) {
      const created: Channel<T> = {
        listeners: new Set(),
        timer: null,
        first: this.#load(key, null),
        latest: null,
        loading: false,
      };
      channel = created;
      this.#channels.set(key, created);
      created.first.then(
        (value) => {
          created.latest ??= value;
          this.#schedule(key, created);
        },
        () => {
          if (this.#channels.get(key) === created) this.#channels.delete(key);
        },
      );
    }
    const first = await channel.first;
    const current = channel;
    const baseline = current.latest ?? first;
    current.listeners.add(listener);
    if (this.#channels.get(key) === current) this.#schedule(key, current);
    return {
      baseline,
      unsubscribe: () => {
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.#channels.get(key) === current) {
          current.timer?.cancel();
          current.timer = null;
          this.#channels.delete(key);
        }
      },
    };
  }

  /** Keys being polled right now (for tests and metrics). */
  get activeKeys(): number {
    return this.#channels.size;
  }

  #schedule(key: string, channel: Channel<T>): void {
    if (this.#closed || channel.timer || channel.loading || this.#channels.get(key) !== channel) return;
    channel.timer = this.#clock.setTimeout(() => void this.#tick(key, channel), this.#intervalMs).unref();
  }

  async #tick(key: string, channel: Channel<T>): Promise<void> {
    channel.timer = null;
    if (this.#channels.get(key) !== channel) return;
    if (channel.listeners.size === 0) {
      this.#channels.delete(key);
      return;
    }
    let value: T;
    channel.loading = true;
    try {
      value = await this.#load(key, channel.latest);
    } catch (err) {
      this.#logger.warn({ err, key }, 'live update poll failed; retrying');
      return;
    } finally {
      channel.loading = false;
      this.#schedule(key, channel);
    }
    channel.latest = value;
    for (const listener of [...channel.listeners]) {
      try {
        listener(value);
      } catch (err) {
        this.#logger.warn({ err, key }, 'live update listener failed');
      }
    }
  }
}
