import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import test from 'ava';
import Koa from 'koa';
import pino from 'pino';
import request from 'supertest';
import { errorHandler } from '../coordinator/http/errors.ts';
import { createStripeClient } from '../coordinator/payment/stripe-client.ts';
import { CHECKOUT_SESSION_TTL_MS, StripePaymentGateway } from '../coordinator/payment/stripe-gateway.ts';
import { TEST_GATEWAY_SIGNATURE_HEADER, TestPaymentGateway } from '../coordinator/payment/test-gateway.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { cryptoRandom } from '../shared/ports/random.ts';
import {
  type PaymentGatewayHarness,
  paymentGatewayContract,
  type SignedWebhook,
} from './contracts/payment-gateway-contract.ts';
import { StripeFixtureServer } from './fixtures/stripe-fixture-server.ts';

const TEST_SECRET = 'webhook-secret-for-contract-0123456789';

async function testGatewayHarness(): Promise<PaymentGatewayHarness> {
  const clock = new ManualClock(Date.now());
  let delivered: SignedWebhook[] = [];
  const gateway = new TestPaymentGateway({
    webhookSecret: TEST_SECRET,
    publicUrl: 'http://shop.test',
    clock,
    random: cryptoRandom,
    deliver: async (body, headers) => {
      delivered.push({ body, headers });
      return 200;
    },
  });
  // The gateway's own hosted page, served the way the coordinator mounts it.
  const app = new Koa();
  const router = new Router();
  gateway.mount(router);
  app.use(bodyParser({ enableTypes: ['form'] }));
  app.use(router.routes());
  const http = request(app.callback());
  return {
    gateway,
    clock,
    async finish(session, choice) {
      delivered = [];
      const res = await http.post(`/pay/test/${session.sessionId}`).type('form').send({ outcome: choice });
      if (res.status !== 302) throw new Error(`test checkout page answered ${res.status}`);
      return delivered;
    },
    sign: (body) => ({ [TEST_GATEWAY_SIGNATURE_HEADER]: gateway.signatureHeader(body, clock.now()) }),
    close: async () => {},
  };
}

async function stripeHarness(): Promise<PaymentGatewayHarness> {
  const clock = new ManualClock(Date.now());
  const fixture = new StripeFixtureServer({ clock });
  const apiUrl = await fixture.listen();
  let delivered: SignedWebhook[] = [];
  fixture.setWebhookTarget(async (body, headers) => {
    delivered.push({ body, headers });
    return 200;
  });
  const gateway = new StripePaymentGateway({
    stripe: createStripeClient({ secretKey: fixture.secretKey, apiUrl, maxNetworkRetries: 0 }),
    webhookSecret: fixture.webhookSecret,
    clock,
  });
  return {
    gateway,
    clock,
    async finish(session, choice) {
      delivered = [];
      // The fan on the hosted checkout page (a decline there is a delayed payment method that fails).
      const res = await fetch(session.checkoutUrl, {
        method: 'POST',
        body: new URLSearchParams({ outcome: choice }),
        redirect: 'manual',
      });
      await res.arrayBuffer();
      if (res.status !== 303) throw new Error(`fixture checkout page answered ${res.status}`);
      return delivered;
    },
    sign: (body) => ({ 'stripe-signature': fixture.signatureHeader(body) }),
    close: () => fixture.close(),
  };
}

paymentGatewayContract('test', testGatewayHarness);
paymentGatewayContract('stripe', stripeHarness);

test('stripe gateway: the SDK sends one payment-mode line with the order id in metadata and client_reference_id, keyed per order', async (t) => {
  const fixture = new StripeFixtureServer();
  const apiUrl = await fixture.listen();
  t.teardown(() => fixture.close());
  const clock = new ManualClock(Date.now());
  const gateway = new StripePaymentGateway({
    stripe: createStripeClient({ secretKey: fixture.secretKey, apiUrl, maxNetworkRetries: 0 }),
    webhookSecret: fixture.webhookSecret,
    clock,
  });
  const input = {
    orderId: 'ord_123',
    amountCents: 2_800,
    currency: 'EUR',
    description: '4 print(s) from Summer Gala',
    returnUrl: 'http://shop.test/o/ord_123',
  };
  const first = await gateway.createCheckout(input);
  const again = await gateway.createCheckout(input);
  t.is(again.sessionId, first.sessionId, 'a retried checkout is the same session (idempotency key per order)');
  t.true(first.checkoutUrl.startsWith(`${apiUrl}/pay/`));
  const sent = fixture.requests.filter((r) => r.path === '/v1/checkout/sessions');
  t.is(sent.length, 2);
  t.true(sent[1]!.replayed);
  t.is(sent[0]!.idempotencyKey, 'checkout:ord_123');
  t.deepEqual(sent[0]!.params, {
    mode: 'payment',
    line_items: [
      {
        quantity: '1',
        price_data: { currency: 'eur', unit_amount: '2800', product_data: { name: '4 print(s) from Summer Gala' } },
      },
    ],
    client_reference_id: 'ord_123',
    metadata: { orderId: 'ord_123' },
    payment_intent_data: { metadata: { orderId: 'ord_123' } },
    success_url: 'http://shop.test/o/ord_123',
    cancel_url: 'http://shop.test/o/ord_123',
    expires_at: String(Math.floor((clock.now() + CHECKOUT_SESSION_TTL_MS) / 1000)),
  });
});

test('stripe gateway: a wrong API key and an unreachable API are coded errors, not crashes', async (t) => {
  const fixture = new StripeFixtureServer();
  const apiUrl = await fixture.listen();
  const input = {
    orderId: 'o',
    amountCents: 100,
    currency: 'EUR',
    description: 'd',
    returnUrl: 'http://shop.test/o/o',
  };
  const wrongKey = new StripePaymentGateway({
    stripe: createStripeClient({ secretKey: 'sk_test_wrong_key_000000000000', apiUrl, maxNetworkRetries: 0 }),
    webhookSecret: fixture.webhookSecret,
    clock: new ManualClock(Date.now()),
  });
  const refused = await t.throwsAsync(wrongKey.createCheckout(input));
  t.is((refused as { code?: string }).code, 'payment_provider_refused');
  t.regex(refused?.message ?? '', /VPM_STRIPE_SECRET_KEY_FILE/);
  await fixture.close();
  const down = new StripePaymentGateway({
    stripe: createStripeClient({ secretKey: fixture.secretKey, apiUrl, maxNetworkRetries: 0 }),
    webhookSecret: fixture.webhookSecret,
    clock: new ManualClock(Date.now()),
  });
  const unavailable = await t.throwsAsync(down.createCheckout(input));
  t.is((unavailable as { code?: string; status?: number }).code, 'payment_provider_unavailable');
  t.is((unavailable as { status?: number }).status, 503);
});

test('stripe fixture: a reused idempotency key with other parameters is Stripe’s idempotency_error, and nothing is created twice', async (t) => {
  const fixture = new StripeFixtureServer();
  const apiUrl = await fixture.listen();
  t.teardown(() => fixture.close());
  const stripe = createStripeClient({ secretKey: fixture.secretKey, apiUrl, maxNetworkRetries: 0 });
  const params = {
    amount: 500,
    currency: 'eur',
    allowed_payment_method_types: ['card_present'],
    capture_method: 'manual' as const,
  };
  const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'same-key' });
  const replay = await stripe.paymentIntents.create(params, { idempotencyKey: 'same-key' });
  t.is(replay.id, first.id);
  const err = await t.throwsAsync(
    stripe.paymentIntents.create({ ...params, amount: 501 }, { idempotencyKey: 'same-key' }),
  );
  t.is((err as { type?: string }).type, 'StripeIdempotencyError');
  t.is(fixture.state.intents.size, 1);
  const missing = await t.throwsAsync(stripe.paymentIntents.retrieve('pi_nosuchintent'));
  t.like(missing, { type: 'StripeInvalidRequestError', code: 'resource_missing', statusCode: 404 });
});

test('test gateway: a shop that refuses the webhook gets it once and the fan sees 502 naming the answer; a shop that fails is retried', async (t) => {
  const clock = new ManualClock(Date.now());
  const answers: number[] = [];
  let attempts = 0;
  const gateway = new TestPaymentGateway({
    webhookSecret: TEST_SECRET,
    publicUrl: 'http://shop.test',
    clock,
    random: cryptoRandom,
    deliver: async () => {
      attempts++;
      return answers.shift() ?? 200;
    },
  });
  const app = new Koa();
  const router = new Router();
  gateway.mount(router);
  app.use(errorHandler(pino({ level: 'silent' })));
  app.use(bodyParser({ enableTypes: ['form'] }));
  app.use(router.routes());
  const http = request(app.callback());
  const input = {
    orderId: 'ord_1',
    amountCents: 500,
    currency: 'EUR',
    description: 'x',
    returnUrl: 'http://shop.test/o',
  };

  answers.push(404);
  const first = await gateway.createCheckout(input);
  const refused = await http.post(`/pay/test/${first.sessionId}`).type('form').send({ outcome: 'pay' });
  t.is(refused.status, 502);
  t.is(refused.body.error.code, 'webhook_undelivered');
  t.deepEqual(refused.body.error.details, { lastStatus: 404, lastError: null });
  t.is(attempts, 1, 'a 4xx is final: not retried');

  attempts = 0;
  answers.push(503);
  const second = await gateway.createCheckout(input);
  const paying = http
    .post(`/pay/test/${second.sessionId}`)
    .type('form')
    .send({ outcome: 'pay' })
    .then((r) => r);
  while (attempts < 2) await clock.tick(200);
  t.is((await paying).status, 302);
  t.is(attempts, 2, 'a 5xx is retried after a back-off');
});
