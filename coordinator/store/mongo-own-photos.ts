import type { Collection, Db } from 'mongodb';
import { sweepDueAt } from '../../shared/policy/own-photo-job.ts';
import { isDuplicateKeyError, type StoredDoc, stripId } from './mongo-queries.ts';
import type { OwnPhotoJobRecord, OwnPhotoJobState, OwnPhotoJobStore } from './own-photo-port.ts';
import { storeConflict } from './port.ts';

/** The sweeper's index field, next to the record (never part of what the store returns). */
type OwnPhotoDoc = StoredDoc<OwnPhotoJobRecord> & { dueAt: number | null };

/** Own-photo jobs on MongoDB: one collection, every change one conditional replaceOne on version. */
export class MongoOwnPhotos implements OwnPhotoJobStore {
  readonly #jobs: Collection<OwnPhotoDoc>;

  constructor(db: Db) {
    this.#jobs = db.collection('ownPhotoJobs');
  }

  async createIndexes(): Promise<void> {
    await this.#jobs.createIndex({ code: 1, createdAt: 1 });
    await this.#jobs.createIndex({ dueAt: 1 });
    await this.#jobs.createIndex({ createdAt: -1 });
  }

  async insertOwnPhotoJob(job: OwnPhotoJobRecord): Promise<void> {
    try {
      await this.#jobs.insertOne(toDoc(job));
    } catch (err) {
      if (isDuplicateKeyError(err)) throw storeConflict(`own-photo job ${job.id}`);
      throw err;
    }
  }

  async getOwnPhotoJob(id: string): Promise<OwnPhotoJobRecord | null> {
    const doc = await this.#jobs.findOne({ _id: id });
    return doc ? fromDoc(doc) : null;
  }

  async listOwnPhotoJobsByCode(code: string): Promise<OwnPhotoJobRecord[]> {
    const docs = await this.#jobs.find({ code }).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map(fromDoc);
  }

  async replaceOwnPhotoJob(job: OwnPhotoJobRecord, expectedVersion: number): Promise<boolean> {
    const result = await this.#jobs.replaceOne({ _id: job.id, version: expectedVersion }, toDoc(job));
    return result.modifiedCount === 1;
  }

  async listOwnPhotoJobs(
    filter: { states?: readonly OwnPhotoJobState[] },
    limit: number,
  ): Promise<OwnPhotoJobRecord[]> {
    const max = Math.floor(limit);
    // MongoDB reads limit(0) as "no limit".
    if (!(max > 0) || filter.states?.length === 0) return [];
    const query = filter.states ? { state: { $in: [...filter.states] } } : {};
    const docs = await this.#jobs.find(query).sort({ createdAt: -1, _id: -1 }).limit(max).toArray();
    return docs.map(fromDoc);
  }

  async listOwnPhotoJobsDue(now: number, limit: number): Promise<OwnPhotoJobRecord[]> {
    const max = Math.floor(limit);
    if (!(max > 0)) return [];
    const docs = await this.#jobs
      .find({ dueAt: { $ne: null, $lte: now } })
      .sort({ dueAt: 1, _id: 1 })
      .limit(max)
      .toArray();
    return docs.map(fromDoc);
  }
}

function toDoc(job: OwnPhotoJobRecord): OwnPhotoDoc {
  return { ...structuredClone(job), _id: job.id, dueAt: sweepDueAt(job) };
}

function fromDoc(doc: OwnPhotoDoc): OwnPhotoJobRecord {
  const { dueAt: _dueAt, ...rest } = doc;
  return stripId(rest);
}
