import type Router from '@koa/router';

/** A payment provider's hosted checkout, seen from the coordinator. */
export interface PaymentGateway {
  readonly name: string;
  createCheckout(input: CheckoutRequest): Promise<CheckoutSession>;
  /**
   * Verifies a webhook's signature over the exact raw body and parses it. Throws AppError
   * (400 malformed, 401 bad or stale signature); never trusts an unverified body. A verified event
   * the shop need not act on (another event type, a payment still pending) throws `webhook_ignored`,
   * whose status is 200: providers resend anything else for days.
   */
  verifyWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PaymentWebhookEvent;
  /**
   * Gives a captured payment back (e.g. one that arrived after its order was cancelled). Idempotent
   * on `idempotencyKey`: a retry returns the first refund.
   */
  refund(input: RefundRequest): Promise<RefundResult>;
  /** Routes of a gateway that hosts its own pages here (the test gateway); real gateways add none. */
  mount?(router: Router): void;
}

export interface CheckoutRequest {
  orderId: string;
  amountCents: number;
  currency: string;
  description: string;
  /** Where the fan lands after paying or giving up. */
  returnUrl: string;
}

export interface CheckoutSession {
  sessionId: string;
  checkoutUrl: string;
}

export type PaymentOutcome = 'payment.succeeded' | 'payment.failed' | 'payment.cancelled';

export interface PaymentWebhookEvent {
  /** Unique per delivery attempt's event, stable across retries: processing is idempotent on it. */
  id: string;
  type: PaymentOutcome;
  sessionId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  createdAt: number;
}

export interface RefundRequest {
  sessionId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  reason: string;
  /** The same key refunds once, however often it is asked. */
  idempotencyKey: string;
}

export interface RefundResult {
  refundId: string;
}
