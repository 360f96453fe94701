import { EventEmitter } from 'node:events';
import { AppError } from '../errors.ts';

/**
 * One lifecycle for every resource, in the style of Holepunch's ready-resource, plus the two rules
 * ready-resource leaves to each class: a failed `ready()` closes what it had opened, and children
 * close last-opened-first.
 *
 * A subclass opens its parts in `_open()`, registering each with `this.own(part)` (or a cleanup with
 * `this.defer(fn)`) as soon as it exists; `close()` closes them in reverse, then runs `_close()`.
 * `ready()` and `close()` are memoised: calling either again returns the same promise, `close()`
 * during `ready()` waits for the open to settle first, and `ready()` after `close()` rejects.
 */
export interface Closable {
  close(): Promise<void> | void;
}

/** An EventEmitter, like ready-resource: most resources also report progress or status by events. */
export abstract class Resource extends EventEmitter {
  #opening: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  /** Cleanups in opening order; run in reverse. */
  readonly #cleanups: Array<() => Promise<void> | void> = [];
  readonly #closeSignal = new AbortController();
  #opened = false;
  #closed = false;

  /** `_open()` completed. */
  get opened(): boolean {
    return this.#opened;
  }

  /** `close()` began: long waits in `_open()` stop, background loops end. */
  get closing(): boolean {
    return this.#closing !== null;
  }

  /** Everything is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Aborted when `close()` begins: hand it to sleeps and fetches that must not outlive the resource. */
  get closeSignal(): AbortSignal {
    return this.#closeSignal.signal;
  }

  ready(): Promise<void> {
    if (this.#closing && this.#opened) {
      return Promise.reject(new AppError('shutting_down', `${this.constructor.name} was closed; create a new one.`));
    }
    this.#opening ??= this.#open();
    return this.#opening;
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closeSignal.abort(new Error(`${this.constructor.name} is closing`));
    this.#closing = (async () => {
      // Let an open in progress settle (it sees `closing` and stops), then undo what it did.
      await this.#opening?.catch(() => {});
      await this.#shutdown();
    })();
    return this.#closing;
  }

  /** Opens the resource; register each part with `own`/`defer` as soon as it exists. */
  protected abstract _open(): Promise<void>;

  /** Runs after every owned part is closed. */
  protected async _close(): Promise<void> {}

  /** Registers a part to close with this resource (before those registered earlier); returns it. */
  protected own<T extends Closable>(part: T): T {
    this.#cleanups.push(() => part.close());
    return part;
  }

  /** Registers a cleanup to run with this resource's close (before those registered earlier). */
  protected defer(cleanup: () => Promise<void> | void): void {
    this.#cleanups.push(cleanup);
  }

  async #open(): Promise<void> {
    if (this.#closing) throw new AppError('shutting_down', `${this.constructor.name} was closed; create a new one.`);
    try {
      await this._open();
      if (this.#closing)
        throw new AppError('shutting_down', `${this.constructor.name} was closed while it was opening.`);
    } catch (err) {
      // What was opened is closed before the caller hears of the failure. A close() already in
      // flight does the same once this settles.
      if (!this.#closing) {
        this.#closeSignal.abort(err);
        this.#closing = this.#shutdown();
        await this.#closing.catch(() => {});
      }
      throw err;
    }
    this.#opened = true;
  }

  async #shutdown(): Promise<void> {
    const failures: unknown[] = [];
    while (this.#cleanups.length > 0) {
      const cleanup = this.#cleanups.pop()!;
      try {
        await cleanup();
      } catch (err) {
        // One part failing to close must not keep the others open.
        failures.push(err);
      }
    }
    try {
      await this._close();
    } catch (err) {
      failures.push(err);
    }
    this.#closed = true;
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1)
      throw new AggregateError(failures, `${this.constructor.name}: ${failures.length} parts failed to close`);
  }
}
