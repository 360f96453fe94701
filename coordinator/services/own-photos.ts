import { AppError } from '../../shared/errors.ts';
import { normalizeOwnPhotoCode, ownPhotoPinMatches } from '../../shared/own-photos/job-code.ts';
import {
  decideRelease,
  jobIdOfPaymentRef,
  LISTED_OWN_PHOTO_STATES,
  type OwnPhotoJobRecord,
  ownPhotoPaymentRef,
  ownPhotoPrintCount,
  withOwnPhotoEvent,
} from '../../shared/policy/own-photo-job.ts';
import { ownPhotoPriceList, priceOwnPhotoJobs } from '../../shared/policy/own-photo-pricing.ts';
import type { PriceList, PriceQuote } from '../../shared/policy/pricing.ts';
import type { OwnPhotoFee, OwnPhotoJobView, OwnPhotoReleaseAnswer } from '../../shared/protocol/own-photo-api.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { ownPhotoMediaKey, ownPhotoMediaKeys } from '../media/own-photo-media.ts';
import { refundExtraOwnPhotoPayment } from '../payment/own-photo-refund.ts';
import type { PaymentWebhookEvent } from '../payment/port.ts';
import type { MediaObject, PrinterRecord } from '../store/records.ts';
import { FailedCodeLimiter } from './failed-code-limiter.ts';
import { OwnPhotoPinLimiter } from './own-photo-pin-limiter.ts';
import { type OwnPhotoSettings, ownPhotoSettingsOf } from './own-photo-settings.ts';
import {
  createOwnPhotoJob,
  type OwnPhotoOwner,
  type OwnPhotoUpload,
  ownPhotoJobsOfOwner,
} from './own-photo-uploads.ts';
import { ownPhotoJobView } from './own-photo-view.ts';

/** Compare-and-swap retries of one change before giving up (only under a storm of writes to one job). */
const MAX_CAS_ATTEMPTS = 8;
/** Jobs listed on the operators' console. */
export const MAX_OWN_PHOTO_JOBS_LISTED = 200;

type Deps = Pick<CoordinatorDeps, 'store' | 'payments' | 'clock' | 'random' | 'logger' | 'settings'>;

export type { OwnPhotoOwner, OwnPhotoUpload } from './own-photo-uploads.ts';

/**
 * Fans' own-photo print jobs (issue #13 item 3, JP7465442B2): the phone uploads, the coordinator
 * stores the job (not on the event feed) under a code and PIN, a kiosk opens the fan's jobs, the
 * fee comes from shared/policy/own-photo-pricing.ts, payment marks the job paid, the job is
 * released to the printer the fan stands at, which fetches the photos on demand, prints, reports,
 * and the photos are deleted. Every change is a pure decision (shared/policy/own-photo-job.ts)
 * written by compare-and-swap, so retries and racing printers converge: a job prints once.
 *
 * For the kiosk sale (a job as one line of a basket paid by card): quote(), markPaid(),
 * voidPayment(), release(), complete() and fail() are the whole contract; startCheckout() and
 * applyPayment() are the phone path.
 */
export class OwnPhotoService {
  readonly #deps: Deps;
  readonly #pins: OwnPhotoPinLimiter;
  /** Unknown codes and wrong PINs, per printer and venue (the order codes' brake). */
  readonly #guesses: FailedCodeLimiter;

  constructor(deps: Deps) {
    this.#deps = deps;
    this.#pins = new OwnPhotoPinLimiter({ clock: deps.clock });
    const { wrongCodeBurst } = ownPhotoSettingsOf(deps);
    this.#guesses = new FailedCodeLimiter({ clock: deps.clock, burst: wrongCodeBurst });
  }

  get settings(): OwnPhotoSettings {
    return ownPhotoSettingsOf(this.#deps);
  }

  #requireEnabled(): OwnPhotoSettings {
    const settings = this.settings;
    if (!settings.enabled) throw new AppError('own_photos_disabled');
    return settings;
  }

  get #jobs() {
    return this.#deps.store.ownPhotoJobs();
  }

  // --- the fan's phone (own-photo-uploads.ts) ---

  createJob(uploads: OwnPhotoUpload[], owner: OwnPhotoOwner | null) {
    return createOwnPhotoJob(this.#deps, this.#requireEnabled(), uploads, owner);
  }

  /** The jobs this phone uploaded (its cookie's code, checked against its secret), oldest first. */
  jobsOfOwner(owner: OwnPhotoOwner): Promise<OwnPhotoJobRecord[]> {
    return ownPhotoJobsOfOwner(this.#deps.store, owner);
  }

  // --- the kiosk (a paired printer) ---

  /**
   * The fan's printable jobs for a typed or scanned code and PIN, with the fee at this printer.
   * Wrong PINs lock the code for a while (even the right PIN waits); unknown codes and wrong PINs
   * also count against the printer and its venue (FailedCodeLimiter: a guesser gets slow answers).
   */
  async lookup(printer: PrinterRecord, typedCode: string, pin: string): Promise<{ jobs: OwnPhotoJobView[] }> {
    this.#requireEnabled();
    const busy = this.#guesses.busySeconds(printer.id, printer.venueId);
    if (busy !== null) throw new AppError('own_photo_pin_locked', undefined, { retryAfterSeconds: busy });
    const code = normalizeOwnPhotoCode(typedCode);
    const locked = code ? this.#pins.lockedForSeconds(code) : null;
    if (locked !== null) throw new AppError('own_photo_pin_locked', undefined, { retryAfterSeconds: locked });
    const jobs = code ? await this.#jobs.listOwnPhotoJobsByCode(code) : [];
    const listed = jobs.filter((j) => LISTED_OWN_PHOTO_STATES.includes(j.state));
    const match = listed.find((j) => ownPhotoPinMatches(pin, j.pinSalt, j.pinHash));
    if (!match) {
      if (code && listed.length > 0) this.#pins.wrongPin(code);
      const slowed = await this.#guesses.wrongCode(printer.id, printer.venueId);
      if (slowed) throw new AppError('own_photo_pin_locked', undefined, slowed);
      const expired = jobs.length > 0 && listed.length === 0;
      throw new AppError(expired ? 'own_photo_job_expired' : 'own_photo_job_not_found');
    }
    const priceList = await this.#priceList(printer);
    return { jobs: listed.filter((j) => j.pinHash === match.pinHash).map((j) => ownPhotoJobView(j, priceList)) };
  }

  async job(printer: PrinterRecord, jobId: string): Promise<{ job: OwnPhotoJobView }> {
    const job = await this.#require(jobId);
    return { job: ownPhotoJobView(job, await this.#priceList(printer)) };
  }

  /** A job's thumbnail for the kiosk's list, while the job can still be printed. */
  async thumbnail(jobId: string, n: number): Promise<MediaObject> {
    const job = await this.#require(jobId);
    if (!LISTED_OWN_PHOTO_STATES.includes(job.state) || !job.images.some((i) => i.n === n)) {
      throw new AppError('media_not_found', 'No such photo in this print job.');
    }
    const media = await this.#deps.store.getMedia(ownPhotoMediaKey.thumbnail(jobId, n));
    if (!media) throw new AppError('media_not_found', 'No such photo in this print job.');
    return media;
  }

  /** The fee for printing `jobIds` together at `printer` (bundles count across them). */
  async quote(
    printer: PrinterRecord,
    jobIds: readonly string[],
  ): Promise<{ quote: PriceQuote; jobs: OwnPhotoJobRecord[] }> {
    const jobs = await Promise.all(jobIds.map((id) => this.#require(id)));
    const priceList = await this.#priceList(printer);
    if (!priceList) throw new AppError('own_photo_no_price');
    return { quote: priceOwnPhotoJobs(priceList, jobs.map(ownPhotoPrintCount)), jobs };
  }

  /**
   * Opens the payment provider's hosted checkout for one job (the kiosk shows its QR). The fee is
   * fixed on the job now, so the webhook can be checked against exactly what the fan was shown.
   */
  async startCheckout(printer: PrinterRecord, jobId: string) {
    const { payments, settings } = this.#deps;
    const { quote } = await this.quote(printer, [jobId]);
    const fee: OwnPhotoFee = { currency: quote.currency, totalCents: quote.totalCents, printCount: quote.printCount };
    const session = await payments.createCheckout({
      orderId: ownPhotoPaymentRef(jobId),
      amountCents: fee.totalCents,
      currency: fee.currency,
      description: `Your own photos: ${fee.printCount} print(s)`,
      returnUrl: `${settings.publicUrl}/own-photos`,
    });
    const job = await this.#update(jobId, (j) =>
      withOwnPhotoEvent(j, 'checkout_started', {
        quote: fee,
        paymentSessionIds: [...j.paymentSessionIds, session.sessionId].slice(-10),
        payingPrinterId: printer.id,
      }),
    );
    if (!job) throw new AppError('own_photo_job_state');
    return { job: ownPhotoJobView(job, null), checkoutUrl: session.checkoutUrl, sessionId: session.sessionId };
  }

  /**
   * A verified payment webhook naming a job (OrderService hands over refs with the own-photo
   * prefix). Idempotent on the event id; a second payment for a job already paid, or a payment
   * for a job that expired, is refunded, never dropped.
   */
  async applyPayment(event: PaymentWebhookEvent) {
    const { store, clock, logger } = this.#deps;
    const jobId = jobIdOfPaymentRef(event.orderId);
    const job = jobId ? await this.#jobs.getOwnPhotoJob(jobId) : null;
    if (!job?.paymentSessionIds.includes(event.sessionId)) {
      throw new AppError('order_not_found', 'The webhook names a print job or session this shop does not know.');
    }
    if (!job.quote || event.amountCents !== job.quote.totalCents || event.currency !== job.quote.currency) {
      logger.warn({ jobId: job.id, eventId: event.id }, 'payment amount does not match the own-photo job');
      throw new AppError('amount_mismatch', 'The paid amount does not match the print job fee.');
    }
    let updated: OwnPhotoJobRecord | null = null;
    if (event.type !== 'payment.succeeded' && job.paymentSessionIds.at(-1) === event.sessionId) {
      // Only the latest checkout: the fan may have started another one at a kiosk since.
      updated = await this.#update(job.id, (j) =>
        j.paymentSessionIds.at(-1) === event.sessionId ? withOwnPhotoEvent(j, 'checkout_cancelled') : null,
      );
    }
    if (event.type === 'payment.succeeded') {
      updated = await this.markPaid(job.id, {
        sessionId: event.sessionId,
        paidAt: event.createdAt,
        via: 'kiosk_phone',
      });
      const now = await this.#jobs.getOwnPhotoJob(job.id);
      if (now && now.paidSessionId !== event.sessionId) await refundExtraOwnPhotoPayment(this.#deps, now, event);
    }
    const firstTime = await store.recordPaymentEvent({
      id: event.id,
      orderId: event.orderId,
      type: event.type,
      receivedAt: clock.now(),
    });
    const current = updated ?? (await this.#jobs.getOwnPhotoJob(job.id));
    return { received: true, duplicate: !firstTime, state: current?.state ?? job.state };
  }

  /**
   * Marks a job paid (the phone checkout's webhook, or later a kiosk sale's captured card). Returns
   * the job when this call paid it, null when it was paid already (or can no longer be paid).
   */
  async markPaid(
    jobId: string,
    payment: { sessionId: string; paidAt: number; via: 'kiosk_phone' | 'kiosk_sale'; fee?: OwnPhotoFee },
  ): Promise<OwnPhotoJobRecord | null> {
    return this.#update(jobId, (j) =>
      withOwnPhotoEvent(j, 'paid', {
        paidSessionId: payment.sessionId,
        paidAt: payment.paidAt,
        paidVia: payment.via,
        // A sale's line carries its own share of the total; the phone checkout fixed it at checkout.
        ...(payment.fee ? { quote: payment.fee } : {}),
      }),
    );
  }

  /**
   * A kiosk sale voided the payment it marked (authorisation voided after a failed print or a
   * cancel): the job is unpaid again, and kept. Only the payment that paid it can be voided, and
   * not while a printer holds the job. Returns the job when this call voided it.
   */
  async voidPayment(jobId: string, sessionId: string): Promise<OwnPhotoJobRecord | null> {
    return this.#update(jobId, (j) =>
      j.paidSessionId === sessionId
        ? withOwnPhotoEvent(j, 'payment_voided', { paidSessionId: null, paidAt: null, paidVia: null })
        : null,
    );
  }

  /**
   * Releases a paid job to `printer` (the one the fan stands at): exactly one printer holds it at a
   * time; a retry by the holder renews the hold; a holder gone quiet past the hold loses it.
   */
  async release(printer: PrinterRecord, jobId: string): Promise<OwnPhotoReleaseAnswer> {
    const { clock } = this.#deps;
    const holdMs = this.settings.holdMs;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const job = await this.#require(jobId);
      const decision = decideRelease(job, printer.id, clock.now(), holdMs);
      if (decision.kind === 'printed') throw new AppError('own_photo_job_state', 'This print job was printed already.');
      if (decision.kind === 'not_paid') throw new AppError('own_photo_job_state', 'This print job is not paid yet.');
      if (decision.kind === 'held_by_other') throw new AppError('own_photo_job_held');
      if (await this.#jobs.replaceOwnPhotoJob(decision.job, job.version)) {
        const released = decision.job;
        return {
          job: ownPhotoJobView(released, null),
          attempt: released.release!.attempt,
          images: released.images.map((i) => ({
            n: i.n,
            sha256: i.sha256,
            byteLength: i.byteLength,
            copies: i.copies,
          })),
        };
      }
    }
    throw new AppError('store_conflict', 'The print job changed too often; try again.');
  }

  /** A released job's photo for the printer holding it (the printer fetches on demand). */
  async image(printer: PrinterRecord, jobId: string, n: number): Promise<MediaObject> {
    const job = await this.#require(jobId);
    if (job.state !== 'released' || job.release?.printerId !== printer.id) {
      throw new AppError('own_photo_job_held', 'This print job is not released to this printer.');
    }
    const media = await this.#deps.store.getMedia(ownPhotoMediaKey.master(jobId, n));
    if (!media) throw new AppError('media_not_found', 'No such photo in this print job.');
    // Each fetch renews the hold: a long job on a slow printer is not taken from a printer at work.
    const expiresAt = this.#deps.clock.now() + this.settings.holdMs;
    await this.#update(jobId, (j) =>
      j.state === 'released' && j.release?.printerId === printer.id
        ? { ...structuredClone(j), release: { ...j.release, expiresAt }, version: j.version + 1 }
        : null,
    );
    return media;
  }

  /** The holder printed every photo: the job is done and its photos are deleted. Idempotent. */
  async complete(printer: PrinterRecord, jobId: string): Promise<{ job: OwnPhotoJobView }> {
    const now = this.#deps.clock.now();
    const done = await this.#update(jobId, (j) => {
      if (j.state === 'released' && j.release?.printerId !== printer.id) return null;
      return withOwnPhotoEvent(j, 'printed', { printedAt: now, printedBy: printer.id });
    });
    const job = done ?? (await this.#require(jobId));
    if (job.state !== 'printed' || job.printedBy !== printer.id) {
      throw new AppError('own_photo_job_state', 'This print job is not released to this printer.');
    }
    await this.deleteImages(job);
    return { job: ownPhotoJobView((await this.#jobs.getOwnPhotoJob(jobId)) ?? job, null) };
  }

  /** The holder could not print it: the job is paid again, to retry here or at another printer. */
  async fail(printer: PrinterRecord, jobId: string, reason: string): Promise<{ job: OwnPhotoJobView }> {
    const now = this.#deps.clock.now();
    const failed = await this.#update(jobId, (j) => {
      if (j.release?.printerId !== printer.id) return null;
      return withOwnPhotoEvent(j, 'release_failed', {
        release: null,
        failures: [...j.failures, { printerId: printer.id, at: now, reason }].slice(-20),
      });
    });
    const job = failed ?? (await this.#require(jobId));
    // A repeated report of the same failure is answered the same; anyone else's is refused.
    if (!failed && job.failures.at(-1)?.printerId !== printer.id) {
      throw new AppError('own_photo_job_state', 'This print job is not released to this printer.');
    }
    return { job: ownPhotoJobView(job, null) };
  }

  /** Removes a finished job's photos (thumbnails first), then notes it on the record. Idempotent. */
  async deleteImages(job: OwnPhotoJobRecord): Promise<void> {
    if (job.imagesDeletedAt !== null) return;
    for (const key of ownPhotoMediaKeys(job.id, job.images.length)) await this.#deps.store.deleteMedia(key);
    const at = this.#deps.clock.now();
    await this.#update(job.id, (j) =>
      j.imagesDeletedAt === null ? { ...structuredClone(j), imagesDeletedAt: at, version: j.version + 1 } : null,
    );
  }

  /** The operators' console: newest jobs first, every state. */
  async listForConsole(limit = MAX_OWN_PHOTO_JOBS_LISTED): Promise<OwnPhotoJobRecord[]> {
    return this.#jobs.listOwnPhotoJobs({}, limit);
  }

  async #require(jobId: string): Promise<OwnPhotoJobRecord> {
    const job = await this.#jobs.getOwnPhotoJob(jobId);
    if (!job) throw new AppError('own_photo_job_not_found');
    return job;
  }

  /** Read, decide, compare-and-swap; null when `decide` declines (the change does not apply now). */
  async #update(
    jobId: string,
    decide: (job: OwnPhotoJobRecord) => OwnPhotoJobRecord | null,
  ): Promise<OwnPhotoJobRecord | null> {
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const job = await this.#require(jobId);
      const next = decide(job);
      if (!next) return null;
      if (await this.#jobs.replaceOwnPhotoJob(next, job.version)) return next;
    }
    throw new AppError('store_conflict', 'The print job changed too often; try again.');
  }

  /** The own-photo price at this printer: configured, else the newest event's at its venue. */
  async #priceList(printer: PrinterRecord): Promise<PriceList | null> {
    const configured = this.settings.price;
    if (configured) return configured;
    const [event] = await this.#deps.store.listEvents({ venueId: printer.venueId });
    return ownPhotoPriceList({ configured: null, eventPriceList: event?.priceList ?? null });
  }
}
