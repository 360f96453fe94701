import { AppError } from '../../shared/errors.ts';
import { includedTaxCents, isFinalSaleState } from '../../shared/policy/kiosk-sale-state.ts';
import { jobIdOfPaymentRef, type OwnPhotoJobRecord, ownPhotoPaymentRef } from '../../shared/policy/own-photo-job.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { OwnPhotoCardSaleRequest, OwnPhotoCardSaleView } from '../../shared/protocol/own-photo-card.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { CardPayment, CardTerminal } from '../payment/card-terminal-port.ts';
import type { KioskSaleRecord, KioskSaleStore } from '../store/kiosk-sale-store.ts';
import type { PrinterRecord } from '../store/records.ts';
import {
  KIOSK_AUTHORISATION_LIMIT_MS,
  KIOSK_PAYMENT_WINDOW_MS,
  KIOSK_START_GRACE_MS,
  type KioskSaleSettler,
} from './kiosk-sale-settle.ts';
import type { OwnPhotoService } from './own-photos.ts';

export const OWN_PHOTO_CARD_CHANNEL = 'own-photo-card';
const PAYABLE_JOB_STATES: ReadonlySet<string> = new Set(['uploaded', 'awaiting_payment']);

/**
 * An own-photo job paid by card at the kiosk (issue #13 item 3 paid as in 2b). The sale is one of
 * the kiosk sales (same store, same idempotency keys, same sweeper, same reader collection and
 * refunds: the settler hands this channel's sales to `advance`), but its print side is the job,
 * not an order: the job, compare-and-swapped by OwnPhotoService, is the lock between printing and
 * money. The card is captured only once the job is `printed` under this sale's payment; it is
 * voided only after the job was made unpaid again (`voidPayment`), which a printer holding the job
 * refuses, so capture and void never both happen.
 *
 * Order of writes, each safe to repeat after a crash: the sale moves to `authorised` first (its
 * atomic transition out of `awaiting_payment` is what a racing cancel also contends for), then the
 * job is marked paid by this sale. Releasing the money first sets `voidedAt` on the open sale, so a
 * sale that began releasing never marks the job paid again.
 */
export class OwnPhotoCardSales {
  readonly #deps: CoordinatorDeps;
  readonly #ownPhotos: OwnPhotoService;
  readonly #settler: KioskSaleSettler;

  constructor(deps: CoordinatorDeps, ownPhotos: OwnPhotoService, settler: KioskSaleSettler) {
    this.#deps = deps;
    this.#ownPhotos = ownPhotos;
    this.#settler = settler;
    settler.settleChannel(OWN_PHOTO_CARD_CHANNEL, (sale) => this.advance(sale));
  }

  get #sales(): KioskSaleStore {
    if (!this.#deps.kioskSales) throw new AppError('kiosk_sales_unavailable');
    return this.#deps.kioskSales;
  }

  get #terminal(): CardTerminal {
    if (!this.#deps.cardTerminal) throw new AppError('card_terminal_not_configured');
    return this.#deps.cardTerminal;
  }

  /** Authorises the job's fee at this printer on its reader; a repeated key returns the same sale. */
  async create(printer: PrinterRecord, jobId: string, input: OwnPhotoCardSaleRequest): Promise<OwnPhotoCardSaleView> {
    const sales = this.#sales;
    const terminal = this.#terminal;
    const { clock, random, settings } = this.#deps;
    const { quote, jobs } = await this.#ownPhotos.quote(printer, [jobId]);
    const job = jobs[0]!;
    const now = clock.now();
    const taxRatePercent = settings.taxRatePercent ?? 0;
    const { inserted, sale } = await sales.insertOrGet({
      id: randomId(random, 12),
      idempotencyKey: input.idempotencyKey,
      printerId: printer.id,
      venueId: printer.venueId,
      eventId: '',
      channel: OWN_PHOTO_CARD_CHANNEL,
      items: [],
      unitCount: quote.printCount,
      totalCents: quote.totalCents,
      currency: quote.currency,
      taxCents: includedTaxCents(quote.totalCents, taxRatePercent),
      taxRatePercent,
      orderId: ownPhotoPaymentRef(job.id),
      state: 'created',
      readerId: input.readerId,
      paymentId: null,
      attempts: 0,
      lastFailure: null,
      card: null,
      authorisationCode: null,
      checkoutUrl: null,
      createdAt: now,
      updatedAt: now,
      authorisedAt: null,
      capturedAt: null,
      voidedAt: null,
      refundId: null,
    });
    if (!inserted) {
      // A double tap or a retry: the same payment, never a second authorisation.
      if (sale.channel !== OWN_PHOTO_CARD_CHANNEL || sale.orderId !== ownPhotoPaymentRef(job.id)) {
        throw new AppError('sale_idempotency_mismatch');
      }
      return this.view(await this.advance(sale));
    }
    if (!PAYABLE_JOB_STATES.has(job.state)) {
      await sales.transition(sale.id, 'cancelled', now);
      throw new AppError('own_photo_job_state', 'This print job is paid already or can no longer be paid.');
    }
    const payment = await terminal.createAuthorisation({
      saleId: sale.id,
      amountCents: sale.totalCents,
      currency: sale.currency,
      description: `Your own photos: ${sale.unitCount} print(s)`,
      idempotencyKey: `auth:${sale.id}`,
    });
    const started =
      (await sales.transition(sale.id, 'payment_started', clock.now(), { paymentId: payment.paymentId })) ?? sale;
    return this.view(await this.#settler.collect(started));
  }

  async get(printer: PrinterRecord, saleId: string): Promise<OwnPhotoCardSaleView> {
    return this.view(await this.advance(await this.#own(printer, saleId)));
  }

  /** Another card after a decline (a new collect attempt with its own idempotency key). */
  async retry(printer: PrinterRecord, saleId: string): Promise<OwnPhotoCardSaleView> {
    const sale = await this.advance(await this.#own(printer, saleId));
    if (sale.state !== 'awaiting_payment') return this.view(sale);
    const next = await this.#sales.patch(
      sale.id,
      this.#deps.clock.now(),
      { attempts: sale.attempts + 1, lastFailure: null },
      ['awaiting_payment'],
    );
    return this.view(next ? await this.#settler.collect(next) : sale);
  }

  /** The fan cancelled at the kiosk (or the kiosk gave up): the reader is freed, the money released. */
  async cancel(printer: PrinterRecord, saleId: string): Promise<OwnPhotoCardSaleView> {
    let sale = await this.advance(await this.#own(printer, saleId));
    if (sale.state === 'created' || sale.state === 'awaiting_payment') {
      if (sale.readerId && sale.state === 'awaiting_payment') {
        await this.#terminal.cancelCollect({ readerId: sale.readerId, idempotencyKey: `cancel:${sale.id}` });
      }
      // The card may have been authorised just before the cancel reached the reader.
      sale = await this.advance(sale);
      if (sale.state === 'created' || sale.state === 'awaiting_payment') sale = await this.#end(sale, 'cancelled');
    }
    if (sale.state === 'authorised') sale = await this.#release(sale);
    if (!isFinalSaleState(sale.state)) throw new AppError('sale_not_cancellable');
    return this.view(sale);
  }

  /** Settles the sale from the job and the provider as they are now; safe to call any time, from anywhere. */
  async advance(sale: KioskSaleRecord): Promise<KioskSaleRecord> {
    if (isFinalSaleState(sale.state)) return sale;
    const now = this.#deps.clock.now();
    if (sale.state === 'created') {
      // The start was cut short before the reader was asked: give it a moment, then end it.
      return now - sale.createdAt < KIOSK_START_GRACE_MS ? sale : this.#end(sale, 'expired');
    }
    if (sale.state === 'awaiting_payment') return this.#awaitingCard(sale, now);
    const job = await this.#job(sale);
    const ours = job?.paidSessionId === sale.id;
    if (job && ours && job.state === 'printed') return this.#capture(sale);
    if (job && ours && job.state === 'released') {
      return sale.state === 'authorised'
        ? ((await this.#sales.transition(sale.id, 'print_started', now)) ?? sale)
        : sale;
    }
    if (job && ours) {
      // Paid, no printer holds it: a print failed since the authorisation, or it waited too long.
      const failed = job.failures.some((f) => f.at >= (sale.authorisedAt ?? sale.createdAt));
      const tooLong = sale.authorisedAt !== null && now - sale.authorisedAt > KIOSK_AUTHORISATION_LIMIT_MS;
      return failed || tooLong || sale.voidedAt !== null ? this.#release(sale) : sale;
    }
    if (job && sale.state === 'authorised' && sale.voidedAt === null && PAYABLE_JOB_STATES.has(job.state)) {
      // Authorised, the job not marked yet (the first pass, or a crash in between).
      const paid = await this.#ownPhotos.markPaid(job.id, {
        sessionId: sale.id,
        paidAt: sale.authorisedAt ?? now,
        via: 'kiosk_sale',
        fee: { currency: sale.currency, totalCents: sale.totalCents, printCount: sale.unitCount },
      });
      if (paid) return sale;
    }
    // Nothing prints under this payment (paid by phone meanwhile, expired, or made unpaid again).
    return this.#voided(sale);
  }

  async #awaitingCard(sale: KioskSaleRecord, now: number): Promise<KioskSaleRecord> {
    if (!sale.paymentId) return sale;
    const payment = await this.#terminal.payment(sale.paymentId);
    if (payment.status === 'authorised' || payment.status === 'captured') {
      const authorised = await this.#sales.transition(sale.id, 'authorised', now, {
        card: payment.card ?? null,
        authorisationCode: payment.authorisationCode ?? null,
        authorisedAt: now,
        lastFailure: null,
      });
      // Null: a cancel won the sale first, and that side releases the money.
      return authorised ? this.advance(authorised) : ((await this.#sales.get(sale.id)) ?? sale);
    }
    if (payment.status === 'voided') return this.#end(sale, 'voided');
    if (now - sale.createdAt > KIOSK_PAYMENT_WINDOW_MS) return this.#end(sale, 'expired');
    if (payment.lastFailure && payment.lastFailure !== sale.lastFailure) {
      return (
        (await this.#sales.patch(sale.id, now, { lastFailure: payment.lastFailure }, ['awaiting_payment'])) ?? sale
      );
    }
    return sale;
  }

  /**
   * Ends a sale no card was authorised for. The sale's transition comes first: once it is
   * cancelled, no pass can authorise it and mark the job, so releasing the reader and a last-moment
   * authorisation afterwards is safe.
   */
  async #end(sale: KioskSaleRecord, outcome: 'cancelled' | 'expired' | 'voided'): Promise<KioskSaleRecord> {
    const now = this.#deps.clock.now();
    const ended = await this.#sales.transition(sale.id, outcome, now, { voidedAt: now });
    if (!ended) return this.advance((await this.#sales.get(sale.id)) ?? sale);
    if (sale.readerId && sale.state === 'awaiting_payment') {
      await this.#terminal
        .cancelCollect({ readerId: sale.readerId, idempotencyKey: `cancel:${sale.id}` })
        .catch((err: unknown) => this.#deps.logger.warn({ err, saleId: sale.id }, 'card reader not freed'));
    }
    if (sale.paymentId) await this.#terminal.void({ paymentId: sale.paymentId, idempotencyKey: `void:${sale.id}` });
    return ended;
  }

  /** Makes the job unpaid again (refused while a printer holds it), then voids the authorisation. */
  async #release(sale: KioskSaleRecord): Promise<KioskSaleRecord> {
    const now = this.#deps.clock.now();
    const marked =
      sale.voidedAt !== null
        ? sale
        : await this.#sales.patch(sale.id, now, { voidedAt: now }, ['authorised', 'printing']);
    if (!marked) return (await this.#sales.get(sale.id)) ?? sale;
    const jobId = this.#jobId(sale);
    await this.#ownPhotos.voidPayment(jobId, sale.id);
    const job = await this.#job(sale);
    // A printer took the job just now: it prints, and the sale is captured after all.
    if (job?.paidSessionId === sale.id) return marked;
    return this.#voided(marked);
  }

  async #voided(sale: KioskSaleRecord): Promise<KioskSaleRecord> {
    if (sale.paymentId) await this.#terminal.void({ paymentId: sale.paymentId, idempotencyKey: `void:${sale.id}` });
    const now = this.#deps.clock.now();
    return (await this.#sales.transition(sale.id, 'voided', now, { voidedAt: now })) ?? sale;
  }

  async #capture(sale: KioskSaleRecord): Promise<KioskSaleRecord> {
    const now = this.#deps.clock.now();
    const printed =
      sale.state === 'printed' ? sale : ((await this.#sales.transition(sale.id, 'all_printed', now)) ?? sale);
    if (printed.state !== 'printed' || !printed.paymentId) return printed;
    const payment: CardPayment = await this.#terminal.capture({
      paymentId: printed.paymentId,
      amountCents: printed.totalCents,
      idempotencyKey: `capture:${printed.id}`,
    });
    if (payment.status !== 'captured') return printed;
    return (
      (await this.#sales.transition(printed.id, 'captured', this.#deps.clock.now(), { capturedAt: now })) ?? printed
    );
  }

  #jobId(sale: KioskSaleRecord): string {
    const jobId = jobIdOfPaymentRef(sale.orderId);
    if (!jobId) throw new AppError('sale_not_found');
    return jobId;
  }

  #job(sale: KioskSaleRecord): Promise<OwnPhotoJobRecord | null> {
    return this.#deps.store.ownPhotoJobs().getOwnPhotoJob(this.#jobId(sale));
  }

  async #own(printer: PrinterRecord, saleId: string): Promise<KioskSaleRecord> {
    const sale = await this.#sales.get(saleId);
    // Another printer's sale, or a basket sale, is as good as unknown here.
    if (!sale || sale.printerId !== printer.id || sale.channel !== OWN_PHOTO_CARD_CHANNEL) {
      throw new AppError('sale_not_found');
    }
    return sale;
  }

  view(sale: KioskSaleRecord): OwnPhotoCardSaleView {
    return {
      id: sale.id,
      jobId: this.#jobId(sale),
      state: sale.state,
      totalCents: sale.totalCents,
      currency: sale.currency,
      taxCents: sale.taxCents,
      taxRatePercent: sale.taxRatePercent,
      printCount: sale.unitCount,
      attempts: sale.attempts,
      lastFailure: sale.lastFailure,
      card: sale.card,
      authorisationCode: sale.authorisationCode,
    };
  }
}
