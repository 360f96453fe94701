import test, { type ExecutionContext } from 'ava';
import type {
  CheckoutSession,
  PaymentGateway,
  PaymentOutcome,
  PaymentWebhookEvent,
} from '../../coordinator/payment/port.ts';
import { isAppError } from '../../shared/errors.ts';
import type { ManualClock } from '../../shared/ports/clock.ts';

/**
 * The PaymentGateway port's contract, run against every adapter (the `test` gateway and Stripe
 * Checkout through its SDK and the fixture server): a checkout per order, the provider's signed
 * webhook for each way the fan can finish, signature and replay checks, and idempotent refunds.
 */

export interface SignedWebhook {
  body: string;
  headers: Record<string, string>;
}

export type FanChoice = 'pay' | 'decline' | 'cancel';

export interface PaymentGatewayHarness {
  gateway: PaymentGateway;
  /** The clock the gateway checks webhook ages with (and the provider signs with). */
  clock: ManualClock;
  /** Plays the fan on the provider's hosted page; resolves with every webhook the provider sent, in order. */
  finish(session: CheckoutSession, choice: FanChoice): Promise<SignedWebhook[]>;
  /** Signs any body with the provider's real scheme and the gateway's secret (for malformed-body checks). */
  sign(body: string): Record<string, string>;
  close(): Promise<void>;
}

export type MakePaymentGatewayHarness = () => Promise<PaymentGatewayHarness>;

const EXPECTED: Record<FanChoice, PaymentOutcome> = {
  pay: 'payment.succeeded',
  decline: 'payment.failed',
  cancel: 'payment.cancelled',
};
/** Both providers refuse signed events older than five minutes; ten is safely past it. */
const PAST_TOLERANCE_MS = 10 * 60_000;

let orderCounter = 0;

function order(amountCents = 2_800) {
  orderCounter += 1;
  const orderId = `order-${process.pid}-${orderCounter}`;
  return {
    orderId,
    amountCents,
    currency: 'EUR',
    description: '4 print(s) from Summer Gala',
    returnUrl: `http://shop.test/o/${orderId}`,
  };
}

/** The events a gateway acts on: deliveries it acknowledges without acting (`webhook_ignored`) are left out. */
export function actionable(gateway: PaymentGateway, deliveries: SignedWebhook[]): PaymentWebhookEvent[] {
  const events: PaymentWebhookEvent[] = [];
  for (const d of deliveries) {
    try {
      events.push(gateway.verifyWebhook(Buffer.from(d.body), d.headers));
    } catch (err) {
      if (!isAppError(err, 'webhook_ignored')) throw err;
    }
  }
  return events;
}

function refusal(t: ExecutionContext, fn: () => unknown): { code: string; status: number } {
  const err = t.throws(fn);
  t.true(isAppError(err), String(err));
  return isAppError(err) ? { code: err.code, status: err.status } : { code: '', status: 0 };
}

export function paymentGatewayContract(name: string, make: MakePaymentGatewayHarness): void {
  const contract = (title: string, body: (t: ExecutionContext, h: PaymentGatewayHarness) => Promise<void>) => {
    test(`payment gateway contract (${name}): ${title}`, async (t) => {
      const h = await make();
      t.teardown(() => h.close());
      await body(t, h);
    });
  };

  contract('a checkout per order: a session id and a page URL for the fan', async (t, h) => {
    const a = await h.gateway.createCheckout(order());
    const b = await h.gateway.createCheckout(order());
    t.truthy(a.sessionId);
    t.regex(a.checkoutUrl, /^https?:\/\//);
    t.not(a.sessionId, b.sessionId);
  });

  for (const choice of ['pay', 'decline', 'cancel'] as const) {
    contract(`the fan chooses "${choice}": one verified ${EXPECTED[choice]} event naming the order`, async (t, h) => {
      const request = order();
      const session = await h.gateway.createCheckout(request);
      const events = actionable(h.gateway, await h.finish(session, choice));
      t.is(events.length, 1, 'exactly one event the shop acts on');
      const event = events[0]!;
      t.is(event.type, EXPECTED[choice]);
      t.is(event.orderId, request.orderId);
      t.is(event.sessionId, session.sessionId);
      t.is(event.amountCents, request.amountCents);
      t.is(event.currency, request.currency);
      t.truthy(event.id);
      t.true(Math.abs(event.createdAt - h.clock.now()) < 60_000, 'createdAt is the provider time of the event');
    });
  }

  contract('a redelivered webhook verifies to the same event id (the shop applies it once)', async (t, h) => {
    const session = await h.gateway.createCheckout(order());
    const [delivery] = await h.finish(session, 'pay');
    const first = actionable(h.gateway, [delivery!]);
    h.clock.advance(30_000);
    const again = actionable(h.gateway, [delivery!]);
    t.deepEqual(again, first);
  });

  contract('a forged or altered webhook is refused with 401; a missing signature too', async (t, h) => {
    const request = order();
    const session = await h.gateway.createCheckout(request);
    const deliveries = await h.finish(session, 'pay');
    const paid = deliveries[deliveries.length - 1]!;
    const altered = paid.body.replace(request.orderId, 'order-of-someone-else');
    t.not(altered, paid.body);
    const forged = refusal(t, () => h.gateway.verifyWebhook(Buffer.from(altered), paid.headers));
    t.is(forged.code, 'webhook_signature_invalid');
    t.is(forged.status, 401);
    const unsigned = refusal(t, () =>
      h.gateway.verifyWebhook(Buffer.from(paid.body), { 'content-type': 'application/json' }),
    );
    t.is(unsigned.code, 'webhook_signature_missing');
    t.is(unsigned.status, 401);
    const garbled = Object.fromEntries(
      Object.entries(paid.headers).map(([k, v]) => [k, v.replace(/[0-9a-f]{64}/, '0'.repeat(64))]),
    );
    t.is(refusal(t, () => h.gateway.verifyWebhook(Buffer.from(paid.body), garbled)).status, 401);
  });

  contract('a replayed webhook older than the tolerance is refused as stale (401)', async (t, h) => {
    const session = await h.gateway.createCheckout(order());
    const deliveries = await h.finish(session, 'pay');
    const paid = deliveries[deliveries.length - 1]!;
    h.clock.advance(PAST_TOLERANCE_MS);
    const stale = refusal(t, () => h.gateway.verifyWebhook(Buffer.from(paid.body), paid.headers));
    t.is(stale.code, 'webhook_stale');
    t.is(stale.status, 401);
  });

  contract('a correctly signed body that is not a payment event is refused with 400, never a crash', async (t, h) => {
    for (const body of ['not json at all', '{"id":"evt_1"}', '[]', '{"type":"checkout.session.completed","data":{}}']) {
      const bad = refusal(t, () => h.gateway.verifyWebhook(Buffer.from(body), h.sign(body)));
      t.is(bad.status, 400, body);
      t.is(bad.code, 'webhook_malformed', body);
    }
  });

  contract('a refund names its payment and is idempotent on its key', async (t, h) => {
    const request = order();
    const session = await h.gateway.createCheckout(request);
    await h.finish(session, 'pay');
    const refundRequest = {
      sessionId: session.sessionId,
      orderId: request.orderId,
      amountCents: request.amountCents,
      currency: request.currency,
      reason: 'paid after the order was cancelled',
      idempotencyKey: `late-payment:${request.orderId}`,
    };
    const first = await h.gateway.refund(refundRequest);
    const again = await h.gateway.refund(refundRequest);
    t.truthy(first.refundId);
    t.is(again.refundId, first.refundId);
    // More than was paid, or for another order: refused. Part of it (a lab rejected the prints of a
    // reorder whose files were delivered) is a refund of its own, under its own key.
    const tooMuch = await t.throwsAsync(
      h.gateway.refund({ ...refundRequest, amountCents: request.amountCents + 1, idempotencyKey: 'other-key' }),
    );
    t.true(isAppError(tooMuch, 'refund_failed'), String(tooMuch));
    const otherOrder = await t.throwsAsync(
      h.gateway.refund({ ...refundRequest, orderId: 'order-not-this-one', amountCents: 1, idempotencyKey: 'k2' }),
    );
    t.true(isAppError(otherOrder, 'refund_failed'), String(otherOrder));
    // Refunds of one payment add up to at most what was paid: after the full refund, nothing is left.
    const nothingLeft = await t.throwsAsync(
      h.gateway.refund({ ...refundRequest, amountCents: 1, idempotencyKey: 'part-after-full' }),
    );
    t.true(isAppError(nothingLeft, 'refund_failed'), String(nothingLeft));
  });

  contract('a part of a payment can be refunded, and the parts add up to at most the payment', async (t, h) => {
    const request = order();
    const session = await h.gateway.createCheckout(request);
    await h.finish(session, 'pay');
    const base = {
      sessionId: session.sessionId,
      orderId: request.orderId,
      currency: request.currency,
      reason: 'the lab rejected the prints; the files were delivered',
    };
    const part = await h.gateway.refund({ ...base, amountCents: 800, idempotencyKey: `part-1:${request.orderId}` });
    t.truthy(part.refundId);
    const rest = await h.gateway.refund({
      ...base,
      amountCents: request.amountCents - 800,
      idempotencyKey: `part-2:${request.orderId}`,
    });
    t.not(rest.refundId, part.refundId);
    const beyond = await t.throwsAsync(
      h.gateway.refund({ ...base, amountCents: 1, idempotencyKey: `part-3:${request.orderId}` }),
    );
    t.true(isAppError(beyond, 'refund_failed'), String(beyond));
    const unknown = await t.throwsAsync(
      h.gateway.refund({ ...base, amountCents: 1, sessionId: 'cs_test_nosuchsession', idempotencyKey: 'k3' }),
    );
    t.true(isAppError(unknown), String(unknown));
  });
}
