/**
 * The own-photo print job (issue #13 item 3, JP7465442B2): a fan's photos held by the coordinator
 * until a kiosk prints them. Pure: the coordinator's service decides with these functions and the
 * store only compares-and-swaps whole records (by `version`), so every adapter stays dumb.
 *
 *   uploaded ◀─checkout_cancelled─┐
 *   uploaded ──checkout_started──▶ awaiting_payment ──paid──▶ paid ──released──▶ released ──printed──▶ printed
 *      │  └──────────────paid────────────────────────────────▲ ▲                      │
 *      │                                                      │ └──release_failed / hold expired──┘
 *      └──(retention over, unpaid)──▶ expired
 *
 * Images are deleted after `printed` and `expired`. A paid job is never expired by the sweeper:
 * money was taken, so it waits for a print (or an operator's refund).
 */
export const OWN_PHOTO_JOB_STATES = ['uploaded', 'awaiting_payment', 'paid', 'released', 'printed', 'expired'] as const;
export type OwnPhotoJobState = (typeof OWN_PHOTO_JOB_STATES)[number];

export type OwnPhotoJobEvent =
  | 'checkout_started'
  | 'checkout_cancelled'
  | 'paid'
  | 'payment_voided'
  | 'released'
  | 'release_failed'
  | 'printed'
  | 'expired';

const TRANSITIONS: Readonly<Record<OwnPhotoJobEvent, { from: readonly OwnPhotoJobState[]; to: OwnPhotoJobState }>> = {
  checkout_started: { from: ['uploaded', 'awaiting_payment'], to: 'awaiting_payment' },
  // The fan cancelled (or the provider declined) the latest checkout: the kiosk stops waiting.
  checkout_cancelled: { from: ['awaiting_payment'], to: 'uploaded' },
  paid: { from: ['uploaded', 'awaiting_payment'], to: 'paid' },
  // A kiosk sale voided its card authorisation (print failed, fan cancelled): unpaid again.
  payment_voided: { from: ['paid'], to: 'uploaded' },
  released: { from: ['paid'], to: 'released' },
  release_failed: { from: ['released'], to: 'paid' },
  printed: { from: ['released'], to: 'printed' },
  expired: { from: ['uploaded', 'awaiting_payment'], to: 'expired' },
};

/** The next state, or null when the event is not allowed in `state`. */
export function nextOwnPhotoJobState(state: OwnPhotoJobState, event: OwnPhotoJobEvent): OwnPhotoJobState | null {
  const t = TRANSITIONS[event];
  return t.from.includes(state) ? t.to : null;
}

/** Jobs a kiosk lists for the fan: still printable (unpaid ones to pay, paid ones to print). */
export const LISTED_OWN_PHOTO_STATES: readonly OwnPhotoJobState[] = [
  'uploaded',
  'awaiting_payment',
  'paid',
  'released',
];

export interface OwnPhotoImage {
  /** Position in the job, from 0. */
  n: number;
  sha256: string;
  mime: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
  byteLength: number;
  copies: number;
  originalName: string | null;
}

/** Which printer holds a released job, and until when (a printer that died frees it by itself). */
export interface OwnPhotoRelease {
  printerId: string;
  releasedAt: number;
  expiresAt: number;
  /** 1 for the first release; a retry after a failed print counts up. */
  attempt: number;
}

export interface OwnPhotoJobRecord {
  id: string;
  /** Shared by the jobs uploaded from one phone; with the PIN it opens them at a kiosk. */
  code: string;
  pinSalt: string;
  pinHash: string;
  /** Hash of the uploading phone's secret (its cookie): only that phone adds jobs under this code. */
  ownerHash: string;
  images: OwnPhotoImage[];
  state: OwnPhotoJobState;
  /** Compare-and-swap counter: every write raises it by one. */
  version: number;
  createdAt: number;
  /** Unpaid jobs (and their photos) are deleted at this time (the retention limit). */
  expiresAt: number;
  /** The fee the fan was shown at the kiosk (and paid, once paid). */
  quote: { currency: string; totalCents: number; printCount: number } | null;
  /** Every checkout session opened for this job; a payment of an older one still counts (once). */
  paymentSessionIds: string[];
  paidSessionId: string | null;
  paidAt: number | null;
  /** How it was paid: the phone checkout shown on the kiosk, or (later) a line of a kiosk card sale. */
  paidVia: 'kiosk_phone' | 'kiosk_sale' | null;
  /** The printer the fan was at when paying: the job is released only to it. */
  payingPrinterId: string | null;
  release: OwnPhotoRelease | null;
  failures: Array<{ printerId: string; at: number; reason: string }>;
  printedAt: number | null;
  printedBy: string | null;
  /** Set once every image of the job is gone from the media store. */
  imagesDeletedAt: number | null;
}

/** Total prints of a job (each image times its copies). */
export function ownPhotoPrintCount(job: Pick<OwnPhotoJobRecord, 'images'>): number {
  return job.images.reduce((n, i) => n + i.copies, 0);
}

/** Applies a state event to a copy of `job`; null when the event is not allowed now. */
export function withOwnPhotoEvent(
  job: OwnPhotoJobRecord,
  event: OwnPhotoJobEvent,
  patch: Partial<OwnPhotoJobRecord> = {},
): OwnPhotoJobRecord | null {
  const to = nextOwnPhotoJobState(job.state, event);
  if (to === null) return null;
  return { ...structuredClone(job), ...patch, state: to, version: job.version + 1 };
}

export type ReleaseDecision =
  | { kind: 'release'; job: OwnPhotoJobRecord }
  /** Already released to this printer: a retry of the same release (renewed, not printed twice). */
  | { kind: 'renew'; job: OwnPhotoJobRecord }
  | { kind: 'held_by_other'; printerId: string }
  | { kind: 'not_paid' }
  | { kind: 'printed' };

/**
 * Whether `printerId` may print the job now. A paid job is released to the printer where it was
 * paid; a job whose hold expired (that printer died mid-job) or whose print failed goes to any.
 */
export function decideRelease(job: OwnPhotoJobRecord, printerId: string, now: number, holdMs: number): ReleaseDecision {
  if (job.state === 'printed') return { kind: 'printed' };
  if (job.state === 'released' && job.release) {
    if (job.release.printerId === printerId) {
      return {
        kind: 'renew',
        job: {
          ...structuredClone(job),
          release: { ...job.release, expiresAt: now + holdMs },
          version: job.version + 1,
        },
      };
    }
    if (job.release.expiresAt > now) return { kind: 'held_by_other', printerId: job.release.printerId };
    // The holder went quiet past its hold: the job is free again, with the attempt counted.
    const taken = {
      ...structuredClone(job),
      release: { printerId, releasedAt: now, expiresAt: now + holdMs, attempt: job.release.attempt + 1 },
      version: job.version + 1,
    };
    return { kind: 'release', job: taken };
  }
  if (job.state !== 'paid') return { kind: 'not_paid' };
  const attempt = job.failures.length + 1;
  const released = withOwnPhotoEvent(job, 'released', {
    release: { printerId, releasedAt: now, expiresAt: now + holdMs, attempt },
  });
  return released ? { kind: 'release', job: released } : { kind: 'not_paid' };
}

/** What the retention sweeper does with a job now. */
export type SweepAction = 'expire' | 'delete_images' | 'free_hold' | 'none';

export function sweepAction(job: OwnPhotoJobRecord, now: number): SweepAction {
  if ((job.state === 'uploaded' || job.state === 'awaiting_payment') && now >= job.expiresAt) return 'expire';
  if ((job.state === 'printed' || job.state === 'expired') && job.imagesDeletedAt === null) return 'delete_images';
  if (job.state === 'released' && job.release && now >= job.release.expiresAt) return 'free_hold';
  return 'none';
}

/**
 * When the sweeper must look at the job next (stores index it); null: never again. Kept in step
 * with sweepAction: a job is due exactly when its action stops being 'none'.
 */
export function sweepDueAt(job: OwnPhotoJobRecord): number | null {
  if (job.state === 'uploaded' || job.state === 'awaiting_payment') return job.expiresAt;
  if ((job.state === 'printed' || job.state === 'expired') && job.imagesDeletedAt === null) return 0;
  if (job.state === 'released' && job.release) return job.release.expiresAt;
  return null;
}

/** The retention limit of a job uploaded at `createdAt`. */
export function ownPhotoExpiry(createdAt: number, retentionMs: number): number {
  return createdAt + retentionMs;
}

/** The reference the payment provider carries for a job (its "order id"): never an order's id. */
export const OWN_PHOTO_PAYMENT_PREFIX = 'ownjob_';

export function ownPhotoPaymentRef(jobId: string): string {
  return `${OWN_PHOTO_PAYMENT_PREFIX}${jobId}`;
}

export function jobIdOfPaymentRef(ref: string): string | null {
  return ref.startsWith(OWN_PHOTO_PAYMENT_PREFIX) ? ref.slice(OWN_PHOTO_PAYMENT_PREFIX.length) || null : null;
}
