import { type Collection, MongoClient } from 'mongodb';
import { AppError } from '../../shared/errors.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import {
  type ReorderEvent,
  type ReorderState,
  reorderFromStates,
  reorderTargetState,
} from '../../shared/policy/order-state.ts';
import { databaseNameFromUri, isDuplicateKeyError, redactUri } from '../store/mongo-queries.ts';
import { storeConflict } from '../store/port.ts';
import { spendGrant } from './grant-use.ts';
import type {
  AfterEventSettings,
  DownloadGrantRecord,
  LabJobRecord,
  ReorderEventSummary,
  ReorderRecord,
} from './records.ts';
import { reorderIdOfJob } from './reorder-service.ts';
import type { GrantUse, ReorderPatch, ReorderStore, TransitionEffects } from './store-port.ts';
import { summariseReorders } from './summary.ts';

/** Retries of one compare-and-swap before giving up with store_contended. */
const MAX_CAS_ATTEMPTS = 50;
/** Reorders scanned for due lab jobs per call. */
const DUE_SCAN_LIMIT = 500;

/**
 * A reorder with its lab jobs and download grants in one document, so every step (pay + enqueue +
 * grant, hand-off + sent_to_lab, one grant use) is one atomic document write, without multi-document
 * transactions. Writes are compare-and-swap on `version`: a racing writer retries on fresh data.
 */
interface ReorderDoc extends ReorderRecord {
  _id: string;
  version: number;
  jobs: LabJobRecord[];
  grants: DownloadGrantRecord[];
}

interface SettingsDoc extends AfterEventSettings {
  _id: string;
}

function record(doc: ReorderDoc): ReorderRecord {
  const { _id, version, jobs, grants, ...r } = doc;
  return r;
}

/** Reorders on MongoDB: the same promises as the SQLite adapter (test/contracts/reorder-store-contract.ts). */
export class MongoReorderStore extends Resource implements ReorderStore {
  readonly #uri: string;
  readonly #dbName: string;
  #c: { reorders: Collection<ReorderDoc>; settings: Collection<SettingsDoc> } | null = null;

  constructor(options: { uri: string; dbName?: string }) {
    super();
    this.#uri = options.uri;
    this.#dbName = options.dbName ?? databaseNameFromUri(options.uri);
  }

  protected async _open(): Promise<void> {
    const client = new MongoClient(this.#uri);
    this.defer(() => client.close());
    try {
      await client.connect();
      const db = client.db(this.#dbName);
      const reorders = db.collection<ReorderDoc>('reorders');
      await reorders.createIndex({ state: 1, createdAt: 1 });
      await reorders.createIndex({ sourceOrderId: 1 });
      await reorders.createIndex({ 'grants.id': 1 });
      await reorders.createIndex({ 'jobs.state': 1 });
      this.#c = { reorders, settings: db.collection<SettingsDoc>('after_event_settings') };
    } catch (err) {
      throw new AppError(
        'store_unavailable',
        `cannot open the reorder store in MongoDB database "${this.#dbName}" at ${redactUri(this.#uri)}: ${(err as Error).message}`,
      );
    }
  }

  get #db() {
    if (!this.#c) throw new AppError('store_not_ready', 'the reorder store is not open: call ready() first');
    return this.#c;
  }

  /** Reads, changes (or not: null) and writes one document if nobody wrote it in between. */
  async #cas<T>(
    filter: Record<string, unknown>,
    change: (doc: ReorderDoc) => { doc: ReorderDoc; result: T } | null,
  ): Promise<T | null> {
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const doc = await this.#db.reorders.findOne(filter);
      if (!doc) return null;
      const changed = change(structuredClone(doc));
      if (!changed) return null;
      const res = await this.#db.reorders.replaceOne(
        { _id: doc._id, version: doc.version },
        { ...changed.doc, version: doc.version + 1 },
      );
      if (res.matchedCount === 1) return changed.result;
    }
    throw new AppError('store_contended');
  }

  async insertReorder(reorder: ReorderRecord): Promise<void> {
    try {
      await this.#db.reorders.insertOne({ ...reorder, _id: reorder.id, version: 0, jobs: [], grants: [] });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw storeConflict(`reorder ${reorder.id}`);
      throw err;
    }
  }

  async getReorder(id: string): Promise<ReorderRecord | null> {
    const doc = await this.#db.reorders.findOne({ _id: id });
    return doc ? record(doc) : null;
  }

  async listReorders(
    filter: { states?: readonly ReorderState[]; eventId?: string; sourceOrderId?: string },
    limit: number,
  ): Promise<ReorderRecord[]> {
    const q: Record<string, unknown> = {};
    if (filter.states) q.state = { $in: [...filter.states] };
    if (filter.eventId) q.eventId = filter.eventId;
    if (filter.sourceOrderId) q.sourceOrderId = filter.sourceOrderId;
    const docs = await this.#db.reorders.find(q).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray();
    return docs.map(record);
  }

  async transitionReorder(
    id: string,
    event: ReorderEvent,
    patch: ReorderPatch = {},
    effects: TransitionEffects = {},
  ): Promise<ReorderRecord | null> {
    return this.#cas({ _id: id }, (doc) => {
      if (!reorderFromStates(event).includes(doc.state)) return null;
      const next: ReorderDoc = { ...doc, ...patch, state: reorderTargetState(event) };
      if (effects.enqueueJob && !next.jobs.some((j) => j.id === effects.enqueueJob!.id))
        next.jobs.push(effects.enqueueJob);
      next.grants.push(...(effects.grants ?? []));
      return { doc: next, result: record(next) };
    });
  }

  async patchReorder(id: string, patch: ReorderPatch): Promise<ReorderRecord | null> {
    return this.#cas({ _id: id }, (doc) => {
      const next = { ...doc, ...patch };
      return { doc: next, result: record(next) };
    });
  }

  async insertLabJob(job: LabJobRecord): Promise<void> {
    let duplicate = false;
    await this.#cas({ _id: job.reorderId }, (doc) => {
      duplicate = doc.jobs.some((j) => j.id === job.id);
      if (duplicate) return null;
      doc.jobs.push(job);
      return { doc, result: true };
    });
    if (duplicate) throw storeConflict(`lab job ${job.id}`);
  }

  async listLabJobs(reorderId: string): Promise<LabJobRecord[]> {
    const doc = await this.#db.reorders.findOne({ _id: reorderId });
    return [...(doc?.jobs ?? [])].sort((a, b) => a.createdAt - b.createdAt || a.generation - b.generation);
  }

  #updateJob(
    jobId: string,
    change: (job: LabJobRecord, doc: ReorderDoc) => LabJobRecord | null,
  ): Promise<LabJobRecord | null> {
    return this.#cas({ _id: reorderIdOfJob(jobId) }, (doc) => {
      const i = doc.jobs.findIndex((j) => j.id === jobId);
      if (i < 0) return null;
      const next = change(doc.jobs[i]!, doc);
      if (!next) return null;
      doc.jobs[i] = next;
      return { doc, result: next };
    });
  }

  async leaseDueLabJobs(now: number, leaseMs: number, limit: number): Promise<LabJobRecord[]> {
    const due = (j: LabJobRecord) => j.state === 'pending' && j.nextAttemptAt <= now && j.leaseUntil <= now;
    const docs = await this.#db.reorders
      .find({ jobs: { $elemMatch: { state: 'pending', nextAttemptAt: { $lte: now }, leaseUntil: { $lte: now } } } })
      .limit(DUE_SCAN_LIMIT)
      .toArray();
    const candidates = docs
      .flatMap((d) => d.jobs.filter(due))
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt)
      .slice(0, limit);
    const leased: LabJobRecord[] = [];
    for (const c of candidates) {
      const job = await this.#updateJob(c.id, (j) => (due(j) ? { ...j, leaseUntil: now + leaseMs } : null));
      if (job) leased.push(job);
    }
    return leased;
  }

  async completeLabJob(jobId: string, labRef: string, now: number): Promise<LabJobRecord | null> {
    return this.#cas({ _id: reorderIdOfJob(jobId) }, (doc) => {
      const i = doc.jobs.findIndex((j) => j.id === jobId);
      if (i < 0 || doc.jobs[i]!.state !== 'pending') return null;
      const done: LabJobRecord = { ...doc.jobs[i]!, state: 'handed_off', labRef, handedOffAt: now, leaseUntil: 0 };
      doc.jobs[i] = done;
      const moved = reorderFromStates('sent_to_lab').includes(doc.state)
        ? { ...doc, state: reorderTargetState('sent_to_lab'), sentToLabAt: now }
        : doc;
      return { doc: moved, result: done };
    });
  }

  async retryLabJob(jobId: string, error: string, nextAttemptAt: number | null): Promise<void> {
    await this.#updateJob(jobId, (j) =>
      j.state !== 'pending'
        ? null
        : {
            ...j,
            attempts: j.attempts + 1,
            lastError: error,
            leaseUntil: 0,
            state: nextAttemptAt === null ? 'failed' : 'pending',
            nextAttemptAt: nextAttemptAt ?? j.nextAttemptAt,
          },
    );
  }

  async cancelLabJob(jobId: string): Promise<void> {
    await this.#updateJob(jobId, (j) =>
      j.state === 'pending' || j.state === 'failed' ? { ...j, state: 'cancelled' } : null,
    );
  }

  async nextLabJobDue(): Promise<number | null> {
    const docs = await this.#db.reorders.find({ 'jobs.state': 'pending' }).limit(DUE_SCAN_LIMIT).toArray();
    const due = docs.flatMap((d) => d.jobs.filter((j) => j.state === 'pending').map((j) => j.nextAttemptAt));
    return due.length > 0 ? Math.min(...due) : null;
  }

  async useGrant(id: string, now: number): Promise<GrantUse> {
    let outcome: GrantUse = { ok: false, reason: 'not_found' };
    await this.#cas({ 'grants.id': id }, (doc) => {
      const i = doc.grants.findIndex((g) => g.id === id);
      const g = doc.grants[i];
      if (!g) return null;
      outcome = spendGrant(g, now);
      if (!outcome.ok) return null;
      doc.grants[i] = outcome.grant;
      return { doc, result: true };
    });
    return outcome;
  }

  async listGrants(reorderId: string): Promise<DownloadGrantRecord[]> {
    return (await this.#db.reorders.findOne({ _id: reorderId }))?.grants ?? [];
  }

  async revokeGrants(reorderId: string, now: number): Promise<number> {
    return (
      (await this.#cas({ _id: reorderId }, (doc) => {
        let n = 0;
        doc.grants = doc.grants.map((g) => {
          if (g.revokedAt !== null) return g;
          n++;
          return { ...g, revokedAt: now };
        });
        return { doc, result: n };
      })) ?? 0
    );
  }

  async liveGrantImageIds(eventId: string, now: number): Promise<string[]> {
    const docs = await this.#db.reorders.find({ eventId, 'grants.0': { $exists: true } }).toArray();
    const live = docs.flatMap((d) => d.grants.filter((g) => g.revokedAt === null && g.expiresAt > now));
    return [...new Set(live.map((g) => g.imageId))];
  }

  async getSettings(eventId: string): Promise<AfterEventSettings | null> {
    const doc = await this.#db.settings.findOne({ _id: eventId });
    if (!doc) return null;
    const { _id, ...settings } = doc;
    return settings;
  }

  async putSettings(settings: AfterEventSettings): Promise<void> {
    await this.#db.settings.replaceOne({ _id: settings.eventId }, { ...settings }, { upsert: true });
  }

  async listSettings(): Promise<AfterEventSettings[]> {
    const docs = await this.#db.settings.find().sort({ _id: 1 }).toArray();
    return docs.map(({ _id, ...s }) => s);
  }

  async summary(): Promise<ReorderEventSummary[]> {
    return summariseReorders((await this.#db.reorders.find().toArray()).map(record));
  }
}
