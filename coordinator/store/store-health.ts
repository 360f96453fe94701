import Database from 'better-sqlite3';

/** Problems listed at most; a badly damaged file reports thousands of lines. */
export const MAX_REPORTED_STORE_PROBLEMS = 20;
/** SQLite error codes that mean the file itself is damaged or unreadable (not a busy lock or bad input). */
const DAMAGE_CODES = /^SQLITE_(CORRUPT|NOTADB|IOERR)/;

/**
 * PRAGMA quick_check on its own read-only connection: a damaged page is found at start, not when a
 * fan's order happens to touch it. Returns the problems (empty: the file is sound).
 */
export function sqliteQuickCheck(path: string): string[] {
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma(`quick_check(${MAX_REPORTED_STORE_PROBLEMS})`) as Array<{ quick_check: string }>;
    const problems = rows.map((r) => r.quick_check).filter((line) => line !== 'ok');
    return problems;
  } catch (err) {
    return [`cannot check the database: ${err instanceof Error ? err.message : String(err)}`];
  } finally {
    db?.close();
  }
}

export interface StoreHealthReport {
  ok: boolean;
  /** From the check at start. */
  problems: string[];
  /** The last damage error a request met since start. */
  lastError: { code: string; message: string; at: number } | null;
}

/** What /healthz says about the store beyond "it answers": damage found at start or met since. */
export class StoreHealth {
  #problems: string[] = [];
  #lastError: StoreHealthReport['lastError'] = null;

  noteCheck(problems: readonly string[]): void {
    this.#problems = problems.slice(0, MAX_REPORTED_STORE_PROBLEMS);
  }

  /** Records `err` if it says the store file is damaged; true when it did. */
  noteError(err: unknown, now: number): boolean {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || !DAMAGE_CODES.test(code)) return false;
    this.#lastError = { code, message: err instanceof Error ? err.message : String(err), at: now };
    return true;
  }

  get report(): StoreHealthReport {
    return {
      ok: this.#problems.length === 0 && this.#lastError === null,
      problems: [...this.#problems],
      lastError: this.#lastError,
    };
  }
}
