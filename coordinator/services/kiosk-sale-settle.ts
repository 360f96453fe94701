import { AppError, isAppError } from '../../shared/errors.ts';
import {
  cardSettlement,
  isFinalSaleState,
  type KioskSaleChannel,
  nextSaleState,
} from '../../shared/policy/kiosk-sale-state.ts';
import type { Timer } from '../../shared/ports/clock.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { publishOrder } from '../feed/order-publication.ts';
import type { CardFailure, CardPayment, CardTerminal } from '../payment/card-terminal-port.ts';
import type { KioskSaleRecord, KioskSaleStore } from '../store/kiosk-sale-store.ts';

/** A phone checkout or a card waiting on the reader is given up after this long. */
export const KIOSK_PAYMENT_WINDOW_MS = 5 * 60_000;
/**
 * An authorisation not captured by then is voided (the prints never all came out). Providers hold
 * card-present authorisations for a day or more; ours is far shorter, so money is never held long.
 */
export const KIOSK_AUTHORISATION_LIMIT_MS = 30 * 60_000;
/** A sale whose start was cut short (no payment asked for yet) is expired after this long. */
export const KIOSK_START_GRACE_MS = 60_000;
/** How often the sweeper settles open sales (capture, void, expiry) on the Clock. */
export const KIOSK_SWEEP_INTERVAL_MS = 2_000;
const KIOSK_SWEEP_BATCH = 100;
const SWEEPER_LEASE = 'kiosk-sale-sweeper';
const READER_REFUSALS = ['card_reader_offline', 'card_reader_busy', 'card_reader_not_found'] as const;

/**
 * Settles kiosk sales from what the store and the provider say now, so every step can be repeated:
 * the kiosk's polls, operators and the sweeper all call `advance`, and a coordinator killed between
 * any two steps finishes the sale on its next pass. The order is the lock between printing and
 * money: capture only once it is fulfilled, void only after it was moved to cancelled.
 */
export class KioskSaleSettler {
  readonly #deps: CoordinatorDeps;
  #sweeper: Timer | null = null;
  #sweeping = false;
  /** Channels whose print side is not an order (own-photo card sales): `advance` hands them over. */
  readonly #channels = new Map<KioskSaleChannel, (sale: KioskSaleRecord) => Promise<KioskSaleRecord>>();

  constructor(deps: CoordinatorDeps) {
    this.#deps = deps;
  }

  get #sales(): KioskSaleStore {
    if (!this.#deps.kioskSales) throw new AppError('kiosk_sales_unavailable');
    return this.#deps.kioskSales;
  }

  get #terminal(): CardTerminal {
    if (!this.#deps.cardTerminal) throw new AppError('card_terminal_not_configured');
    return this.#deps.cardTerminal;
  }

  /** Settles `channel`'s sales with `advance` instead (same store, sweeper, reader collection and refunds). */
  settleChannel(channel: KioskSaleChannel, advance: (sale: KioskSaleRecord) => Promise<KioskSaleRecord>): void {
    this.#channels.set(channel, advance);
  }

  /** Starts the sweeper (one per process; a store lease keeps it to one across processes). */
  start(holder: string): void {
    if (this.#sweeper || !this.#deps.kioskSales) return;
    this.#sweeper = this.#deps.clock.setInterval(() => void this.sweep(holder), KIOSK_SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  stop(): void {
    this.#sweeper?.cancel();
    this.#sweeper = null;
  }

  /** One pass over the open sales; returns how many it looked at. */
  async sweep(holder = 'local'): Promise<number> {
    if (this.#sweeping || !this.#deps.kioskSales) return 0;
    this.#sweeping = true;
    try {
      const { store, clock } = this.#deps;
      if (!(await store.acquireLease(SWEEPER_LEASE, holder, clock.now(), KIOSK_SWEEP_INTERVAL_MS * 5))) return 0;
      const open = await this.#sales.listOpen(KIOSK_SWEEP_BATCH);
      for (const sale of open) {
        try {
          await this.advance(sale);
        } catch (err) {
          this.#deps.logger.warn({ err, saleId: sale.id }, 'kiosk sale not settled yet; the sweeper retries');
        }
      }
      return open.length;
    } finally {
      this.#sweeping = false;
    }
  }

  /** Asks the station's reader for a card (attempt `sale.attempts`); a reader that is offline is a failed attempt. */
  async collect(sale: KioskSaleRecord): Promise<KioskSaleRecord> {
    if (sale.state !== 'awaiting_payment' || !sale.paymentId || !sale.readerId) return sale;
    try {
      await this.#terminal.collect({
        readerId: sale.readerId,
        paymentId: sale.paymentId,
        idempotencyKey: `collect:${sale.id}:${sale.attempts}`,
      });
      return sale;
    } catch (err) {
      // A reader that is offline, busy or unknown to the provider: the fan is told, may retry or pay by phone.
      if (!READER_REFUSALS.some((code) => isAppError(err, code))) throw err;
      return (await this.#failAttempt(sale, 'reader_offline')) ?? sale;
    }
  }

  async advance(sale: KioskSaleRecord): Promise<KioskSaleRecord> {
    if (isFinalSaleState(sale.state)) return sale;
    const other = this.#channels.get(sale.channel);
    if (other) return other(sale);
    const { store, clock } = this.#deps;
    const now = clock.now();
    const order = await store.getOrder(sale.orderId);
    if (!order) {
      // The start was cut short before the order existed: nothing was asked of the fan's money yet.
      if (now - sale.createdAt < KIOSK_START_GRACE_MS) return sale;
      if (sale.paymentId) await this.#void(sale);
      return (await this.#sales.transition(sale.id, 'expired', now, { voidedAt: now })) ?? sale;
    }
    if (sale.channel === 'kiosk-phone') return this.#advancePhone(sale, order.state, now);
    if (sale.state === 'created') {
      if (now - sale.createdAt < KIOSK_START_GRACE_MS) return sale;
      return this.#giveUp(sale, 'expired');
    }
    if (sale.state === 'awaiting_payment') return this.#advanceCardPayment(sale, now);
    const action = cardSettlement(sale.state, order.state);
    if (action === 'mark_printing') return (await this.#sales.transition(sale.id, 'print_started', now)) ?? sale;
    if (action === 'capture') return this.#capture(sale);
    if (action === 'void') return this.#voided(sale);
    if (action === 'wait' && sale.authorisedAt !== null && now - sale.authorisedAt > KIOSK_AUTHORISATION_LIMIT_MS) {
      // Held too long without all prints: release the money. If the last print lands first, the order
      // is fulfilled, the transition refuses, and the next pass captures instead.
      await store.transitionOrder(sale.orderId, 'payment_voided');
      const after = await store.getOrder(sale.orderId);
      if (after?.state === 'cancelled') return this.#voided(sale);
    }
    return sale;
  }

  async #advanceCardPayment(sale: KioskSaleRecord, now: number): Promise<KioskSaleRecord> {
    const { store } = this.#deps;
    if (!sale.paymentId) return sale;
    const payment = await this.#terminal.payment(sale.paymentId);
    if (payment.status === 'authorised' || payment.status === 'captured') {
      // The order is paid first: a crash before the sale moves leaves a paid order the next pass finds.
      const paid = await store.transitionOrder(sale.orderId, 'payment_succeeded', {
        paidAt: now,
        paymentSessionId: payment.paymentId,
      });
      const current = paid ?? (await store.getOrder(sale.orderId));
      if (current?.state === 'cancelled') {
        // Cancelled at the kiosk while the card was being read: the money is released.
        await this.#void(sale);
        return (await this.#sales.transition(sale.id, 'voided', now, { voidedAt: now })) ?? sale;
      }
      if (paid) await publishOrder(this.#deps, paid);
      return (
        (await this.#sales.transition(sale.id, 'authorised', now, {
          card: payment.card ?? null,
          authorisationCode: payment.authorisationCode ?? null,
          authorisedAt: now,
          lastFailure: null,
        })) ?? sale
      );
    }
    if (payment.status === 'voided') return this.#giveUp(sale, 'voided');
    if (payment.lastFailure && payment.lastFailure !== sale.lastFailure) {
      return (await this.#failAttempt(sale, payment.lastFailure)) ?? sale;
    }
    if (now - sale.createdAt > KIOSK_PAYMENT_WINDOW_MS) return this.#giveUp(sale, 'expired');
    return sale;
  }

  async #advancePhone(sale: KioskSaleRecord, orderState: string, now: number): Promise<KioskSaleRecord> {
    const { store } = this.#deps;
    if (sale.state === 'created' || sale.state === 'awaiting_payment') {
      if (orderState === 'paid' || orderState === 'redeeming' || orderState === 'fulfilled') {
        const paid = (await this.#sales.transition(sale.id, 'paid', now, { authorisedAt: now })) ?? sale;
        return this.#advancePhone(paid, orderState, now);
      }
      if (orderState === 'cancelled') return (await this.#sales.transition(sale.id, 'cancelled', now)) ?? sale;
      if (orderState === 'payment_failed' && sale.lastFailure !== 'declined') {
        return (await this.#sales.patch(sale.id, now, { lastFailure: 'declined' }, ['awaiting_payment'])) ?? sale;
      }
      if (now - sale.createdAt > KIOSK_PAYMENT_WINDOW_MS) {
        const cancelled = await store.transitionOrder(sale.orderId, 'payment_cancelled');
        if (cancelled) return (await this.#sales.transition(sale.id, 'expired', now)) ?? sale;
      }
      return sale;
    }
    if (orderState === 'redeeming' && sale.state === 'paid') {
      return (await this.#sales.transition(sale.id, 'print_started', now)) ?? sale;
    }
    if (orderState === 'fulfilled') return (await this.#sales.transition(sale.id, 'all_printed', now)) ?? sale;
    return sale;
  }

  /** The fan pressed cancel at the kiosk (or the kiosk gave up): frees the reader, releases any money. */
  async cancel(sale: KioskSaleRecord): Promise<KioskSaleRecord> {
    const current = await this.advance(sale);
    if (isFinalSaleState(current.state)) return current;
    if (current.state === 'created' || current.state === 'awaiting_payment') {
      if (current.channel === 'kiosk-card' && current.readerId) {
        await this.#terminal.cancelCollect({ readerId: current.readerId, idempotencyKey: `cancel:${current.id}` });
        // The card may have been authorised just before the cancel reached the reader.
        const settled = await this.advance(current);
        if (settled.state !== 'awaiting_payment') return this.cancel(settled);
      }
      return this.#giveUp(current, 'cancelled');
    }
    if (current.state === 'authorised' && current.channel === 'kiosk-card') {
      return this.printFailed(current, 'cancelled at the kiosk before printing');
    }
    throw new AppError('sale_not_cancellable');
  }

  /** Printing failed at the station: the card's money is released (phone: refunded); nothing is captured. */
  async printFailed(sale: KioskSaleRecord, reason: string): Promise<KioskSaleRecord> {
    const { store, logger } = this.#deps;
    const current = await this.advance(sale);
    if (isFinalSaleState(current.state) || current.state === 'printed') return this.advance(current);
    logger.warn({ saleId: sale.id, reason }, 'kiosk sale not printed: releasing the payment');
    await store.transitionOrder(current.orderId, 'payment_voided');
    const order = await store.getOrder(current.orderId);
    // Fulfilled after all (the last print landed): the sale is captured, not voided.
    if (order?.state !== 'cancelled') return this.advance(current);
    return current.channel === 'kiosk-card' ? this.#voided(current) : this.refund(current, reason);
  }

  /** Gives money back: phone through the gateway; card through the terminal when it can refund. */
  async refund(sale: KioskSaleRecord, reason: string): Promise<KioskSaleRecord> {
    const { store, payments, clock } = this.#deps;
    if (sale.state === 'refunded') return sale;
    // Before asking the provider: an unpaid or released sale has nothing to give back (a test
    // gateway would "refund" an unpaid checkout), and that is the asker's mistake, not the provider's.
    if (!nextSaleState(sale.channel, sale.state, 'refunded')) throw new AppError('sale_not_refundable');
    let refundId: string;
    if (sale.channel === 'kiosk-phone') {
      const order = await store.getOrder(sale.orderId);
      if (!order?.paymentSessionId) throw new AppError('refund_failed', 'This sale has no payment to refund.');
      ({ refundId } = await payments.refund({
        sessionId: order.paymentSessionId,
        orderId: order.id,
        amountCents: sale.totalCents,
        currency: sale.currency,
        reason,
        idempotencyKey: `kiosk-refund:${sale.id}`,
      }));
    } else {
      const terminal = this.#terminal;
      if (sale.state !== 'captured' || !sale.paymentId || !terminal.refund) {
        throw new AppError('refund_failed', 'Only a captured card sale can be refunded, by a terminal that refunds.');
      }
      ({ refundId } = await terminal.refund({
        paymentId: sale.paymentId,
        amountCents: sale.totalCents,
        idempotencyKey: `kiosk-refund:${sale.id}`,
      }));
    }
    return (await this.#sales.transition(sale.id, 'refunded', clock.now(), { refundId })) ?? sale;
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

  /** The order is cancelled (nothing more prints): release the authorisation, then record it. */
  async #voided(sale: KioskSaleRecord): Promise<KioskSaleRecord> {
    await this.#void(sale);
    const now = this.#deps.clock.now();
    return (await this.#sales.transition(sale.id, 'voided', now, { voidedAt: now })) ?? sale;
  }

  async #void(sale: KioskSaleRecord): Promise<void> {
    if (!sale.paymentId || sale.channel !== 'kiosk-card') return;
    await this.#terminal.void({ paymentId: sale.paymentId, idempotencyKey: `void:${sale.id}` });
  }

  /** No money was taken (or it is released): the order can never print, then the sale ends. */
  async #giveUp(sale: KioskSaleRecord, outcome: 'cancelled' | 'expired' | 'voided'): Promise<KioskSaleRecord> {
    const { store, clock } = this.#deps;
    await store.transitionOrder(sale.orderId, 'payment_cancelled');
    const order = await store.getOrder(sale.orderId);
    if (
      order &&
      order.state !== 'cancelled' &&
      order.state !== 'awaiting_payment' &&
      order.state !== 'payment_failed'
    ) {
      // Paid in the meantime (the card was tapped just now): the next pass takes the paid path.
      return this.advance(sale);
    }
    if (sale.readerId && sale.state === 'awaiting_payment') {
      await this.#terminal
        .cancelCollect({ readerId: sale.readerId, idempotencyKey: `cancel:${sale.id}` })
        .catch((err: unknown) => {
          if (!isAppError(err)) throw err;
        });
    }
    await this.#void(sale);
    const now = clock.now();
    return (await this.#sales.transition(sale.id, outcome, now, { voidedAt: now })) ?? sale;
  }

  async #failAttempt(sale: KioskSaleRecord, failure: CardFailure): Promise<KioskSaleRecord | null> {
    return this.#sales.patch(sale.id, this.#deps.clock.now(), { lastFailure: failure }, ['awaiting_payment']);
  }
}
