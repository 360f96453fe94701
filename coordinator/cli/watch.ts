import { createHash } from 'node:crypto';
import { type FSWatcher, watch as watchFolder } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../shared/config/config-error.ts';
import { AppError } from '../../shared/errors.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { type Clock, systemClock, type Timer } from '../../shared/ports/clock.ts';
import { errorMessage, isCandidateFileName, isUploadRejected, type UploadFn, type WatchLogger } from './hot-file.ts';
import {
  DEFAULT_POLL_MS,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_STABLE_MS,
  type HotFolderOptions,
  type HotFolderStats,
  MAX_UPLOAD_ATTEMPTS,
  noopLogger,
  type Phase,
  retryDelayMs,
  signature,
  type TrackedFile,
  WATCH_EVENT_DEBOUNCE_MS,
} from './hot-folder-options.ts';
import { readStableFile } from './stable-file-read.ts';
import { TrackedFiles } from './tracked-files.ts';
import { type JournalRecord, UploadJournal } from './upload-journal.ts';

/**
 * The tethered-camera hot folder: every finished JPEG/PNG that lands in the folder is uploaded to
 * the coordinator exactly once, including across restarts.
 *
 * Why fs.watch plus periodic rescans rather than chokidar: the rescan is needed anyway (it is what
 * drives the stability clock, retries failed uploads, and is the only thing that works on network
 * shares and some USB/SD mounts where change notifications never arrive), and the stability rule
 * here (size AND mtime unchanged for stableMs, then a full read that must match) is stricter than
 * chokidar's awaitWriteFinish, which watches size only. With the rescan carrying correctness,
 * fs.watch is just a hint that makes new files show up sooner, and chokidar would add a second,
 * differently-behaving state machine on top of ours.
 *
 * Only the top level of the folder is watched: tethering tools write the shots there, and their
 * subfolders hold sidecars, previews and trash that must not be sold.
 */

export class HotFolderUploader extends Resource {
  private readonly folder: string;
  private readonly journalPath: string;
  private readonly uploadFn: UploadFn;
  private readonly stableMs: number;
  private readonly pollMs: number;
  private readonly retryBaseMs: number;
  private readonly maxAttempts: number;
  private readonly log: WatchLogger;
  private readonly clock: Clock;

  private readonly files: TrackedFiles;
  /** Content already uploaded or known to the coordinator. */
  private readonly doneHashes = new Set<string>();
  /** name+size+mtime of journaled files: spares rehashing a whole shoot on every restart. */
  private readonly doneSignatures = new Set<string>();
  private readonly counters: HotFolderStats = { uploaded: 0, duplicates: 0, failed: 0, skipped: 0 };

  private journal: UploadJournal | null = null;
  private watcher: FSWatcher | null = null;
  private pollTimer: Timer | null = null;
  private debounceTimer: Timer | null = null;
  private scanChain: Promise<void> = Promise.resolve();
  private pendingScan: Promise<void> | null = null;
  private pumpRun: Promise<void> | null = null;
  private readonly sleepers = new Set<() => void>();
  private readonly idleWaiters = new Set<() => void>();
  private folderMissingWarned = false;

  constructor(opts: HotFolderOptions) {
    super();
    this.folder = path.resolve(opts.folder);
    this.journalPath = path.resolve(opts.journalPath);
    this.uploadFn = opts.upload;
    this.stableMs = opts.stableMs ?? DEFAULT_STABLE_MS;
    this.files = new TrackedFiles(this.stableMs);
    this.pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    this.retryBaseMs = opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.maxAttempts = opts.maxAttempts ?? MAX_UPLOAD_ATTEMPTS;
    this.log = opts.logger ?? noopLogger;
    this.clock = opts.clock ?? systemClock;
  }

  get stats(): Readonly<HotFolderStats> {
    return { ...this.counters };
  }

  /** Journal, then folder notifications and rescans; close() undoes them in reverse. */
  protected async _open(): Promise<void> {
    const folderStat = await fs.stat(this.folder).catch(() => null);
    if (!folderStat?.isDirectory()) {
      throw new ConfigError(`The hot folder ${this.folder} does not exist or is not a folder.`, {
        folder: this.folder,
      });
    }

    const { journal, records } = await UploadJournal.open(this.journalPath, this.log);
    this.journal = journal;
    this.defer(async () => {
      await journal.close();
      this.journal = null;
      for (const resolve of this.idleWaiters) resolve();
      this.idleWaiters.clear();
      this.log.info({ ...this.counters }, 'hot folder closed');
    });
    // Scans and the upload in flight finish first, so their outcomes reach the journal.
    this.defer(async () => {
      await this.scanChain;
      await this.pumpRun;
    });
    for (const r of records) {
      this.doneHashes.add(r.sha256);
      this.doneSignatures.add(signature(r.name, r.size, r.mtimeMs));
    }
    if (this.closing) return;

    try {
      this.watcher = watchFolder(this.folder, { persistent: false }, () => this.scanSoon());
      this.watcher.on('error', (err) => {
        this.log.warn({ err, folder: this.folder }, 'folder notifications stopped; relying on rescans');
        this.watcher?.close();
        this.watcher = null;
      });
    } catch (err) {
      this.log.warn({ err, folder: this.folder }, 'folder notifications unavailable; relying on rescans');
    }
    this.pollTimer = this.clock.setInterval(() => void this.requestScan(), this.pollMs);
    this.log.info({ folder: this.folder, journal: this.journalPath, journaled: records.length }, 'watching hot folder');
    await this.requestScan();
  }

  /** Rescans now, then resolves once no file is settling, queued or being uploaded. */
  async idle(): Promise<void> {
    await this.ready();
    await this.requestScan();
    while (!this.closing && !this.isIdle()) {
      await new Promise<void>((resolve) => this.idleWaiters.add(resolve));
    }
  }

  /** Stops new work at once (timers, notifications, retry waits), then closes the parts in reverse. */
  override close(): Promise<void> {
    const closing = super.close();
    this.pollTimer?.cancel();
    this.debounceTimer?.cancel();
    this.watcher?.close();
    this.watcher = null;
    for (const wake of this.sleepers) wake();
    return closing;
  }

  private isIdle(): boolean {
    return !this.pumpRun && !this.files.hasWork();
  }

  private notifyIdleWaiters(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters) resolve();
    this.idleWaiters.clear();
  }

  private scanSoon(): void {
    if (this.closing || this.debounceTimer) return;
    this.debounceTimer = this.clock.setTimeout(() => {
      this.debounceTimer = null;
      void this.requestScan();
    }, WATCH_EVENT_DEBOUNCE_MS);
  }

  /** Scans run one at a time; requests made while one runs share the next one. */
  private requestScan(): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (this.pendingScan) return this.pendingScan;
    const scan = this.scanChain
      .then(async () => {
        this.pendingScan = null;
        if (this.closing) return;
        await this.scanOnce();
        this.startPump();
        this.notifyIdleWaiters();
      })
      .catch((err: unknown) => this.log.error({ err }, 'hot folder scan failed'));
    this.pendingScan = scan;
    this.scanChain = scan;
    return scan;
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      const entries = await fs.readdir(this.folder, { withFileTypes: true });
      names = entries.filter((e) => e.isFile() && isCandidateFileName(e.name)).map((e) => e.name);
      this.folderMissingWarned = false;
    } catch (err) {
      if (!this.folderMissingWarned) this.log.warn({ err, folder: this.folder }, 'cannot read the hot folder');
      this.folderMissingWarned = true;
      return;
    }

    // One instant for the whole scan, so files found together become ready together and go out
    // strictly by mtime rather than by how the stat calls happened to interleave with the clock.
    const now = this.clock.now();
    const present = new Set<string>();
    for (const name of names) {
      const filePath = path.join(this.folder, name);
      const stat = await fs.stat(filePath).catch(() => null);
      if (!stat?.isFile()) continue;
      present.add(filePath);
      const known = () => this.doneSignatures.has(signature(name, stat.size, stat.mtimeMs));
      if (this.files.observe(filePath, name, stat.size, stat.mtimeMs, now, known)) this.counters.skipped++;
    }
    this.files.keepOnly(present);
  }

  /** One upload at a time: the loop drains the queue, later scans only add to it. */
  private startPump(): void {
    if (this.pumpRun || this.closing || !this.files.nextQueued()) return;
    // Cleared in a promise reaction, i.e. always after the assignment below.
    const run: Promise<void> = this.pumpLoop().finally(() => {
      if (this.pumpRun === run) this.pumpRun = null;
      this.notifyIdleWaiters();
    });
    this.pumpRun = run;
  }

  private async pumpLoop(): Promise<void> {
    try {
      for (let next = this.files.nextQueued(); next && !this.closing; next = this.files.nextQueued()) {
        await this.process(next);
      }
    } catch (err) {
      this.log.error({ err }, 'hot folder upload loop failed');
    }
  }

  private async process(file: TrackedFile): Promise<void> {
    file.phase = 'uploading';
    const read = await readStableFile(file, this.stableMs, this.clock, this.log);
    if (read === 'missing') this.files.forget(file.path);
    if (read === 'not_image') {
      this.counters.failed++;
      this.log.error({ file: file.name }, 'not a JPEG or PNG despite its name; ignoring it');
      file.phase = 'rejected';
    }
    if (typeof read === 'string') return;
    const { bytes, size, mtimeMs } = read;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const finish = (phase: Phase) => {
      // A write that landed while we were busy makes the file settle again (maybe new content).
      file.phase = file.size === size && file.mtimeMs === mtimeMs ? phase : 'settling';
    };

    if (this.doneHashes.has(sha256)) {
      this.counters.skipped++;
      this.log.info({ file: file.name, sha256 }, 'already uploaded (same content), skipping');
      finish('done');
      return;
    }

    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.uploadFn({ path: file.path, fileName: file.name, bytes, sha256 });
        this.doneHashes.add(sha256);
        if (outcome === 'duplicate') this.counters.duplicates++;
        else this.counters.uploaded++;
        await this.record({ sha256, name: file.name, size, mtimeMs, outcome, at: this.clock.now() });
        this.log.info({ file: file.name, sha256, outcome, bytes: size }, 'uploaded');
        finish('done');
        return;
      } catch (err) {
        if (isUploadRejected(err)) {
          this.counters.failed++;
          const code = err.details?.remoteCode;
          this.log.error({ file: file.name, err: err.message, status: err.status, code }, 'upload refused');
          finish('rejected');
          return;
        }
        const delayMs = retryDelayMs(this.retryBaseMs, attempt);
        if (attempt >= this.maxAttempts || this.closing) {
          this.counters.failed++;
          file.readyAt = this.clock.now() + delayMs;
          this.log.error(
            { file: file.name, err: errorMessage(err), attempts: attempt, retryInMs: delayMs },
            'upload failed; will retry on a later rescan',
          );
          finish('failed');
          return;
        }
        this.log.warn(
          { file: file.name, err: errorMessage(err), attempt, retryInMs: delayMs },
          'upload failed; retrying',
        );
        await this.sleep(delayMs);
        if (this.closing) {
          finish('failed');
          return;
        }
      }
    }
  }

  private async record(record: JournalRecord): Promise<void> {
    this.doneSignatures.add(signature(record.name, record.size, record.mtimeMs));
    try {
      if (!this.journal) throw new AppError('resource_not_ready', 'The upload journal is closed.');
      await this.journal.append(record);
    } catch (err) {
      // The upload itself succeeded; after a restart the coordinator would answer "duplicate".
      this.log.error({ err, file: record.name, journal: this.journalPath }, 'could not write the upload journal');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        timer.cancel();
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = this.clock.setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

export {
  type HotFile,
  isCandidateFileName,
  isUploadRejected,
  type UploadFn,
  type UploadOutcome,
  uploadRejected,
  type WatchLogger,
} from './hot-file.ts';
export { DEFAULT_STABLE_MS, type HotFolderOptions, type HotFolderStats } from './hot-folder-options.ts';
export { httpUploader, UPLOAD_TIMEOUT_MS } from './http-uploader.ts';
