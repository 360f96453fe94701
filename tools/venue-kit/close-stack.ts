/**
 * Whoever owns what a kit function starts: ava's ExecutionContext fits, and so does CloseStack, so
 * the same starter serves a test (closed at the test's teardown) and a script (closed by the kit).
 */
export interface Owner {
  teardown(fn: () => unknown): void;
}

/**
 * Cleanups run last-registered-first, once: `close()` is memoised. With `parallel`, they run all at
 * once instead (siblings that do not depend on each other, like the printers of one venue). A
 * cleanup registered while or after the stack closes runs at once (a process that finished
 * starting during close() is still stopped). Every cleanup runs even when one fails; the failures
 * are rethrown together at the end.
 */
export class CloseStack implements Owner {
  readonly #parallel: boolean;
  #cleanups: Array<() => unknown> = [];
  #late: Array<Promise<unknown>> = [];
  #closing: Promise<void> | null = null;

  constructor(opts: { parallel?: boolean } = {}) {
    this.#parallel = opts.parallel ?? false;
  }

  teardown(fn: () => unknown): void {
    if (this.#closing === null) {
      this.#cleanups.push(fn);
      return;
    }
    this.#late.push(Promise.resolve().then(fn));
  }

  close(): Promise<void> {
    this.#closing ??= this.#run();
    return this.#closing;
  }

  async #run(): Promise<void> {
    const failures: unknown[] = [];
    if (this.#parallel) this.#late.push(...this.#cleanups.splice(0).map((fn) => Promise.resolve().then(fn)));
    for (let fn = this.#cleanups.pop(); fn !== undefined; fn = this.#cleanups.pop()) {
      try {
        await fn();
      } catch (err) {
        failures.push(err);
      }
    }
    for (const outcome of await Promise.allSettled(this.#late)) {
      if (outcome.status === 'rejected') failures.push(outcome.reason);
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'Several parts of the venue failed to close.');
  }
}
