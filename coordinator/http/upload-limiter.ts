import { AppError } from '../../shared/errors.ts';

/**
 * Uploads being received or processed at once, per credential and per process. An upload is held
 * (on disk when spooling, else in memory) until the one image decoder gets to it, so without a cap
 * twenty 40 MB uploads from one photographer took the coordinator from 312 MB to 1.7 GB. Past the
 * cap the request is refused before its body is read (429 + Retry-After); the upload page and the
 * hot-folder watcher retry by themselves.
 */
export const MAX_UPLOADS_IN_FLIGHT_PER_CREDENTIAL = 2;
export const MAX_UPLOADS_IN_FLIGHT = 6;
/** What a refused uploader is told to wait: about one image's processing time. */
export const UPLOAD_RETRY_AFTER_SECONDS = 3;

export class UploadLimiter {
  #total = 0;
  readonly #perCredential = new Map<string, number>();
  readonly #maxPerCredential: number;
  readonly #max: number;

  constructor(opts: { maxPerCredential?: number; max?: number } = {}) {
    this.#maxPerCredential = opts.maxPerCredential ?? MAX_UPLOADS_IN_FLIGHT_PER_CREDENTIAL;
    this.#max = opts.max ?? MAX_UPLOADS_IN_FLIGHT;
  }

  get inFlight(): number {
    return this.#total;
  }

  /** Admits one upload of `credentialId` or throws 429; the release function is idempotent. */
  acquire(credentialId: string): () => void {
    const mine = this.#perCredential.get(credentialId) ?? 0;
    if (mine >= this.#maxPerCredential || this.#total >= this.#max) {
      const scope = mine >= this.#maxPerCredential ? 'credential' : 'server';
      throw new AppError(
        'too_many_uploads',
        scope === 'credential'
          ? `At most ${this.#maxPerCredential} uploads at a time per photographer; the next one starts when one finishes.`
          : undefined,
        { retryAfterSeconds: UPLOAD_RETRY_AFTER_SECONDS, scope },
      );
    }
    this.#total++;
    this.#perCredential.set(credentialId, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#perCredential.get(credentialId) ?? 1) - 1;
      if (left > 0) this.#perCredential.set(credentialId, left);
      else this.#perCredential.delete(credentialId);
    };
  }
}
