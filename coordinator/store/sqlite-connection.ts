import Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import { storeConflict } from './port.ts';
import { configureConnection, createSchema, SQLITE_BUSY_TIMEOUT_MS } from './sqlite-schema.ts';

/** Bounds one group commit, so one transaction never holds the file lock for long. */
export const MAX_GROUP_COMMIT_OPS = 256;
/**
 * A group commit that finds the write lock held by another process (a second coordinator on this
 * file, committing) yields the event loop and tries again, up to this many times in a row, before
 * it waits in SQLite's own busy handler, which sleeps with the event loop blocked (issue #16: two
 * processes on one store). An idle loop turns over in microseconds, so this is tens of
 * milliseconds at least: longer than the other process's commit (one fsync).
 */
export const GROUP_COMMIT_BUSY_YIELDS = 10_000;

function isBusy(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code.startsWith('SQLITE_BUSY');
}

/** Rows keep each record whole as JSON in `doc`; parsing gives the caller its own copy. */
interface DocRow {
  doc: string;
}

export function parseDoc<T>(row: unknown): T | null {
  return row === undefined ? null : (JSON.parse((row as DocRow).doc) as T);
}

export function parseDocs<T>(rows: unknown[]): T[] {
  return rows.map((row) => JSON.parse((row as DocRow).doc) as T);
}

export function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof Database.SqliteError &&
    (err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err.code === 'SQLITE_CONSTRAINT_UNIQUE')
  );
}

interface GroupOp {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type GroupOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** One open database: cached prepared statements and the locked-transaction helper. */
export class SqliteConnection {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  /**
   * Transaction wrappers built once: db.transaction() builds four closures and their properties on
   * every call, and a group commit wrapped every operation in one (issue #16: GC and CPU per
   * redemption). Called inside a transaction, a better-sqlite3 transaction is a savepoint.
   */
  readonly #run: Database.Transaction<(fn: () => unknown) => unknown>;
  readonly #runGroup: Database.Transaction<(ops: GroupOp[], outcomes: GroupOutcome[]) => void>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#run = db.transaction((fn: () => unknown) => fn());
    this.#runGroup = db.transaction((ops: GroupOp[], outcomes: GroupOutcome[]) => {
      for (const op of ops) {
        try {
          // Each operation in its own savepoint: one that throws is rolled back alone.
          outcomes.push({ ok: true, value: this.#run(op.fn) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
  }

  /** Opens (creating if needed) the file and its schema. */
  static open(path: string): SqliteConnection {
    const db = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    try {
      configureConnection(db);
      createSchema(db);
    } catch (err) {
      db.close();
      if (err instanceof AppError) throw err;
      throw new AppError(
        'store_unavailable',
        `cannot open the SQLite store at ${path}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return new SqliteConnection(db);
  }

  close(): void {
    // Operations already queued were promised a commit (or an answer): give it to them first.
    while (this.#group.length > 0) this.#commitGroup();
    while (this.#reads.length > 0) this.#runReads();
    this.#statements.clear();
    this.#db.close();
  }

  sql(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` holding the write lock (BEGIN IMMEDIATE), so its reads and writes are one atomic step. */
  locked<T>(fn: () => T): T {
    return this.#run.immediate(fn) as T;
  }

  /**
   * Group commit: like `locked`, but operations queued in the same turn of the event loop share
   * one BEGIN IMMEDIATE … COMMIT, so they share one fsync. Each runs in its own savepoint, so one
   * that throws is rolled back alone and the others still commit. Nothing resolves before the
   * commit is durable. Under load (many printers redeeming at once) this turns N fsyncs into one.
   */
  lockedGrouped<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#group.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.#group.length === 1) setImmediate(() => this.#commitGroup());
    });
  }

  #group: GroupOp[] = [];
  #reads: GroupOp[] = [];

  /**
   * A read that waits for the end of this turn of the event loop and runs there back to back with
   * the others queued in the turn. For the read on every request of a kind (the printer lookup of
   * each printer API call): run alone between a request's signature check and its HTTP work it cost
   * several times what it costs in a run of reads (issue #16; the code and data SQLite needs are
   * still in the CPU's caches). Each read is its own statement, as with sql().get(). SqliteStore
   * reads printers this way: every printer API call looks its printer up.
   */
  readGrouped<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#reads.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.#reads.length === 1) setImmediate(() => this.#runReads());
    });
  }

  /** One record by `sql` (a `SELECT doc …`), read as readGrouped reads. */
  readDocGrouped<T>(sql: string, ...params: unknown[]): Promise<T | null> {
    return this.readGrouped(() => parseDoc<T>(this.sql(sql).get(...params)));
  }

  #runReads(): void {
    const ops = this.#reads;
    this.#reads = [];
    for (const op of ops) {
      try {
        op.resolve(op.fn());
      } catch (err) {
        op.reject(err);
      }
    }
  }
  #busyYields = 0;

  #commitGroup(): void {
    const ops = this.#group.splice(0, MAX_GROUP_COMMIT_OPS);
    if (ops.length === 0) return;
    if (this.#group.length > 0) setImmediate(() => this.#commitGroup());
    const outcomes: GroupOutcome[] = [];
    const yielding = this.#busyYields < GROUP_COMMIT_BUSY_YIELDS;
    // Cached statements: db.pragma() parses its text on every call, and this runs once per commit.
    if (yielding) this.sql('PRAGMA busy_timeout = 0').get();
    try {
      this.#runGroup.immediate(ops, outcomes);
    } catch (error) {
      if (yielding && isBusy(error)) {
        // Nothing of the group happened; it goes first in the next try, and requests are served meanwhile.
        this.#busyYields++;
        this.#group.unshift(...ops);
        setImmediate(() => this.#commitGroup());
        return;
      }
      // The commit itself failed (e.g. busy beyond the timeout): nothing of the group happened.
      for (const op of ops) op.reject(error);
      return;
    } finally {
      if (yielding) this.sql(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`).get();
    }
    this.#busyYields = 0;
    ops.forEach((op, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(outcome.error);
    });
  }

  /** Runs an INSERT, turning a primary-key or unique violation into a `store_conflict` AppError. */
  insert(sql: string, params: unknown[], what: string): void {
    try {
      this.sql(sql).run(...params);
    } catch (err) {
      if (isUniqueViolation(err)) throw storeConflict(what);
      throw err;
    }
  }
}
