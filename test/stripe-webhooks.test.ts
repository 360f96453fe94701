import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import request from 'supertest';
import { createApp } from '../coordinator/app.ts';
import { createStripeClient } from '../coordinator/payment/stripe-client.ts';
import { StripePaymentGateway } from '../coordinator/payment/stripe-gateway.ts';
import { createHarness, seedVenue } from './fixtures/app-harness.ts';
import { StripeFixtureServer, type WebhookDeliveryRecord } from './fixtures/stripe-fixture-server.ts';

/**
 * Stripe Checkout in the existing shop flow, unchanged: the coordinator app with the Stripe gateway
 * (the official SDK against the fixture server), webhooks delivered over HTTP to
 * /api/payments/webhook and signed with Stripe's scheme. Forged, replayed, stale, duplicated and
 * out-of-order deliveries all end in the state the order should be in.
 */

const TEN_MINUTES_MS = 10 * 60_000;

async function stripeShop(t: ExecutionContext) {
  const h = await createHarness();
  t.teardown(() => h.close());
  const fixture = new StripeFixtureServer({ clock: h.clock });
  const apiUrl = await fixture.listen();
  t.teardown(() => fixture.close());
  const gateway = new StripePaymentGateway({
    stripe: createStripeClient({ secretKey: fixture.secretKey, apiUrl, maxNetworkRetries: 0 }),
    webhookSecret: fixture.webhookSecret,
    clock: h.clock,
  });
  const deps = { ...h.deps, payments: gateway };
  const callback = createApp(deps).callback();
  const server = createServer(callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const shopUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const webhookUrl = `${shopUrl}/api/payments/webhook`;
  fixture.setWebhookTarget(webhookUrl);
  const http = request(callback);
  const { event, images } = await seedVenue(h, { images: 2, printers: 0 });
  const placeOrder = async () => {
    const res = await http
      .post('/api/orders')
      .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 4 }] })
      .expect(201);
    const sessionId = new URL(res.body.checkoutUrl).pathname.split('/').at(-1)!;
    return { order: res.body.order as { id: string; totalCents: number; currency: string }, sessionId };
  };
  /** Posts a delivery as an attacker or a slow network would: these exact bytes and headers. */
  const post = async (body: string, headers: Record<string, string>) => {
    const res = await fetch(webhookUrl, { method: 'POST', body, headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const state = async (orderId: string) => (await h.store.getOrder(orderId))?.state;
  return { h, fixture, http, placeOrder, post, state };
}

function onlyDelivery(deliveries: WebhookDeliveryRecord[]): WebhookDeliveryRecord {
  if (deliveries.length !== 1) throw new Error(`expected one delivery, got ${deliveries.length}`);
  return deliveries[0]!;
}

test('a Stripe checkout pays a shop order: checkout page, signed webhook over HTTP, order paid with its QR', async (t) => {
  const { fixture, http, placeOrder, state } = await stripeShop(t);
  const { order, sessionId } = await placeOrder();
  t.true(sessionId.startsWith('cs_test_'));
  const session = fixture.state.session(sessionId);
  t.is(session.amount_total, order.totalCents);
  t.is(session.currency, order.currency.toLowerCase());
  t.deepEqual(session.metadata, { orderId: order.id });
  t.is(session.client_reference_id, order.id);
  const delivery = onlyDelivery(await fixture.completeCheckout(sessionId));
  t.is(delivery.status, 200);
  t.is(await state(order.id), 'paid');
  const details = await http.get(`/api/orders/${order.id}`).expect(200);
  t.truthy(details.body.redemption?.token, 'the QR code is issued once Stripe says paid');
});

test('duplicate delivery: a resent event is acknowledged as a duplicate and applied once', async (t) => {
  const { h, fixture, placeOrder, state } = await stripeShop(t);
  const { order, sessionId } = await placeOrder();
  const first = onlyDelivery(await fixture.completeCheckout(sessionId));
  const paidAt = (await h.store.getOrder(order.id))!.paidAt;
  h.clock.advance(60_000);
  const again = await fixture.redeliver(first.event.id);
  t.is(again.status, 200);
  t.is(await state(order.id), 'paid');
  t.is(
    (await h.store.getOrder(order.id))!.paidAt,
    paidAt,
    'the first delivery set the payment time; the resend did not',
  );
});

test('forged: a body altered or signed with another secret is refused with 401 and changes nothing', async (t) => {
  const { fixture, placeOrder, post, state } = await stripeShop(t);
  const { order, sessionId } = await placeOrder();
  // Capture what Stripe would send, without delivering it.
  fixture.setWebhookTarget(async () => 0);
  const real = onlyDelivery(await fixture.completeCheckout(sessionId));
  const altered = real.body.replace(/"amount_total": \d+/, '"amount_total": 1');
  t.not(altered, real.body);
  const tampered = await post(altered, real.headers);
  t.is(tampered.status, 401);
  t.like(tampered.body, { error: { code: 'webhook_signature_invalid' } });
  const otherSecret = await post(real.body, {
    ...real.headers,
    'stripe-signature': fixture.signatureHeader(real.body, undefined, 'whsec_attacker_guess_0000000000000000'),
  });
  t.is(otherSecret.status, 401);
  const unsigned = await post(real.body, { 'content-type': 'application/json' });
  t.is(unsigned.status, 401);
  t.like(unsigned.body, { error: { code: 'webhook_signature_missing' } });
  t.is(await state(order.id), 'awaiting_payment');
});

test('replayed: a captured delivery sent again after the tolerance window is refused as stale', async (t) => {
  const { h, fixture, placeOrder, post, state } = await stripeShop(t);
  const { order, sessionId } = await placeOrder();
  fixture.setWebhookTarget(async () => 0);
  const captured = onlyDelivery(await fixture.completeCheckout(sessionId));
  h.clock.advance(TEN_MINUTES_MS);
  const replay = await post(captured.body, captured.headers);
  t.is(replay.status, 401);
  t.like(replay.body, { error: { code: 'webhook_stale' } });
  t.is(await state(order.id), 'awaiting_payment');
  // Stripe's own retry of the same event is signed afresh, so it is accepted.
  const retry = await fixture.redeliver(captured.event.id);
  t.is((await post(retry.body, retry.headers)).status, 200);
  t.is(await state(order.id), 'paid');
});

test('out of order: an expiry delivered after the payment leaves the order paid', async (t) => {
  const { fixture, placeOrder, post, state } = await stripeShop(t);
  const { order, sessionId } = await placeOrder();
  fixture.setWebhookTarget(async () => 0);
  const paid = onlyDelivery(await fixture.completeCheckout(sessionId));
  // An expiry Stripe created earlier for this session, arriving late (built as Stripe would send it).
  const expired = JSON.parse(paid.body) as { id: string; type: string; data: { object: Record<string, unknown> } };
  expired.id = 'evt_expired_arrives_late';
  expired.type = 'checkout.session.expired';
  expired.data.object = { ...expired.data.object, status: 'expired', payment_status: 'unpaid', payment_intent: null };
  const expiredBody = JSON.stringify(expired);
  t.is((await post(paid.body, paid.headers)).status, 200);
  const late = await post(expiredBody, { ...paid.headers, 'stripe-signature': fixture.signatureHeader(expiredBody) });
  t.is(late.status, 200);
  t.is(late.body.state, 'paid');
  t.is(await state(order.id), 'paid');
});

test('out of order: a payment that arrives after the expiry is refunded through Stripe, once', async (t) => {
  const { h, fixture, placeOrder, post, state } = await stripeShop(t);
  const { order, sessionId } = await placeOrder();
  fixture.setWebhookTarget(async () => 0);
  const paid = onlyDelivery(await fixture.completeCheckout(sessionId));
  const expired = JSON.parse(paid.body) as { id: string; type: string; data: { object: Record<string, unknown> } };
  expired.id = 'evt_expired_first';
  expired.type = 'checkout.session.expired';
  expired.data.object = { ...expired.data.object, status: 'expired', payment_status: 'unpaid' };
  const expiredBody = JSON.stringify(expired);
  t.is(
    (await post(expiredBody, { ...paid.headers, 'stripe-signature': fixture.signatureHeader(expiredBody) })).status,
    200,
  );
  t.is(await state(order.id), 'cancelled');
  for (let i = 0; i < 2; i++) {
    const retry = await fixture.redeliver(paid.event.id);
    t.is((await post(retry.body, retry.headers)).status, 200);
  }
  t.is(await state(order.id), 'cancelled', 'no code is issued for a cancelled order');
  const refunds = [...fixture.state.refunds.values()];
  t.is(refunds.length, 1, 'refunded exactly once');
  t.is(refunds[0]!.payment_intent, fixture.state.session(sessionId).payment_intent);
  t.is(refunds[0]!.amount, order.totalCents);
  const refundCalls = fixture.requests.filter((r) => r.path === '/v1/refunds');
  t.true(refundCalls.every((r) => r.idempotencyKey === `late-payment:${order.id}:${sessionId}`));
  const [conflict] = await h.store.listConflicts({ orderId: order.id }, 10);
  t.is(conflict?.refundId, String(refunds[0]!.id));
});

test('a verified event the shop does not act on is acknowledged with 200 (no Stripe retries), a pending payment too', async (t) => {
  const { h, fixture, placeOrder, post, state } = await stripeShop(t);
  const other = JSON.stringify({
    id: 'evt_other',
    object: 'event',
    type: 'payment_intent.created',
    created: 1,
    data: { object: { id: 'pi_1', object: 'payment_intent' } },
  });
  const ignored = await post(other, {
    'content-type': 'application/json',
    'stripe-signature': fixture.signatureHeader(other),
  });
  t.is(ignored.status, 200);
  t.like(ignored.body, { error: { code: 'webhook_ignored' } });
  const counted = (await h.deps.metrics.webhooks.get()).values.find((v) => v.labels.result === 'ignored');
  t.is(counted?.value, 1, 'counted as ignored, not as a rejected (forged) webhook');
  const { order, sessionId } = await placeOrder();
  const [pending] = await fixture.completeCheckout(sessionId, 'pending');
  t.is(pending?.status, 200);
  t.is(await state(order.id), 'awaiting_payment', 'a delayed payment method is not money yet');
  const [settled] = await fixture.settleCheckout(sessionId, 'succeeded');
  t.is(settled?.status, 200);
  t.is(await state(order.id), 'paid');
});

test('a signed event whose amount differs from the order is refused (422), the order stays unpaid', async (t) => {
  const { fixture, placeOrder, post, state } = await stripeShop(t);
  const { order, sessionId } = await placeOrder();
  fixture.setWebhookTarget(async () => 0);
  const paid = onlyDelivery(await fixture.completeCheckout(sessionId));
  const cheaper = paid.body.replace(/"amount_total": \d+/, '"amount_total": 1');
  const res = await post(cheaper, { ...paid.headers, 'stripe-signature': fixture.signatureHeader(cheaper) });
  t.is(res.status, 422);
  t.like(res.body, { error: { code: 'amount_mismatch' } });
  t.is(await state(order.id), 'awaiting_payment');
});
