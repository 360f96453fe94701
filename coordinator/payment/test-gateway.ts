import { createHmac, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { type Random, randomId } from '../../shared/ports/random.ts';
import type {
  CheckoutRequest,
  CheckoutSession,
  PaymentGateway,
  PaymentOutcome,
  PaymentWebhookEvent,
  RefundRequest,
  RefundResult,
} from './port.ts';

export const TEST_GATEWAY_SIGNATURE_HEADER = 'x-test-gateway-signature';
/** Webhooks older than this are refused even with a valid signature (replay protection). */
export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;
export const WEBHOOK_DELIVERY_ATTEMPTS = 5;
const WEBHOOK_RETRY_BASE_MS = 200;
/** Refunds this gateway remembers (for idempotency and for tests); the oldest are forgotten first. */
const MAX_REMEMBERED_REFUNDS = 10_000;
/**
 * The hosted page runs no script, loads nothing and posts only to itself; no other site may frame it
 * (a framed "Pay" button is a clickjacking target).
 */
const CHECKOUT_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface TestRefund extends RefundRequest {
  refundId: string;
  at: number;
}

/** Delivers a webhook to the coordinator; resolves with the HTTP status. */
export type WebhookDelivery = (body: string, headers: Record<string, string>) => Promise<number>;

export interface TestGatewayOptions {
  webhookSecret: string;
  /** Base URL the hosted checkout pages are served under, e.g. http://127.0.0.1:8080 */
  publicUrl: string;
  deliver: WebhookDelivery;
  clock: Clock;
  random: Random;
}

const sessionSchema = z.object({
  o: z.string(),
  a: z.number().int(),
  c: z.string(),
  d: z.string(),
  r: z.string(),
  n: z.string(),
});

/**
 * A payment gateway that behaves like a real hosted checkout (Stripe-style): the coordinator
 * creates a session, the fan is sent to the gateway's payment page, the fan pays, fails or cancels
 * there, and the gateway tells the coordinator with an HMAC-signed webhook, retried until it gets a
 * 2xx. Sessions are self-contained signed blobs, so any coordinator instance can serve the page.
 */
export class TestPaymentGateway implements PaymentGateway {
  readonly name = 'test';
  readonly #opts: TestGatewayOptions;
  readonly #refunds = new Map<string, TestRefund>();
  /** Cents refunded per checkout session, kept when old refunds are forgotten (the limit still holds). */
  readonly #refundedCents = new Map<string, number>();

  constructor(opts: TestGatewayOptions) {
    this.#opts = opts;
  }

  async createCheckout(input: CheckoutRequest): Promise<CheckoutSession> {
    const payload = Buffer.from(
      JSON.stringify({
        o: input.orderId,
        a: input.amountCents,
        c: input.currency,
        d: input.description,
        r: input.returnUrl,
        n: randomId(this.#opts.random, 9),
      }),
    ).toString('base64url');
    const sessionId = `${payload}.${this.#mac(`session.${payload}`).slice(0, 32)}`;
    return { sessionId, checkoutUrl: `${this.#opts.publicUrl}/pay/test/${sessionId}` };
  }

  verifyWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PaymentWebhookEvent {
    const header = headers[TEST_GATEWAY_SIGNATURE_HEADER];
    const match = typeof header === 'string' ? /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header) : null;
    if (!match) throw new AppError('webhook_signature_missing', 'Webhook signature header is missing or malformed.');
    const t = Number(match[1]);
    const expected = Buffer.from(this.#mac(`${t}.${rawBody.toString('utf8')}`), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'))) {
      throw new AppError('webhook_signature_invalid', 'Webhook signature does not match its body.');
    }
    if (Math.abs(this.#opts.clock.now() - t) > WEBHOOK_TOLERANCE_MS) {
      throw new AppError('webhook_stale', 'Webhook timestamp is outside the tolerance window (possible replay).');
    }
    const parsed = webhookSchema.safeParse(safeJson(rawBody));
    if (!parsed.success) throw new AppError('webhook_malformed', 'Webhook body is not a payment event.');
    return parsed.data;
  }

  async refund(input: RefundRequest): Promise<RefundResult> {
    const known = this.#refunds.get(input.idempotencyKey);
    if (known) return { refundId: known.refundId };
    // Only a session this gateway issued can be refunded, as with a real provider.
    const session = this.#openSession(input.sessionId);
    // Partial refunds are allowed, as with real providers (a lab rejects the prints of an order whose
    // digital files were delivered: only the prints go back).
    // Refunds of one payment add up to at most what was paid, as a provider enforces.
    const refundedBefore = this.#refundedCents.get(input.sessionId) ?? 0;
    if (
      session.o !== input.orderId ||
      input.amountCents + refundedBefore > session.a ||
      input.amountCents < 1 ||
      session.c !== input.currency
    ) {
      throw new AppError('refund_failed', 'The refund does not match the payment it names.');
    }
    const refund: TestRefund = {
      ...input,
      refundId: `re_${randomId(this.#opts.random, 12)}`,
      at: this.#opts.clock.now(),
    };
    if (this.#refunds.size >= MAX_REMEMBERED_REFUNDS) {
      const oldest = this.#refunds.keys().next();
      if (!oldest.done) this.#refunds.delete(oldest.value);
    }
    this.#refunds.set(input.idempotencyKey, refund);
    this.#refundedCents.set(input.sessionId, refundedBefore + input.amountCents);
    return { refundId: refund.refundId };
  }

  /** Refunds made so far, oldest first (what a provider's dashboard would list). */
  get refunds(): readonly TestRefund[] {
    return [...this.#refunds.values()];
  }

  /** Signs a body as the gateway does; exported for tests and for the hosted page. */
  signatureHeader(body: string, at: number): string {
    return `t=${at},v1=${this.#mac(`${at}.${body}`)}`;
  }

  mount(router: Router): void {
    router.get('/pay/test/:sessionId', (ctx) => {
      const session = this.#openSession(ctx.params.sessionId!);
      ctx.set(CHECKOUT_PAGE_HEADERS);
      ctx.type = 'html';
      ctx.body = checkoutPage(ctx.params.sessionId!, session);
    });
    router.post('/pay/test/:sessionId', async (ctx) => {
      const session = this.#openSession(ctx.params.sessionId!);
      const body = (ctx.request as { body?: unknown }).body as Record<string, unknown> | undefined;
      const choice = body?.outcome;
      const type: PaymentOutcome | null =
        choice === 'pay'
          ? 'payment.succeeded'
          : choice === 'decline'
            ? 'payment.failed'
            : choice === 'cancel'
              ? 'payment.cancelled'
              : null;
      if (!type) throw new AppError('invalid_input', 'outcome must be pay, decline or cancel.');
      const event: PaymentWebhookEvent = {
        id: `evt_${randomId(this.#opts.random, 12)}`,
        type,
        sessionId: ctx.params.sessionId!,
        orderId: session.o,
        amountCents: session.a,
        currency: session.c,
        createdAt: this.#opts.clock.now(),
      };
      const delivery = await this.#deliverWithRetry(event);
      if (!delivery.delivered)
        throw new AppError(
          'webhook_undelivered',
          'The payment was recorded but the shop did not answer; it will be retried.',
          { lastStatus: delivery.lastStatus, lastError: delivery.lastError },
        );
      ctx.redirect(session.r);
    });
  }

  async #deliverWithRetry(
    event: PaymentWebhookEvent,
  ): Promise<{ delivered: boolean; lastStatus: number | null; lastError: string | null }> {
    const body = JSON.stringify(event);
    let lastStatus: number | null = null;
    let lastError: string | null = null;
    for (let attempt = 0; attempt < WEBHOOK_DELIVERY_ATTEMPTS; attempt++) {
      try {
        const headers = {
          'content-type': 'application/json',
          [TEST_GATEWAY_SIGNATURE_HEADER]: this.signatureHeader(body, this.#opts.clock.now()),
        };
        lastStatus = await this.#opts.deliver(body, headers);
        if (lastStatus >= 200 && lastStatus < 300) return { delivered: true, lastStatus, lastError };
        if (lastStatus >= 400 && lastStatus < 500 && lastStatus !== 408 && lastStatus !== 429) break;
      } catch (err) {
        // Network failure: retry like a real gateway does.
        lastError = err instanceof Error ? err.message : String(err);
      }
      await this.#opts.clock.sleep(WEBHOOK_RETRY_BASE_MS * 2 ** attempt);
    }
    return { delivered: false, lastStatus, lastError };
  }

  #openSession(sessionId: string): z.infer<typeof sessionSchema> {
    const [payload, mac] = sessionId.split('.');
    if (!payload || !mac || mac !== this.#mac(`session.${payload}`).slice(0, 32)) {
      throw new AppError('checkout_not_found', 'This checkout session does not exist.');
    }
    const parsed = sessionSchema.safeParse(safeJson(Buffer.from(payload, 'base64url')));
    if (!parsed.success) throw new AppError('checkout_not_found', 'This checkout session does not exist.');
    return parsed.data;
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#opts.webhookSecret).update(text).digest('hex');
  }
}

const webhookSchema = z.object({
  id: z.string().min(1).max(100),
  type: z.enum(['payment.succeeded', 'payment.failed', 'payment.cancelled']),
  sessionId: z.string().min(1).max(2000),
  orderId: z.string().min(1).max(100),
  amountCents: z.number().int().nonnegative(),
  currency: z.string().length(3),
  createdAt: z.number().int(),
});

function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function checkoutPage(sessionId: string, s: z.infer<typeof sessionSchema>): string {
  const amount = `${(s.a / 100).toFixed(2)} ${escapeHtml(s.c)}`;
  const action = `/pay/test/${encodeURIComponent(sessionId)}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Test checkout</title><style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}button{font-size:1.1rem;padding:.7rem 1rem;margin:.3rem 0;width:100%}</style></head>
<body><h1>Test checkout</h1><p>${escapeHtml(s.d)}</p><p><strong>Total: ${amount}</strong></p>
<p>This is the test payment gateway: no money moves.</p>
<form method="post" action="${action}"><button name="outcome" value="pay">Pay ${amount}</button>
<button name="outcome" value="decline">Simulate a declined card</button>
<button name="outcome" value="cancel">Cancel and go back</button></form></body></html>`;
}
