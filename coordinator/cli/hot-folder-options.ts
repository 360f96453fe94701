import type { Clock } from '../../shared/ports/clock.ts';
import type { UploadFn, WatchLogger } from './hot-file.ts';

/** The hot folder uploader's options, limits and per-file state (see watch.ts). */

export interface HotFolderOptions {
  folder: string;
  journalPath: string;
  upload: UploadFn;
  /** A file must keep its size and mtime this long before it is read. */
  stableMs?: number;
  /** Rescan interval; also bounds how late a stable file is noticed. */
  pollMs?: number;
  logger?: WatchLogger;
  /** Time and timers (stability, retries, rescans); the system clock by default. */
  clock?: Clock;
  /** First retry delay after a failed upload; doubles per attempt up to MAX_RETRY_DELAY_MS. */
  retryBaseMs?: number;
  /** Attempts per round before the file is set aside until a later rescan. */
  maxAttempts?: number;
}

export interface HotFolderStats {
  uploaded: number;
  duplicates: number;
  failed: number;
  /** Files found already done in the journal (same content uploaded before, maybe under another name). */
  skipped: number;
}

export const DEFAULT_STABLE_MS = 2000;
export const DEFAULT_POLL_MS = 500;
export const DEFAULT_RETRY_BASE_MS = 1000;
export const MAX_UPLOAD_ATTEMPTS = 5;
export const MAX_RETRY_DELAY_MS = 60_000;
/**
 * A file whose bytes lack the format's end marker (JPEG EOI, PNG IEND) is most likely still being
 * written by a stalled writer, so it waits this many stable periods before being sent anyway (some
 * cameras append trailers after EOI; the coordinator makes the final call on such files).
 */
export const INCOMPLETE_FILE_PATIENCE_FACTOR = 10;
/** fs.watch fires several events per write; one rescan shortly after is enough. */
export const WATCH_EVENT_DEBOUNCE_MS = 50;

/* ---------------------------------------------------------------- uploader */

export type Phase =
  /** Waiting for size and mtime to stay put until readyAt. */
  | 'settling'
  /** Stable; waiting for its turn. */
  | 'queued'
  | 'uploading'
  | 'done'
  /** Retries exhausted this round; queued again by the first rescan after readyAt. */
  | 'failed'
  /** Refused for good (or not an image); left alone until the file changes. */
  | 'rejected';

export interface TrackedFile {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
  phase: Phase;
  /** When the current size and mtime were first seen. */
  stableSince: number;
  /** Earliest moment a rescan may queue the file. */
  readyAt: number;
}

export const noopLogger: WatchLogger = { info() {}, warn() {}, error() {} };

export const signature = (name: string, size: number, mtimeMs: number) => `${name}\u0000${size}\u0000${mtimeMs}`;

/** Exponential backoff from `baseMs`, capped at MAX_RETRY_DELAY_MS, with ±25 % jitter. */
export function retryDelayMs(baseMs: number, attempt: number): number {
  const base = Math.min(baseMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
  // Jitter keeps several photographers' laptops from retrying in lockstep after an outage.
  return Math.round(base * (0.75 + Math.random() * 0.5));
}
