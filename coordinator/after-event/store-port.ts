import type { ReorderEvent, ReorderState } from '../../shared/policy/order-state.ts';
import type {
  AfterEventSettings,
  DownloadGrantRecord,
  LabJobRecord,
  ReorderEventSummary,
  ReorderRecord,
} from './records.ts';

export type ReorderPatch = Partial<Omit<ReorderRecord, 'id' | 'state' | 'eventId' | 'venueId' | 'lines' | 'bundle'>>;

/** What happens together with a transition, in the same transaction, only if it applies. */
export interface TransitionEffects {
  enqueueJob?: LabJobRecord;
  grants?: DownloadGrantRecord[];
}

export type GrantUse =
  | { ok: true; grant: DownloadGrantRecord }
  | { ok: false; reason: 'not_found' | 'expired' | 'used_up' | 'revoked' };

/**
 * Storage of reorders, their lab outbox and download grants. Every step is one atomic transaction in
 * the backing database ("update where state in reorderFromStates(event)"), so several coordinator
 * processes can share it and a crash leaves either the whole step or none of it.
 */
export interface ReorderStore {
  ready(): Promise<void>;
  close(): Promise<void>;

  insertReorder(reorder: ReorderRecord): Promise<void>;
  getReorder(id: string): Promise<ReorderRecord | null>;
  /** Oldest first. */
  listReorders(
    filter: { states?: readonly ReorderState[]; eventId?: string; sourceOrderId?: string },
    limit: number,
  ): Promise<ReorderRecord[]>;
  /** Applies the event when the reorder is in one of its from-states; null otherwise (nothing changes). */
  transitionReorder(
    id: string,
    event: ReorderEvent,
    patch?: ReorderPatch,
    effects?: TransitionEffects,
  ): Promise<ReorderRecord | null>;
  /** Changes fields other than the state (erasure, notes); null when there is no such reorder. */
  patchReorder(id: string, patch: ReorderPatch): Promise<ReorderRecord | null>;

  insertLabJob(job: LabJobRecord): Promise<void>;
  listLabJobs(reorderId: string): Promise<LabJobRecord[]>;
  /** Pending jobs due at `now`, leased to the caller until now + leaseMs, oldest first. */
  leaseDueLabJobs(now: number, leaseMs: number, limit: number): Promise<LabJobRecord[]>;
  /** The job reached the lab: marks it handed off and moves the reorder to sent_to_lab, atomically. */
  completeLabJob(jobId: string, labRef: string, now: number): Promise<LabJobRecord | null>;
  /** A failed attempt: schedules the next one, or marks the job failed (operator resends). */
  retryLabJob(jobId: string, error: string, nextAttemptAt: number | null): Promise<void>;
  cancelLabJob(jobId: string): Promise<void>;
  /** Earliest nextAttemptAt of a pending job, or null. */
  nextLabJobDue(): Promise<number | null>;

  /** Counts one use when the grant is live; atomic, so N uses never serve N+1 downloads. */
  useGrant(id: string, now: number): Promise<GrantUse>;
  listGrants(reorderId: string): Promise<DownloadGrantRecord[]>;
  revokeGrants(reorderId: string, now: number): Promise<number>;
  /** Image ids with a grant that is still usable at `now` (their masters must stay). */
  liveGrantImageIds(eventId: string, now: number): Promise<string[]>;

  getSettings(eventId: string): Promise<AfterEventSettings | null>;
  putSettings(settings: AfterEventSettings): Promise<void>;
  listSettings(): Promise<AfterEventSettings[]>;

  summary(): Promise<ReorderEventSummary[]>;
}
