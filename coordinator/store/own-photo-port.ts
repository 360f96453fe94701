import type { OwnPhotoJobRecord, OwnPhotoJobState } from '../../shared/policy/own-photo-job.ts';

export type { OwnPhotoJobRecord, OwnPhotoJobState } from '../../shared/policy/own-photo-job.ts';

/**
 * The store's own-photo print jobs (issue #13 item 3). Deliberately dumb: records are written whole
 * and every change is a compare-and-swap on `version`, so the decisions stay in
 * shared/policy/own-photo-job.ts and several coordinator processes can share one store. The
 * photos themselves are media (Store.putMedia) under job-scoped keys (own-photo-media.ts).
 * Every adapter passes test/store-contract-own-photos.ts.
 */
export interface OwnPhotoJobStore {
  /** Throws a `store_conflict` AppError when the id exists. */
  insertOwnPhotoJob(job: OwnPhotoJobRecord): Promise<void>;
  getOwnPhotoJob(id: string): Promise<OwnPhotoJobRecord | null>;
  /** Every job under a code (one phone's uploads), oldest first. */
  listOwnPhotoJobsByCode(code: string): Promise<OwnPhotoJobRecord[]>;
  /**
   * Writes `job` (whose version must be `expectedVersion + 1`) only when the stored record still has
   * `expectedVersion`; false (nothing written) when another write came first or there is no such job.
   */
  replaceOwnPhotoJob(job: OwnPhotoJobRecord, expectedVersion: number): Promise<boolean>;
  /** Newest first, at most `limit`; all states when `states` is absent (operators' console). */
  listOwnPhotoJobs(filter: { states?: readonly OwnPhotoJobState[] }, limit: number): Promise<OwnPhotoJobRecord[]>;
  /** Jobs the retention sweeper must look at by `now` (sweepDueAt ≤ now), most overdue first. */
  listOwnPhotoJobsDue(now: number, limit: number): Promise<OwnPhotoJobRecord[]>;
}
