import Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import {
  type ReorderEvent,
  type ReorderState,
  reorderFromStates,
  reorderTargetState,
} from '../../shared/policy/order-state.ts';
import { storeConflict } from '../store/port.ts';
import { isUniqueViolation, parseDoc, parseDocs } from '../store/sqlite-connection.ts';
import { SQLITE_BUSY_TIMEOUT_MS } from '../store/sqlite-schema.ts';
import { spendGrant } from './grant-use.ts';
import type {
  AfterEventSettings,
  DownloadGrantRecord,
  LabJobRecord,
  ReorderEventSummary,
  ReorderRecord,
} from './records.ts';
import type { GrantUse, ReorderPatch, ReorderStore, TransitionEffects } from './store-port.ts';
import { summariseReorders } from './summary.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reorders (id TEXT PRIMARY KEY, event_id TEXT NOT NULL, source_order_id TEXT,
  state TEXT NOT NULL, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS reorders_by_state ON reorders (state, created_at);
CREATE INDEX IF NOT EXISTS reorders_by_source ON reorders (source_order_id);
CREATE TABLE IF NOT EXISTS lab_jobs (id TEXT PRIMARY KEY, reorder_id TEXT NOT NULL, state TEXT NOT NULL,
  next_attempt_at INTEGER NOT NULL, lease_until INTEGER NOT NULL, created_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS lab_jobs_due ON lab_jobs (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS download_grants (id TEXT PRIMARY KEY, reorder_id TEXT NOT NULL, event_id TEXT NOT NULL,
  image_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS grants_by_reorder ON download_grants (reorder_id);
CREATE TABLE IF NOT EXISTS after_event_settings (event_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
`;

/**
 * Reorders on SQLite (a file of its own next to the coordinator's store, or ':memory:'). Each step
 * runs in BEGIN IMMEDIATE, so processes sharing the file never both apply one transition.
 */
export class SqliteReorderStore extends Resource implements ReorderStore {
  readonly #path: string;
  #db: Database.Database | null = null;

  constructor(options: { path: string }) {
    super();
    this.#path = options.path;
  }

  protected async _open(): Promise<void> {
    const db = new Database(this.#path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    this.defer(() => {
      this.#db = null;
      db.close();
    });
    db.pragma('journal_mode = WAL');
    // A crash (kill -9) must never lose a committed payment or outbox row.
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    this.#db = db;
  }

  get #d(): Database.Database {
    if (!this.#db) throw new AppError('store_not_ready', 'the reorder store is not open: call ready() first');
    return this.#db;
  }

  #locked<T>(fn: () => T): T {
    return this.#d.transaction(fn).immediate();
  }

  #read(id: string): ReorderRecord | null {
    return parseDoc(this.#d.prepare('SELECT doc FROM reorders WHERE id = ?').get(id));
  }

  #write(r: ReorderRecord): void {
    this.#d.prepare('UPDATE reorders SET state = ?, doc = ? WHERE id = ?').run(r.state, JSON.stringify(r), r.id);
  }

  #insertJob(job: LabJobRecord): void {
    try {
      this.#d
        .prepare(
          'INSERT INTO lab_jobs (id, reorder_id, state, next_attempt_at, lease_until, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(job.id, job.reorderId, job.state, job.nextAttemptAt, job.leaseUntil, job.createdAt, JSON.stringify(job));
    } catch (err) {
      if (isUniqueViolation(err)) throw storeConflict(`lab job ${job.id}`);
      throw err;
    }
  }

  #readJob(id: string): LabJobRecord | null {
    return parseDoc(this.#d.prepare('SELECT doc FROM lab_jobs WHERE id = ?').get(id));
  }

  #writeJob(job: LabJobRecord): void {
    this.#d
      .prepare('UPDATE lab_jobs SET state = ?, next_attempt_at = ?, lease_until = ?, doc = ? WHERE id = ?')
      .run(job.state, job.nextAttemptAt, job.leaseUntil, JSON.stringify(job), job.id);
  }

  async insertReorder(r: ReorderRecord): Promise<void> {
    try {
      this.#d
        .prepare(
          'INSERT INTO reorders (id, event_id, source_order_id, state, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(r.id, r.eventId, r.sourceOrderId, r.state, r.createdAt, JSON.stringify(r));
    } catch (err) {
      if (isUniqueViolation(err)) throw storeConflict(`reorder ${r.id}`);
      throw err;
    }
  }

  async getReorder(id: string): Promise<ReorderRecord | null> {
    return this.#read(id);
  }

  async listReorders(
    filter: { states?: readonly ReorderState[]; eventId?: string; sourceOrderId?: string },
    limit: number,
  ): Promise<ReorderRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.states) {
      where.push(`state IN (${filter.states.map(() => '?').join(',') || 'NULL'})`);
      params.push(...filter.states);
    }
    if (filter.eventId) {
      where.push('event_id = ?');
      params.push(filter.eventId);
    }
    if (filter.sourceOrderId) {
      where.push('source_order_id = ?');
      params.push(filter.sourceOrderId);
    }
    const sql = `SELECT doc FROM reorders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT ?`;
    return parseDocs(this.#d.prepare(sql).all(...params, limit));
  }

  async transitionReorder(
    id: string,
    event: ReorderEvent,
    patch: ReorderPatch = {},
    effects: TransitionEffects = {},
  ): Promise<ReorderRecord | null> {
    return this.#locked(() => {
      const r = this.#read(id);
      if (!r || !reorderFromStates(event).includes(r.state)) return null;
      const next: ReorderRecord = { ...r, ...patch, state: reorderTargetState(event) };
      this.#write(next);
      if (effects.enqueueJob) this.#insertJob(effects.enqueueJob);
      for (const g of effects.grants ?? []) {
        this.#d
          .prepare('INSERT INTO download_grants (id, reorder_id, event_id, image_id, doc) VALUES (?, ?, ?, ?, ?)')
          .run(g.id, g.reorderId, r.eventId, g.imageId, JSON.stringify(g));
      }
      return next;
    });
  }

  async patchReorder(id: string, patch: ReorderPatch): Promise<ReorderRecord | null> {
    return this.#locked(() => {
      const r = this.#read(id);
      if (!r) return null;
      const next = { ...r, ...patch };
      this.#write(next);
      return next;
    });
  }

  async insertLabJob(job: LabJobRecord): Promise<void> {
    this.#locked(() => this.#insertJob(job));
  }

  async listLabJobs(reorderId: string): Promise<LabJobRecord[]> {
    return parseDocs(
      this.#d.prepare('SELECT doc FROM lab_jobs WHERE reorder_id = ? ORDER BY created_at, id').all(reorderId),
    );
  }

  async leaseDueLabJobs(now: number, leaseMs: number, limit: number): Promise<LabJobRecord[]> {
    return this.#locked(() => {
      const jobs = parseDocs<LabJobRecord>(
        this.#d
          .prepare(
            "SELECT doc FROM lab_jobs WHERE state = 'pending' AND next_attempt_at <= ? AND lease_until <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
          )
          .all(now, now, limit),
      );
      for (const job of jobs) {
        job.leaseUntil = now + leaseMs;
        this.#writeJob(job);
      }
      return jobs;
    });
  }

  async completeLabJob(jobId: string, labRef: string, now: number): Promise<LabJobRecord | null> {
    return this.#locked(() => {
      const job = this.#readJob(jobId);
      if (job?.state !== 'pending') return null;
      const done: LabJobRecord = { ...job, state: 'handed_off', labRef, handedOffAt: now, leaseUntil: 0 };
      this.#writeJob(done);
      const r = this.#read(job.reorderId);
      if (r && reorderFromStates('sent_to_lab').includes(r.state)) {
        this.#write({ ...r, state: reorderTargetState('sent_to_lab'), sentToLabAt: now });
      }
      return done;
    });
  }

  async retryLabJob(jobId: string, error: string, nextAttemptAt: number | null): Promise<void> {
    this.#locked(() => {
      const job = this.#readJob(jobId);
      if (job?.state !== 'pending') return;
      this.#writeJob({
        ...job,
        attempts: job.attempts + 1,
        lastError: error,
        leaseUntil: 0,
        state: nextAttemptAt === null ? 'failed' : 'pending',
        nextAttemptAt: nextAttemptAt ?? job.nextAttemptAt,
      });
    });
  }

  async cancelLabJob(jobId: string): Promise<void> {
    this.#locked(() => {
      const job = this.#readJob(jobId);
      if (job && (job.state === 'pending' || job.state === 'failed')) this.#writeJob({ ...job, state: 'cancelled' });
    });
  }

  async nextLabJobDue(): Promise<number | null> {
    const row = this.#d.prepare("SELECT MIN(next_attempt_at) AS due FROM lab_jobs WHERE state = 'pending'").get() as {
      due: number | null;
    };
    return row.due;
  }

  async useGrant(id: string, now: number): Promise<GrantUse> {
    return this.#locked(() => {
      const g = parseDoc<DownloadGrantRecord>(this.#d.prepare('SELECT doc FROM download_grants WHERE id = ?').get(id));
      if (!g) return { ok: false, reason: 'not_found' } as const;
      const use = spendGrant(g, now);
      if (use.ok) this.#d.prepare('UPDATE download_grants SET doc = ? WHERE id = ?').run(JSON.stringify(use.grant), id);
      return use;
    });
  }

  async listGrants(reorderId: string): Promise<DownloadGrantRecord[]> {
    return parseDocs(
      this.#d.prepare('SELECT doc FROM download_grants WHERE reorder_id = ? ORDER BY rowid').all(reorderId),
    );
  }

  async revokeGrants(reorderId: string, now: number): Promise<number> {
    return this.#locked(() => {
      let n = 0;
      for (const g of parseDocs<DownloadGrantRecord>(
        this.#d.prepare('SELECT doc FROM download_grants WHERE reorder_id = ?').all(reorderId),
      )) {
        if (g.revokedAt !== null) continue;
        this.#d
          .prepare('UPDATE download_grants SET doc = ? WHERE id = ?')
          .run(JSON.stringify({ ...g, revokedAt: now }), g.id);
        n++;
      }
      return n;
    });
  }

  async liveGrantImageIds(eventId: string, now: number): Promise<string[]> {
    const grants = parseDocs<DownloadGrantRecord>(
      this.#d.prepare('SELECT doc FROM download_grants WHERE event_id = ?').all(eventId),
    );
    return [...new Set(grants.filter((g) => g.revokedAt === null && g.expiresAt > now).map((g) => g.imageId))];
  }

  async getSettings(eventId: string): Promise<AfterEventSettings | null> {
    return parseDoc(this.#d.prepare('SELECT doc FROM after_event_settings WHERE event_id = ?').get(eventId));
  }

  async putSettings(settings: AfterEventSettings): Promise<void> {
    this.#d
      .prepare(
        'INSERT INTO after_event_settings (event_id, doc) VALUES (?, ?) ON CONFLICT (event_id) DO UPDATE SET doc = excluded.doc',
      )
      .run(settings.eventId, JSON.stringify(settings));
  }

  async listSettings(): Promise<AfterEventSettings[]> {
    return parseDocs(this.#d.prepare('SELECT doc FROM after_event_settings ORDER BY event_id').all());
  }

  async summary(): Promise<ReorderEventSummary[]> {
    return summariseReorders(parseDocs<ReorderRecord>(this.#d.prepare('SELECT doc FROM reorders').all()));
  }
}
