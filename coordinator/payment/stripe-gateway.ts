import type Stripe from 'stripe';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type {
  CheckoutRequest,
  CheckoutSession,
  PaymentGateway,
  PaymentOutcome,
  PaymentWebhookEvent,
  RefundRequest,
  RefundResult,
} from './port.ts';
import { isStripeError, stripeFailure } from './stripe-client.ts';

/** Stripe's own default tolerance: a signed event older than this is refused as a possible replay. */
export const STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300;
export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';
/**
 * An unpaid checkout ends after this long: Stripe then sends checkout.session.expired and the order is
 * cancelled (Stripe accepts 30 minutes to 24 hours; a fan at a venue pays within minutes or not at all).
 */
export const CHECKOUT_SESSION_TTL_MS = 60 * 60_000;
/** Longest product name Checkout shows on one line; longer descriptions are cut, never refused. */
const MAX_LINE_ITEM_NAME_CHARS = 250;

export interface StripeGatewayOptions {
  stripe: Stripe;
  /** The endpoint's signing secret (`whsec_…`), from the webhook endpoint's page in the Stripe dashboard. */
  webhookSecret: string;
  clock: Clock;
  toleranceSeconds?: number;
}

/** The events the shop acts on; any other type is acknowledged and ignored. */
const CHECKOUT_EVENTS = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
]);

const sessionSchema = z.object({
  object: z.literal('checkout.session'),
  id: z.string().min(1).max(500),
  client_reference_id: z.string().max(200).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  amount_total: z.number().int().nonnegative(),
  currency: z.string().length(3),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
});

const eventSchema = z.object({
  id: z.string().min(1).max(200),
  object: z.literal('event'),
  type: z.string().min(1).max(200),
  created: z.number().int().nonnegative(),
  data: z.object({ object: z.unknown() }),
});

/**
 * Stripe Checkout behind the PaymentGateway port. The coordinator creates a Checkout Session per order
 * (one line, the order's total), the fan pays on Stripe's hosted page, and Stripe tells the coordinator
 * with a signed webhook. Card data never touches us: Checkout collects it on Stripe's page.
 */
export class StripePaymentGateway implements PaymentGateway {
  readonly name = 'stripe';
  readonly #stripe: Stripe;
  readonly #secret: string;
  readonly #clock: Clock;
  readonly #toleranceSeconds: number;

  constructor(opts: StripeGatewayOptions) {
    this.#stripe = opts.stripe;
    this.#secret = opts.webhookSecret;
    this.#clock = opts.clock;
    this.#toleranceSeconds = opts.toleranceSeconds ?? STRIPE_WEBHOOK_TOLERANCE_SECONDS;
  }

  async createCheckout(input: CheckoutRequest): Promise<CheckoutSession> {
    let session: Stripe.Checkout.Session;
    try {
      session = await this.#stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: input.currency.toLowerCase(),
                unit_amount: input.amountCents,
                product_data: { name: input.description.slice(0, MAX_LINE_ITEM_NAME_CHARS) },
              },
            },
          ],
          // Both carry the order id: metadata for our webhook handler, client_reference_id for the
          // operator searching the Stripe dashboard; the payment intent gets it for refunds by hand.
          client_reference_id: input.orderId,
          metadata: { orderId: input.orderId },
          payment_intent_data: { metadata: { orderId: input.orderId } },
          success_url: input.returnUrl,
          cancel_url: input.returnUrl,
          expires_at: Math.floor((this.#clock.now() + CHECKOUT_SESSION_TTL_MS) / 1000),
        },
        // One session per order, however often the shop retries (order ids are never reused).
        { idempotencyKey: `checkout:${input.orderId}` },
      );
    } catch (err) {
      throw stripeFailure(err);
    }
    if (!session.url) throw new AppError('payment_provider_refused', 'Stripe created a checkout without a page.');
    return { sessionId: session.id, checkoutUrl: session.url };
  }

  verifyWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PaymentWebhookEvent {
    const header = headers[STRIPE_SIGNATURE_HEADER];
    if (typeof header !== 'string' || !/(^|,)t=\d+/.test(header) || !/(^|,)v1=[0-9a-f]+/.test(header)) {
      throw new AppError('webhook_signature_missing', 'The Stripe-Signature header is missing or malformed.');
    }
    let event: Stripe.Event;
    try {
      event = this.#stripe.webhooks.constructEvent(
        rawBody,
        header,
        this.#secret,
        this.#toleranceSeconds,
        undefined,
        this.#clock.now(),
      );
    } catch (err) {
      throw this.#verificationFailure(err, rawBody, header);
    }
    return this.#toPaymentEvent(event);
  }

  /** A failed constructEvent: a bad signature, a good signature that is too old, or a body that is not JSON. */
  #verificationFailure(err: unknown, rawBody: Buffer, header: string): AppError {
    if (err instanceof SyntaxError) return new AppError('webhook_malformed', 'The Stripe event is not JSON.');
    if (!isStripeError(err)) throw err;
    // Checked again without the age limit (tolerance 0), so a stale event is told apart from a forged
    // one without reading the SDK's message text.
    let signatureGood = false;
    try {
      signatureGood = this.#stripe.webhooks.signature?.verifyHeader(rawBody, header, this.#secret, 0) === true;
    } catch (again) {
      if (!isStripeError(again)) throw again;
    }
    return signatureGood
      ? new AppError('webhook_stale')
      : new AppError('webhook_signature_invalid', 'The Stripe-Signature does not match this body and secret.');
  }

  #toPaymentEvent(raw: unknown): PaymentWebhookEvent {
    const event = eventSchema.safeParse(raw);
    if (!event.success) throw new AppError('webhook_malformed', 'The body is not a Stripe event.');
    const { id, type, created } = event.data;
    if (!CHECKOUT_EVENTS.has(type)) {
      throw new AppError('webhook_ignored', `Stripe event ${type} needs no action here.`, { type });
    }
    const parsed = sessionSchema.safeParse(event.data.data.object);
    if (!parsed.success) throw new AppError('webhook_malformed', `The ${type} event carries no checkout session.`);
    const session = parsed.data;
    const outcome = outcomeOf(type, session.payment_status);
    if (!outcome) {
      // Completed with a delayed payment method (e.g. a bank debit): the money follows in an
      // async_payment_succeeded or _failed event.
      throw new AppError('webhook_ignored', 'The checkout is complete but its payment is still pending.', { type });
    }
    const orderId = session.metadata?.orderId ?? session.client_reference_id ?? null;
    if (
      !orderId ||
      (session.client_reference_id && session.metadata?.orderId && session.client_reference_id !== orderId)
    ) {
      throw new AppError('webhook_malformed', 'The checkout session names no order (or two different ones).');
    }
    return {
      id,
      type: outcome,
      sessionId: session.id,
      orderId,
      amountCents: session.amount_total,
      currency: session.currency.toUpperCase(),
      createdAt: created * 1000,
    };
  }

  async refund(input: RefundRequest): Promise<RefundResult> {
    let session: Stripe.Checkout.Session;
    try {
      session = await this.#stripe.checkout.sessions.retrieve(input.sessionId);
    } catch (err) {
      throw stripeFailure(err, 'refund_failed');
    }
    // Only the payment the request names is refunded, as the test gateway insists too; a part of it
    // may be (a lab rejects the prints of a reorder whose digital files were delivered).
    if (
      (session.metadata?.orderId ?? session.client_reference_id) !== input.orderId ||
      session.amount_total === null ||
      input.amountCents < 1 ||
      input.amountCents > session.amount_total ||
      session.currency?.toUpperCase() !== input.currency.toUpperCase()
    ) {
      throw new AppError('refund_failed', 'The refund does not match the payment it names.');
    }
    const paymentIntent =
      typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
    if (!paymentIntent) throw new AppError('refund_failed', 'This checkout has no payment to refund.');
    try {
      const refund = await this.#stripe.refunds.create(
        {
          payment_intent: paymentIntent,
          amount: input.amountCents,
          reason: 'requested_by_customer',
          metadata: { orderId: input.orderId, why: input.reason.slice(0, 500) },
        },
        { idempotencyKey: input.idempotencyKey },
      );
      return { refundId: refund.id };
    } catch (err) {
      throw stripeFailure(err, 'refund_failed');
    }
  }
}

function outcomeOf(type: string, paymentStatus: 'paid' | 'unpaid' | 'no_payment_required'): PaymentOutcome | null {
  switch (type) {
    case 'checkout.session.completed':
      return paymentStatus === 'paid' ? 'payment.succeeded' : null;
    case 'checkout.session.async_payment_succeeded':
      return 'payment.succeeded';
    case 'checkout.session.async_payment_failed':
      return 'payment.failed';
    case 'checkout.session.expired':
      return 'payment.cancelled';
    default:
      return null;
  }
}
