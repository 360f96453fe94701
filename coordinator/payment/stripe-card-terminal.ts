import type Stripe from 'stripe';
import { AppError } from '../../shared/errors.ts';
import type {
  CardAuthorisationRequest,
  CardFailure,
  CardPayment,
  CardPaymentStatus,
  CardReaderState,
  CardTerminal,
} from './card-terminal-port.ts';
import { stripeCode, stripeFailure } from './stripe-client.ts';

export interface StripeCardTerminalOptions {
  stripe: Stripe;
}

/** Metadata key naming the reader that last collected for a payment (reader failures live on the reader). */
const READER_METADATA_KEY = 'readerId';

/**
 * Stripe Terminal, server-driven, behind the CardTerminal port (JP2002133137A's intermediary): the
 * coordinator creates a manual-capture `card_present` PaymentIntent, tells the station's reader to
 * process it, and reads the outcome back from Stripe. The reader talks to Stripe directly; all we ever
 * see of a card is its brand, last four digits and the authorisation code on the receipt.
 */
export class StripeCardTerminal implements CardTerminal {
  readonly name = 'stripe';
  readonly #stripe: Stripe;

  constructor(opts: StripeCardTerminalOptions) {
    this.#stripe = opts.stripe;
  }

  async createAuthorisation(input: CardAuthorisationRequest): Promise<CardPayment> {
    try {
      const intent = await this.#stripe.paymentIntents.create(
        {
          amount: input.amountCents,
          currency: input.currency.toLowerCase(),
          // `allowed_payment_method_types` since API 2026-09-30 (was `payment_method_types`): the
          // reader's card, never an online card form.
          allowed_payment_method_types: ['card_present'],
          // Authorise now, capture only after the prints came out (or cancel = void).
          capture_method: 'manual',
          description: input.description.slice(0, 1000),
          metadata: { saleId: input.saleId },
        },
        { idempotencyKey: input.idempotencyKey },
      );
      return toCardPayment(intent, null);
    } catch (err) {
      throw stripeFailure(err);
    }
  }

  async collect(input: { readerId: string; paymentId: string; idempotencyKey: string }): Promise<void> {
    try {
      // Remembered with the payment, so a restarted coordinator still finds the reader's failure.
      await this.#stripe.paymentIntents.update(
        input.paymentId,
        { metadata: { [READER_METADATA_KEY]: input.readerId } },
        { idempotencyKey: `${input.idempotencyKey}:reader` },
      );
      await this.#stripe.terminal.readers.processPaymentIntent(
        input.readerId,
        { payment_intent: input.paymentId },
        { idempotencyKey: input.idempotencyKey },
      );
    } catch (err) {
      throw readerFailure(err);
    }
  }

  async cancelCollect(input: { readerId: string; idempotencyKey: string }): Promise<void> {
    const reader = await this.#reader(input.readerId);
    // Nothing in progress: already cancelled, finished or never started; the payment is uncaptured either way.
    if (reader.action?.status !== 'in_progress') return;
    try {
      await this.#stripe.terminal.readers.cancelAction(input.readerId, {}, { idempotencyKey: input.idempotencyKey });
    } catch (err) {
      throw readerFailure(err);
    }
  }

  async payment(paymentId: string): Promise<CardPayment> {
    const intent = await this.#intent(paymentId);
    let action: Stripe.Terminal.Reader.Action | null = null;
    const readerId = intent.metadata?.[READER_METADATA_KEY];
    if (intent.status === 'requires_payment_method' && readerId) {
      const reader = await this.#reader(readerId).catch((err: unknown) => {
        // A reader removed from the account since: the payment's own last error still tells the story.
        if (err instanceof AppError && err.code === 'card_reader_not_found') return null;
        throw err;
      });
      if (reader?.action?.process_payment_intent?.payment_intent === paymentId) action = reader.action;
    }
    return toCardPayment(intent, action);
  }

  async capture(input: { paymentId: string; amountCents: number; idempotencyKey: string }): Promise<CardPayment> {
    try {
      const intent = await this.#stripe.paymentIntents.capture(
        input.paymentId,
        { amount_to_capture: input.amountCents, expand: ['latest_charge'] },
        { idempotencyKey: input.idempotencyKey },
      );
      return toCardPayment(intent, null);
    } catch (err) {
      if (stripeCode(err) !== 'payment_intent_unexpected_state') throw paymentFailure(err);
    }
    // Captured under another key already (a coordinator that lost its key), or not capturable at all.
    const now = await this.payment(input.paymentId);
    if (now.status === 'captured') return now;
    throw new AppError('card_payment_wrong_state', `A ${now.status} card payment cannot be captured.`, {
      status: now.status,
    });
  }

  async void(input: { paymentId: string; idempotencyKey: string }): Promise<CardPayment> {
    try {
      const intent = await this.#stripe.paymentIntents.cancel(
        input.paymentId,
        { cancellation_reason: 'abandoned', expand: ['latest_charge'] },
        { idempotencyKey: input.idempotencyKey },
      );
      return toCardPayment(intent, null);
    } catch (err) {
      if (stripeCode(err) !== 'payment_intent_unexpected_state') throw paymentFailure(err);
    }
    const now = await this.payment(input.paymentId);
    if (now.status === 'voided') return now;
    throw new AppError(
      'card_payment_wrong_state',
      now.status === 'captured'
        ? 'This card payment was already captured: refund it instead of voiding it.'
        : `A ${now.status} card payment cannot be voided now.`,
      { status: now.status },
    );
  }

  /**
   * An operator's refund from the console: `POST /v1/refunds` on the captured PaymentIntent, with
   * the caller's key as Stripe's Idempotency-Key, so a retried refund is replayed, never repeated.
   * Stripe refuses a refund of an uncaptured payment or beyond what is left of the charge.
   */
  async refund(input: {
    paymentId: string;
    amountCents: number;
    idempotencyKey: string;
  }): Promise<{ refundId: string }> {
    if (!Number.isInteger(input.amountCents) || input.amountCents < 1) {
      throw new AppError('refund_failed', 'A refund is a whole number of cents, at least one.');
    }
    try {
      const refund = await this.#stripe.refunds.create(
        { payment_intent: input.paymentId, amount: input.amountCents, reason: 'requested_by_customer' },
        { idempotencyKey: input.idempotencyKey },
      );
      return { refundId: refund.id };
    } catch (err) {
      throw stripeFailure(err, 'refund_failed');
    }
  }

  async reader(readerId: string): Promise<CardReaderState> {
    const reader = await this.#reader(readerId);
    const status =
      reader.status === 'offline' ? 'offline' : reader.action?.status === 'in_progress' ? 'busy' : 'online';
    return { readerId: reader.id, status, ...(reader.label ? { label: reader.label } : {}) };
  }

  async #intent(paymentId: string): Promise<Stripe.PaymentIntent> {
    try {
      return await this.#stripe.paymentIntents.retrieve(paymentId, { expand: ['latest_charge'] });
    } catch (err) {
      throw paymentFailure(err);
    }
  }

  async #reader(readerId: string): Promise<Stripe.Terminal.Reader> {
    let reader: Stripe.Terminal.Reader | Stripe.Terminal.DeletedReader;
    try {
      reader = await this.#stripe.terminal.readers.retrieve(readerId);
    } catch (err) {
      throw readerFailure(err);
    }
    if (reader.deleted) throw new AppError('card_reader_not_found', undefined, { readerId });
    return reader;
  }
}

function paymentFailure(err: unknown): AppError {
  const code = stripeCode(err);
  if (code === 'resource_missing') return stripeFailure(err, 'card_payment_not_found');
  if (code === 'payment_intent_unexpected_state') return stripeFailure(err, 'card_payment_wrong_state');
  return stripeFailure(err);
}

function readerFailure(err: unknown): AppError {
  switch (stripeCode(err)) {
    case 'terminal_reader_offline':
      return stripeFailure(err, 'card_reader_offline');
    case 'terminal_reader_busy':
      return stripeFailure(err, 'card_reader_busy');
    case 'resource_missing':
      return stripeFailure(err, 'card_reader_not_found');
    case 'payment_intent_unexpected_state':
      return stripeFailure(err, 'card_payment_wrong_state');
    default:
      return stripeFailure(err);
  }
}

function statusOf(intent: Stripe.PaymentIntent): CardPaymentStatus {
  switch (intent.status) {
    case 'requires_capture':
      return 'authorised';
    case 'succeeded':
      return 'captured';
    case 'canceled':
      return 'voided';
    case 'requires_payment_method':
      return 'awaiting_card';
    default:
      // requires_confirmation, requires_action, processing: the card is in and Stripe is deciding.
      return 'processing';
  }
}

/**
 * Stripe's decline and reader failure codes as the port's reasons. Reader-side codes follow the
 * Terminal error codes (card_read_timed_out, card_removed); anything unknown is a decline: the
 * payment is not taken, and the fan may try another card.
 */
export function cardFailureOf(code: string | null | undefined, declineCode?: string | null): CardFailure | undefined {
  if (!code) return undefined;
  if (code === 'insufficient_funds' || declineCode === 'insufficient_funds') return 'insufficient_funds';
  switch (code) {
    case 'card_read_timed_out':
    case 'terminal_reader_timeout':
      return 'timeout';
    case 'card_removed':
      return 'card_removed';
    case 'terminal_reader_offline':
      return 'reader_offline';
    case 'canceled':
    case 'customer_canceled':
    case 'terminal_reader_action_canceled':
      return 'cancelled';
    default:
      return 'declined';
  }
}

function lastFailureOf(
  intent: Stripe.PaymentIntent,
  action: Stripe.Terminal.Reader.Action | null,
): CardFailure | undefined {
  if (intent.status !== 'requires_payment_method') return undefined;
  // The reader knows about the latest attempt: a new one in progress clears an older decline.
  if (action?.status === 'in_progress') return undefined;
  if (action?.status === 'failed') {
    return cardFailureOf(action.api_error?.code ?? action.failure_code, action.api_error?.decline_code);
  }
  const error = intent.last_payment_error;
  return error ? cardFailureOf(error.code ?? 'card_declined', error.decline_code) : undefined;
}

function toCardPayment(intent: Stripe.PaymentIntent, action: Stripe.Terminal.Reader.Action | null): CardPayment {
  const payment: CardPayment = {
    paymentId: intent.id,
    status: statusOf(intent),
    amountCents: intent.status === 'succeeded' ? intent.amount_received : intent.amount,
    currency: intent.currency.toUpperCase(),
  };
  const lastFailure = lastFailureOf(intent, action);
  if (lastFailure) payment.lastFailure = lastFailure;
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  const present = charge?.status === 'succeeded' ? charge.payment_method_details?.card_present : undefined;
  // Only these three fields are read: the SDK object also holds reader data we never keep or log.
  if (present?.brand && present.last4) payment.card = { brand: present.brand, last4: present.last4 };
  if (present?.receipt?.authorization_code) payment.authorisationCode = present.receipt.authorization_code;
  return payment;
}
