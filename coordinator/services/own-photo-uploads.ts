import { AppError } from '../../shared/errors.ts';
import {
  hashOwnerSecret,
  hashOwnPhotoPin,
  newOwnPhotoCode,
  newOwnPhotoPin,
  normalizeOwnPhotoCode,
} from '../../shared/own-photos/job-code.ts';
import {
  LISTED_OWN_PHOTO_STATES,
  type OwnPhotoImage,
  type OwnPhotoJobRecord,
  ownPhotoExpiry,
} from '../../shared/policy/own-photo-job.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { ProcessedImage } from '../media/image-pipeline.ts';
import { ownPhotoMediaKey, ownPhotoMediaKeys } from '../media/own-photo-media.ts';
import type { Store } from '../store/port.ts';
import type { OwnPhotoSettings } from './own-photo-settings.ts';

/** The phone's side of own-photo jobs (issue #13 item 3): storing an upload as a job, finding its jobs. */
type UploadDeps = Pick<CoordinatorDeps, 'store' | 'clock' | 'random'>;

/** What the uploading phone keeps in its cookie: its code, PIN and the secret proving it uploaded. */
export interface OwnPhotoOwner {
  code: string;
  pin: string;
  secret: string;
}

/** One checked upload: what the image pipeline made of one file. */
export type OwnPhotoUpload = Pick<ProcessedImage, 'mime' | 'width' | 'height' | 'sha256' | 'master' | 'thumbnail'> & {
  originalName: string | null;
};

/**
 * Stores checked photos as a new job. A phone that uploaded before (its cookie names a code with
 * live jobs and the matching secret) adds the job under the same code and PIN; otherwise a new
 * code, PIN and secret are made. Photos are written before the record (a record never points at
 * missing media; media of a job whose record never came are removed by the sweeper's orphan scan).
 */
export async function createOwnPhotoJob(
  deps: UploadDeps,
  settings: OwnPhotoSettings,
  uploads: OwnPhotoUpload[],
  owner: OwnPhotoOwner | null,
) {
  const { store, clock, random } = deps;
  if (uploads.length === 0) throw new AppError('no_file');
  if (uploads.length > settings.maxPhotosPerJob) throw new AppError('own_photo_job_full');
  const now = clock.now();
  const mine = owner ? await ownPhotoJobsOfOwner(store, owner) : [];
  const live = mine.filter((j) => LISTED_OWN_PHOTO_STATES.includes(j.state));
  if (live.length >= settings.maxJobsPerCode) {
    throw new AppError(
      'own_photo_job_full',
      `At most ${settings.maxJobsPerCode} print jobs wait at once; print or let one expire first.`,
    );
  }
  const first = live[0];
  const keep = owner && first ? owner : null;
  const code = keep?.code ?? (await freshCode(deps));
  const pin = keep?.pin ?? newOwnPhotoPin(random);
  const secret = keep?.secret ?? randomId(random, 24);
  const pinSalt = first?.pinSalt ?? randomId(random, 12);
  const id = randomId(random, 16);
  const images: OwnPhotoImage[] = uploads.map((u, n) => ({
    n,
    sha256: u.sha256,
    mime: u.mime,
    width: u.width,
    height: u.height,
    byteLength: u.master.length,
    copies: 1,
    originalName: u.originalName ? u.originalName.slice(0, 255) : null,
  }));
  try {
    for (const [n, u] of uploads.entries()) {
      await store.putMedia(ownPhotoMediaKey.master(id, n), { bytes: u.master, contentType: u.mime });
      await store.putMedia(ownPhotoMediaKey.thumbnail(id, n), { bytes: u.thumbnail, contentType: 'image/jpeg' });
    }
  } catch (err) {
    // No record will point at them: remove what was written (deleteMedia is idempotent).
    for (const key of ownPhotoMediaKeys(id, uploads.length)) await store.deleteMedia(key).catch(() => {});
    throw err;
  }
  const job: OwnPhotoJobRecord = {
    id,
    code,
    pinSalt,
    pinHash: first?.pinHash ?? hashOwnPhotoPin(pin, pinSalt),
    ownerHash: hashOwnerSecret(secret),
    images,
    state: 'uploaded',
    version: 1,
    createdAt: now,
    expiresAt: ownPhotoExpiry(now, settings.retentionMs),
    quote: null,
    paymentSessionIds: [],
    paidSessionId: null,
    paidAt: null,
    paidVia: null,
    payingPrinterId: null,
    release: null,
    failures: [],
    printedAt: null,
    printedBy: null,
    imagesDeletedAt: null,
  };
  await store.ownPhotoJobs().insertOwnPhotoJob(job);
  return { job, owner: { code, pin, secret } satisfies OwnPhotoOwner };
}

/** The jobs this phone uploaded (its cookie's code, checked against its secret), oldest first. */
export async function ownPhotoJobsOfOwner(store: Store, owner: OwnPhotoOwner): Promise<OwnPhotoJobRecord[]> {
  const code = normalizeOwnPhotoCode(owner.code);
  if (!code) return [];
  const ownerHash = hashOwnerSecret(owner.secret);
  return (await store.ownPhotoJobs().listOwnPhotoJobsByCode(code)).filter((j) => j.ownerHash === ownerHash);
}

/** A code no job with photos still kept uses (30 bits: a retry is rare). */
async function freshCode(deps: UploadDeps): Promise<string> {
  for (;;) {
    const code = newOwnPhotoCode(deps.random);
    const taken = (await deps.store.ownPhotoJobs().listOwnPhotoJobsByCode(code)).some(
      (j) => j.imagesDeletedAt === null,
    );
    if (!taken) return code;
  }
}
