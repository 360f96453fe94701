import type { TrackedFile } from './hot-folder-options.ts';

/**
 * The hot folder's files as rescans find them, each in its phase (hot-folder-options.ts). A file
 * goes to the queue only once a rescan finds its size and mtime unchanged for stableMs.
 */
export class TrackedFiles {
  readonly #files = new Map<string, TrackedFile>();
  readonly #stableMs: number;

  constructor(stableMs: number) {
    this.#stableMs = stableMs;
  }

  /**
   * Takes what a scan at `now` found at `filePath`. A file seen for the first time is done already
   * when `known()` (the journal holds its name, size and mtime); true then: one more file skipped.
   */
  observe(filePath: string, name: string, size: number, mtimeMs: number, now: number, known: () => boolean): boolean {
    const tracked = this.#files.get(filePath);
    if (!tracked) {
      const done = known();
      this.#files.set(filePath, {
        path: filePath,
        name,
        size,
        mtimeMs,
        phase: done ? 'done' : 'settling',
        stableSince: now,
        readyAt: now + this.#stableMs,
      });
      return done;
    }
    if (tracked.size !== size || tracked.mtimeMs !== mtimeMs) {
      // Still being written, or replaced: the stability clock starts over.
      tracked.size = size;
      tracked.mtimeMs = mtimeMs;
      tracked.stableSince = now;
      tracked.readyAt = now + this.#stableMs;
      if (tracked.phase !== 'uploading') tracked.phase = 'settling';
      return false;
    }
    if ((tracked.phase === 'settling' || tracked.phase === 'failed') && now >= tracked.readyAt) {
      tracked.phase = 'queued';
    }
    return false;
  }

  /** Drops the files a scan no longer found, but not one being uploaded: its outcome is still to come. */
  keepOnly(present: ReadonlySet<string>): void {
    for (const [filePath, tracked] of this.#files) {
      if (!present.has(filePath) && tracked.phase !== 'uploading') this.#files.delete(filePath);
    }
  }

  forget(filePath: string): void {
    this.#files.delete(filePath);
  }

  /** Oldest shot first, so the gallery fills in the order the photos were taken. */
  nextQueued(): TrackedFile | null {
    let best: TrackedFile | null = null;
    for (const f of this.#files.values()) {
      if (f.phase !== 'queued') continue;
      if (!best || f.mtimeMs < best.mtimeMs || (f.mtimeMs === best.mtimeMs && f.name < best.name)) best = f;
    }
    return best;
  }

  /** Whether a file is settling, queued or being uploaded. */
  hasWork(): boolean {
    for (const f of this.#files.values()) {
      if (f.phase === 'settling' || f.phase === 'queued' || f.phase === 'uploading') return true;
    }
    return false;
  }
}
