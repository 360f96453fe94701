/**
 * Units waiting at the station for something to change (a printer freed a place in its queue, its
 * health changed, or the station closes). Every change wakes them all: each looks again for itself.
 */
export class StationWaiters {
  readonly #waiters: Array<() => void> = [];

  /** Resolves at the next wakeAll(); rejects with the signal's reason once it aborts (and stops waiting). */
  wait(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(wake);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal.reason);
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(wake);
    });
  }

  wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
