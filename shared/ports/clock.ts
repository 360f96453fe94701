/**
 * Time as a port. Every reading of the current time and every wait in coordinator/, edge-node/,
 * sim/ and shared/ goes through a Clock, so tests and the simulator drive time by hand and a
 * deadline measured with the clock is also waited for with the same clock.
 */

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  cancel(): void;
  /** Do not keep the process alive for this timer (system clock only; a no-op on a manual clock). */
  unref(): Timer;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason (an AbortError by default) when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` once after `ms`. */
  setTimeout(fn: () => void, ms: number): Timer;
  /** Calls `fn` every `ms` until cancelled. */
  setInterval(fn: () => void, ms: number): Timer;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Shared by both clocks: a sleep is a timer plus an abort listener, both removed when either fires. */
function sleepWith(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(abortReason(signal as AbortSignal));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

class SystemTimer implements Timer {
  readonly #handle: ReturnType<typeof globalThis.setTimeout>;
  readonly #repeat: boolean;
  constructor(handle: ReturnType<typeof globalThis.setTimeout>, repeat: boolean) {
    this.#handle = handle;
    this.#repeat = repeat;
  }
  cancel(): void {
    if (this.#repeat) globalThis.clearInterval(this.#handle);
    else globalThis.clearTimeout(this.#handle);
  }
  unref(): Timer {
    this.#handle.unref?.();
    return this;
  }
}

/** The real clock: wall time and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return sleepWith(systemClock, ms, signal);
  },
  setTimeout: (fn, ms) => new SystemTimer(globalThis.setTimeout(fn, ms), false),
  setInterval: (fn, ms) => new SystemTimer(globalThis.setInterval(fn, ms), true),
};

interface ManualEntry {
  readonly id: number;
  dueAt: number;
  readonly everyMs: number | null;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock tests and the simulator move by hand. Timers fire in due order (ties in the order they
 * were set) when time is moved past them; a timer set by a callback for a moment inside the same
 * move fires in that move too.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #entries: ManualEntry[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): Timer {
    // An interval of 0 would fire forever inside one advance.
    return this.#add(fn, ms, Math.max(1, ms));
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#entries.filter((e) => !e.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, synchronously. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('A clock does not go backwards.');
    this.#runUntil(this.#now + ms);
  }

  /**
   * Moves time forward by `ms` like `advance`, but lets promise callbacks and I/O callbacks run
   * after each timer, so code that awaits between sleeps makes progress as it would in real time.
   */
  async tick(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError('A clock does not go backwards.');
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#fire(next);
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Sets the time; timers due by then fire. Moving backwards only moves the reading. */
  set(ms: number): void {
    if (ms <= this.#now) {
      this.#now = ms;
      return;
    }
    this.#runUntil(ms);
  }

  #add(fn: () => void, ms: number, everyMs: number | null): Timer {
    const entry: ManualEntry = {
      id: this.#nextId++,
      dueAt: this.#now + Math.max(0, ms),
      everyMs,
      fn,
      cancelled: false,
    };
    this.#entries.push(entry);
    const timer: Timer = {
      cancel: () => {
        entry.cancelled = true;
        this.#entries = this.#entries.filter((e) => e !== entry);
      },
      unref: () => timer,
    };
    return timer;
  }

  #nextDue(limit: number): ManualEntry | undefined {
    let best: ManualEntry | undefined;
    for (const e of this.#entries) {
      if (e.cancelled || e.dueAt > limit) continue;
      if (!best || e.dueAt < best.dueAt || (e.dueAt === best.dueAt && e.id < best.id)) best = e;
    }
    return best;
  }

  #fire(entry: ManualEntry): void {
    this.#now = Math.max(this.#now, entry.dueAt);
    if (entry.everyMs === null) {
      entry.cancelled = true;
      this.#entries = this.#entries.filter((e) => e !== entry);
    } else {
      entry.dueAt += entry.everyMs;
    }
    entry.fn();
  }

  #runUntil(target: number): void {
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#fire(next);
    }
    this.#now = target;
  }
}

/** Lets pending promise reactions and immediates run (one macrotask turn). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
