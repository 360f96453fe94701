import { AppError, isAppError } from '../../shared/errors.ts';
import { includedTaxCents, isFinalSaleState } from '../../shared/policy/kiosk-sale-state.ts';
import { priceOrder } from '../../shared/policy/pricing.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { KioskPayments, KioskSaleRequest, KioskSaleView } from '../../shared/protocol/kiosk-sale.ts';
import { signRedemptionToken } from '../../shared/token/redemption-token.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { CardTerminal } from '../payment/card-terminal-port.ts';
import type { KioskSaleRecord, KioskSaleStore } from '../store/kiosk-sale-store.ts';
import type { PrinterRecord } from '../store/records.ts';
import type { TemplateService } from '../templates/template-service.ts';
import { requireCardTerminal, requireKioskSales, unpaidSaleFields } from './card-sale-steps.ts';
import { basketShape, kioskLines, kioskTemplateFees, priceKioskFrames, saleItemsView } from './kiosk-sale-frames.ts';
import { KioskSaleSettler } from './kiosk-sale-settle.ts';
import { insertUnpaidOrder } from './order-insert.ts';
import { redemptionExpiry } from './orders.ts';

/** Sales listed on the console at once. */
export const MAX_SALES_LISTED = 200;

/**
 * Kiosk sales at the coordinator, the intermediary (JP2002133137A): a basket from a printer's kiosk
 * becomes an ordinary order (so printing it reuses redemption's exactly-once claim), paid by the
 * fan's phone (hosted checkout, verified webhook) or by card on the station's reader (authorised,
 * printed, then captured). Every step is idempotent and re-derivable from the store and the
 * provider, so a retry, a double tap or a restarted process converges (kiosk-sale-settle.ts).
 */
export class KioskSaleService {
  readonly #deps: CoordinatorDeps;
  readonly settler: KioskSaleSettler;
  /** Issue #14: frames chosen at the kiosk are priced by the event's templates (null: none offered). */
  readonly #templates: TemplateService | null;

  constructor(deps: CoordinatorDeps, templates: TemplateService | null = null) {
    this.#deps = deps;
    this.settler = new KioskSaleSettler(deps);
    this.#templates = templates;
  }

  get #sales(): KioskSaleStore {
    return requireKioskSales(this.#deps);
  }

  get #terminal(): CardTerminal {
    return requireCardTerminal(this.#deps);
  }

  /**
   * What this printer's kiosk may offer: phone (a gateway is configured), card (the state of the
   * reader an operator assigned to this printer). `namedReaderId` is the reader the station's config
   * names: one that is not its assigned reader is never looked at, and the kiosk is offered no card.
   */
  async payments(printer: PrinterRecord, namedReaderId: string | undefined): Promise<KioskPayments> {
    const { payments, cardTerminal, kioskSales } = this.#deps;
    const readerId = printer.cardReaderId ?? null;
    let card: KioskPayments['card'] = null;
    if (cardTerminal && readerId && kioskSales && !namesOtherReader(readerId, namedReaderId)) {
      try {
        const reader = await cardTerminal.reader(readerId);
        card = { readerId, status: reader.status };
      } catch (err) {
        if (!isAppError(err)) throw err;
        card = { readerId, status: 'offline' };
      }
    }
    return { phone: payments.name !== 'none' && !!kioskSales, card, taxRatePercent: this.#taxRate() };
  }

  async create(printer: PrinterRecord, input: KioskSaleRequest): Promise<KioskSaleView> {
    const sales = this.#sales;
    const { store, clock, random } = this.#deps;
    // The reader is the one operators assigned to this printer, never one the printer names.
    const readerId = input.channel === 'kiosk-card' ? this.#assignedReader(printer, input.readerId) : null;
    const event = await store.getEvent(input.eventId);
    if (!event || event.venueId !== printer.venueId) throw new AppError('event_not_found');
    const lines = await kioskLines(this.#deps, event.id, input.items);
    let price: ReturnType<typeof priceOrder>;
    try {
      price = priceOrder(event.priceList, lines);
    } catch (err) {
      throw new AppError('order_too_large', (err as Error).message);
    }
    const framed = await priceKioskFrames(this.#templates, this.#deps, event, lines);
    const totalCents = price.totalCents + framed.feesCents;
    if (input.expectedTotalCents !== undefined && input.expectedTotalCents !== totalCents) {
      throw new AppError(
        'price_changed',
        'The price changed since the basket was priced (a frame got more popular or a table was switched); check the new total and pay again.',
        { totalCents, currency: price.currency },
      );
    }
    const now = clock.now();
    const taxRatePercent = this.#taxRate();
    const candidate: KioskSaleRecord = {
      id: randomId(random, 12),
      idempotencyKey: input.idempotencyKey,
      printerId: printer.id,
      venueId: printer.venueId,
      eventId: event.id,
      channel: input.channel,
      items: framed.items,
      unitCount: price.printCount,
      totalCents,
      currency: price.currency,
      taxCents: includedTaxCents(totalCents, taxRatePercent),
      taxRatePercent,
      orderId: randomId(random, 16),
      readerId,
      ...unpaidSaleFields(now),
    };
    const { inserted, sale } = await sales.insertOrGet(candidate);
    if (!inserted) {
      // A double tap or a retry of the same "Pay": the same basket gets the same sale, never a second one.
      if (sale.channel !== input.channel || basketShape(sale.items) !== basketShape(lines)) {
        throw new AppError('sale_idempotency_mismatch');
      }
      return this.view(await this.settler.advance(sale));
    }
    return this.view(await this.#start(sale, event.name));
  }

  /** Creates the order and asks for the money; each step is safe to repeat (the sweeper finishes a cut-short start). */
  async #start(sale: KioskSaleRecord, eventName: string): Promise<KioskSaleRecord> {
    const { payments, settings, clock } = this.#deps;
    const description = `${sale.unitCount} print(s) from ${eventName}`;
    if (sale.channel === 'kiosk-phone') {
      const session = await payments.createCheckout({
        orderId: sale.orderId,
        amountCents: sale.totalCents,
        currency: sale.currency,
        description,
        returnUrl: `${settings.publicUrl}/o/${sale.orderId}`,
      });
      await this.#insertOrder(sale, session.sessionId);
      const started = await this.#sales.transition(sale.id, 'payment_started', clock.now(), {
        checkoutUrl: session.checkoutUrl,
      });
      return started ?? sale;
    }
    await this.#insertOrder(sale, null);
    const payment = await this.#terminal.createAuthorisation({
      saleId: sale.id,
      amountCents: sale.totalCents,
      currency: sale.currency,
      description,
      idempotencyKey: `auth:${sale.id}`,
    });
    const started =
      (await this.#sales.transition(sale.id, 'payment_started', clock.now(), { paymentId: payment.paymentId })) ?? sale;
    return this.settler.collect(started);
  }

  async #insertOrder(sale: KioskSaleRecord, sessionId: string | null): Promise<void> {
    const { store } = this.#deps;
    if (await store.getOrder(sale.orderId)) return;
    await insertUnpaidOrder(
      store,
      {
        id: sale.orderId,
        eventId: sale.eventId,
        venueId: sale.venueId,
        items: sale.items,
        unitCount: sale.unitCount,
        totalCents: sale.totalCents,
        currency: sale.currency,
        paymentSessionId: sessionId,
        createdAt: sale.createdAt,
      },
      async () => Boolean(await store.getOrder(sale.orderId)),
    );
  }

  /** The sale as its kiosk sees it, advanced first (the card may have been tapped since). */
  async get(printer: PrinterRecord, saleId: string): Promise<KioskSaleView> {
    return this.view(await this.settler.advance(await this.#own(printer, saleId)));
  }

  async cancel(printer: PrinterRecord, saleId: string): Promise<KioskSaleView> {
    return this.view(await this.settler.cancel(await this.#own(printer, saleId)));
  }

  async retry(printer: PrinterRecord, saleId: string): Promise<KioskSaleView> {
    const sale = await this.settler.advance(await this.#own(printer, saleId));
    if (sale.channel !== 'kiosk-card' || sale.state !== 'awaiting_payment') return this.view(sale);
    // The reader was taken off this printer since: no new card request on it (cancel still frees it).
    if (sale.readerId !== (printer.cardReaderId ?? null)) throw new AppError('card_reader_not_assigned');
    const next = await this.#sales.patch(
      sale.id,
      this.#deps.clock.now(),
      { attempts: sale.attempts + 1, lastFailure: null },
      ['awaiting_payment'],
    );
    return this.view(next ? await this.settler.collect(next) : sale);
  }

  async printFailed(printer: PrinterRecord, saleId: string, reason: string): Promise<KioskSaleView> {
    return this.view(await this.settler.printFailed(await this.#own(printer, saleId), reason));
  }

  async #own(printer: PrinterRecord, saleId: string): Promise<KioskSaleRecord> {
    const sale = await this.#sales.get(saleId);
    // Another printer's sale is as good as unknown: sale ids are not capabilities across printers.
    if (!sale || sale.printerId !== printer.id) throw new AppError('sale_not_found');
    // An own-photo card sale has no order: it is settled through its own routes (own-photo-card-sales.ts).
    if (sale.channel === 'own-photo-card') throw new AppError('sale_not_found');
    return sale;
  }

  async view(sale: KioskSaleRecord): Promise<KioskSaleView> {
    const { store } = this.#deps;
    const order = await store.getOrder(sale.orderId);
    let token: string | null = null;
    if (order && !isFinalSaleState(sale.state) && ['authorised', 'paid', 'printing'].includes(sale.state)) {
      const event = await store.getEvent(order.eventId);
      if (event) {
        token = signRedemptionToken(
          order.code,
          redemptionExpiry(this.#deps, event, order),
          this.#deps.tokenKeys.current,
        );
      }
    }
    return {
      id: sale.id,
      state: sale.state,
      channel: sale.channel,
      eventId: sale.eventId,
      items: saleItemsView(sale.items),
      unitCount: sale.unitCount,
      totalCents: sale.totalCents,
      currency: sale.currency,
      taxCents: sale.taxCents,
      taxRatePercent: sale.taxRatePercent,
      orderId: sale.orderId,
      orderCode: order?.code ?? '',
      checkoutUrl: sale.checkoutUrl,
      token,
      attempts: sale.attempts,
      lastFailure: sale.lastFailure,
      card: sale.card,
      authorisationCode: sale.authorisationCode,
    };
  }

  /** Issue #14: the frames this printer's kiosk may offer for the event, with their fee now. */
  async templateFees(printer: PrinterRecord, eventId: string) {
    const event = await this.#deps.store.getEvent(eventId);
    if (!event || event.venueId !== printer.venueId) throw new AppError('event_not_found');
    return kioskTemplateFees(this.#templates, event);
  }

  /** Operators: recent sales, newest first. */
  async list(printerId?: string): Promise<KioskSaleRecord[]> {
    return this.#deps.kioskSales
      ? this.#deps.kioskSales.listRecent(MAX_SALES_LISTED, printerId ? { printerId } : {})
      : [];
  }

  /** The printer's assigned reader for a card sale; a station that names another one is refused. */
  #assignedReader(printer: PrinterRecord, namedReaderId: string | undefined): string {
    void this.#terminal;
    const assigned = printer.cardReaderId ?? null;
    if (namesOtherReader(assigned, namedReaderId)) throw new AppError('card_reader_not_assigned');
    if (!assigned) throw new AppError('card_reader_not_configured');
    return assigned;
  }

  #taxRate(): number {
    return this.#deps.settings.taxRatePercent ?? 0;
  }
}

/**
 * True when the station's config names a reader other than its assigned one (none assigned counts
 * as other). Edge nodes send their configured `cardReaderId`; one that matches, or none, is fine.
 */
function namesOtherReader(assigned: string | null, named: string | undefined): boolean {
  return named !== undefined && named !== assigned;
}
