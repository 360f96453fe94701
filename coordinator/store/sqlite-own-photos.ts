import { sweepDueAt } from '../../shared/policy/own-photo-job.ts';
import type { OwnPhotoJobRecord, OwnPhotoJobState, OwnPhotoJobStore } from './own-photo-port.ts';
import { parseDoc, parseDocs, type SqliteConnection } from './sqlite-connection.ts';

/**
 * Own-photo jobs on SQLite. The table is created here (IF NOT EXISTS, safe from several processes)
 * rather than in sqlite-schema.ts: it is additive and keeps the schema version unchanged.
 */
const OWN_PHOTO_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS own_photo_jobs (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    due_at INTEGER,
    doc TEXT NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS own_photo_jobs_by_code ON own_photo_jobs (code, created_at)',
  'CREATE INDEX IF NOT EXISTS own_photo_jobs_by_due ON own_photo_jobs (due_at) WHERE due_at IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS own_photo_jobs_by_created ON own_photo_jobs (created_at)',
];

export class SqliteOwnPhotos implements OwnPhotoJobStore {
  readonly #c: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
    connection.locked(() => {
      for (const sql of OWN_PHOTO_SCHEMA) connection.sql(sql).run();
    });
  }

  async insertOwnPhotoJob(job: OwnPhotoJobRecord): Promise<void> {
    this.#c.insert(
      'INSERT INTO own_photo_jobs (id, code, state, version, created_at, due_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [job.id, job.code, job.state, job.version, job.createdAt, sweepDueAt(job), JSON.stringify(job)],
      `own-photo job ${job.id}`,
    );
  }

  async getOwnPhotoJob(id: string): Promise<OwnPhotoJobRecord | null> {
    return parseDoc(this.#c.sql('SELECT doc FROM own_photo_jobs WHERE id = ?').get(id));
  }

  async listOwnPhotoJobsByCode(code: string): Promise<OwnPhotoJobRecord[]> {
    return parseDocs(this.#c.sql('SELECT doc FROM own_photo_jobs WHERE code = ? ORDER BY created_at, id').all(code));
  }

  async replaceOwnPhotoJob(job: OwnPhotoJobRecord, expectedVersion: number): Promise<boolean> {
    const result = this.#c
      .sql(
        `UPDATE own_photo_jobs SET code = ?, state = ?, version = ?, due_at = ?, doc = ?
         WHERE id = ? AND version = ?`,
      )
      .run(job.code, job.state, job.version, sweepDueAt(job), JSON.stringify(job), job.id, expectedVersion);
    return result.changes === 1;
  }

  async listOwnPhotoJobs(
    filter: { states?: readonly OwnPhotoJobState[] },
    limit: number,
  ): Promise<OwnPhotoJobRecord[]> {
    const max = Math.max(0, Math.floor(limit));
    if (filter.states) {
      if (filter.states.length === 0) return [];
      const marks = filter.states.map(() => '?').join(', ');
      return parseDocs(
        this.#c
          .sql(`SELECT doc FROM own_photo_jobs WHERE state IN (${marks}) ORDER BY created_at DESC, id DESC LIMIT ?`)
          .all(...filter.states, max),
      );
    }
    return parseDocs(this.#c.sql('SELECT doc FROM own_photo_jobs ORDER BY created_at DESC, id DESC LIMIT ?').all(max));
  }

  async listOwnPhotoJobsDue(now: number, limit: number): Promise<OwnPhotoJobRecord[]> {
    return parseDocs(
      this.#c
        .sql('SELECT doc FROM own_photo_jobs WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?')
        .all(now, Math.max(0, Math.floor(limit))),
    );
  }
}
