import { Writable } from 'node:stream';
import test from 'ava';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../coordinator/app.ts';
import { configSchema, loadConfig } from '../coordinator/config.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { latePaymentConflictId } from '../coordinator/payment/late-payment.ts';
import { NoPaymentGateway } from '../coordinator/payment/no-gateway.ts';
import { TEST_GATEWAY_SIGNATURE_HEADER } from '../coordinator/payment/test-gateway.ts';
import { AppError } from '../shared/errors.ts';
import { asOperator, createHarness, type Harness, OPERATOR_TOKEN, seedVenue } from './fixtures/app-harness.ts';
import { startBootstrap, tempDir } from './fixtures/feed-fixtures.ts';
import { signIn } from './fixtures/staff-session.ts';

async function newOrder(h: Harness) {
  const { event, images } = await seedVenue(h, { images: 1, printers: 0 });
  const res = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 2 }] })
    .expect(201);
  return { order: res.body.order, checkoutUrl: res.body.checkoutUrl as string };
}

test('no payment provider by default: the setting is "none" unless VPM_PAYMENT_GATEWAY names one', (t) => {
  t.is(loadConfig({}, []).paymentGateway, 'none');
  t.is(loadConfig({ VPM_PAYMENT_GATEWAY: 'test' }, []).paymentGateway, 'test');
  t.is(loadConfig({}, ['--payment-gateway', 'test']).paymentGateway, 'test');
  t.throws(() => loadConfig({ VPM_PAYMENT_GATEWAY: 'stripe-ish' }, []), { message: /VPM_PAYMENT_GATEWAY/ });
});

test('without a payment provider, checkout is refused with a coded error, no order is stored, and the test page does not exist', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 1, printers: 0 });
  const http = request(createApp({ ...h.deps, payments: new NoPaymentGateway() }).callback());
  const res = await http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1 }] });
  t.is(res.status, 503);
  t.is(res.body.error.code, 'payments_not_configured');
  t.regex(res.body.error.message, /no payment provider is configured/);
  const counts = await h.store.countOrdersByState();
  t.is(
    Object.values(counts).reduce((a, b) => a + b, 0),
    0,
  );
  // The free "Pay" page of the test gateway is not mounted.
  const { checkoutUrl } = await newOrder(h);
  t.is((await http.get(new URL(checkoutUrl).pathname)).status, 404);
  t.is((await http.post(new URL(checkoutUrl).pathname).type('form').send({ outcome: 'pay' })).status, 404);
  const webhook = await http.post('/api/payments/webhook').set('content-type', 'application/json').send('{}');
  t.is(webhook.body.error.code, 'payments_not_configured');
});

test('a coordinator started with default settings says in its start log that checkout is off, and refuses it', async (t) => {
  const dir = await tempDir(t, 'vpm-pay-');
  const bootstrap = await startBootstrap(t);
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      cb();
    },
  });
  const coordinator = new Coordinator(
    configSchema.parse({
      port: 0,
      dataDir: dir,
      dhtBootstrap: bootstrap.map((b) => `${b.host}:${b.port}`).join(','),
    }),
    pino({ level: 'info' }, sink),
  );
  t.teardown(() => coordinator.close());
  await coordinator.ready();
  const ready = lines.find((l) => l.msg === 'coordinator ready');
  t.is(ready?.payments, 'none');
  const warning = lines.find((l) => l.payments === 'none' && l.level === 40);
  t.regex(String(warning?.msg), /no payment provider is configured.*VPM_PAYMENT_GATEWAY/);
  const res = await fetch(`${coordinator.url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ eventId: 'x', items: [{ imageId: 'y', copies: 1 }] }),
  });
  // The event does not exist, so this is the event check; the refusal itself is covered above.
  t.is(res.status, 404);
  const pay = await fetch(`${coordinator.url}/pay/test/anything.here`);
  t.is(pay.status, 404, 'the test checkout page is not served');
});

test('the test checkout page forbids framing and scripts', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { checkoutUrl } = await newOrder(h);
  const page = await h.http.get(new URL(checkoutUrl).pathname).expect(200);
  t.regex(page.headers['content-security-policy']!, /frame-ancestors 'none'/);
  t.regex(page.headers['content-security-policy']!, /default-src 'none'/);
  t.is(page.headers['x-frame-options'], 'DENY');
  t.is(page.headers['x-content-type-options'], 'nosniff');
});

test('a payment after a cancellation is refunded once, shown to operators as a conflict, and the fan’s page says so', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { order, checkoutUrl } = await newOrder(h);
  const path = new URL(checkoutUrl).pathname;
  const sessionId = decodeURIComponent(path.split('/').at(-1)!);
  await h.http.post(path).type('form').send({ outcome: 'cancel' }).expect(302);
  t.is((await h.store.getOrder(order.id))!.state, 'cancelled');

  // The late charge, delivered twice (a gateway retry of the same event).
  const body = JSON.stringify({
    id: 'evt_late_charge',
    type: 'payment.succeeded',
    sessionId,
    orderId: order.id,
    amountCents: order.totalCents,
    currency: order.currency,
    createdAt: h.clock.now(),
  });
  for (let i = 0; i < 2; i++) {
    await h.http
      .post('/api/payments/webhook')
      .set('content-type', 'application/json')
      .set(TEST_GATEWAY_SIGNATURE_HEADER, h.gateway.signatureHeader(body, h.clock.now()))
      .send(body)
      .expect(200);
  }
  t.is((await h.store.getOrder(order.id))!.state, 'cancelled', 'no code is issued for a cancelled order');
  t.is(h.gateway.refunds.length, 1, 'refunded exactly once');
  t.like(h.gateway.refunds[0], { orderId: order.id, amountCents: order.totalCents, currency: order.currency });

  const [conflict] = await h.store.listConflicts({ orderId: order.id }, 10);
  t.is(conflict?.id, latePaymentConflictId(order.id));
  t.is(conflict?.kind, 'paid_after_cancel');
  t.is(conflict?.refundId, h.gateway.refunds[0]!.refundId);

  const snapshot = await h.http.get('/api/ops/snapshot').set(asOperator).expect(200);
  const alert = snapshot.body.alerts.find((a: { kind: string }) => a.kind === 'conflict');
  t.regex(alert.message, new RegExp(`Order ${order.code} was paid after it had been cancelled: .*refunded`));
  const { cookie } = await signIn(h, OPERATOR_TOKEN, 'Olga');
  const page = await h.http.get('/ops/conflicts').set('cookie', cookie).expect(200);
  t.true(page.text.includes('Paid after cancellation'));

  const status = await h.http.get(`/api/orders/${order.id}/status`).expect(200);
  t.is(status.body.status.headline, 'Payment refunded');
  t.regex(status.body.status.detail, /arrived after this order had been cancelled/);
  const orderPage = await h.http.get(`/o/${order.id}`).expect(200);
  t.true(orderPage.text.includes('Payment refunded'));
});

test('when the gateway refuses the refund, the conflict says to refund by hand and the fan is told staff will', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { order, checkoutUrl } = await newOrder(h);
  const path = new URL(checkoutUrl).pathname;
  await h.http.post(path).type('form').send({ outcome: 'cancel' }).expect(302);
  const stored = (await h.store.getOrder(order.id))!;
  const body = JSON.stringify({
    id: 'evt_late_2',
    type: 'payment.succeeded',
    sessionId: stored.paymentSessionId,
    orderId: order.id,
    amountCents: order.totalCents,
    currency: order.currency,
    createdAt: h.clock.now(),
  });
  const refund = h.gateway.refund.bind(h.gateway);
  h.gateway.refund = async () => {
    throw new AppError('refund_failed');
  };
  t.teardown(() => {
    h.gateway.refund = refund;
  });
  await h.http
    .post('/api/payments/webhook')
    .set('content-type', 'application/json')
    .set(TEST_GATEWAY_SIGNATURE_HEADER, h.gateway.signatureHeader(body, h.clock.now()))
    .send(body)
    .expect(200);
  const [conflict] = await h.store.listConflicts({ orderId: order.id }, 10);
  t.is(conflict?.refundId, null);
  t.regex(conflict!.detail, /refund it by hand/);
  const status = await h.http.get(`/api/orders/${order.id}/status`).expect(200);
  t.is(status.body.status.headline, 'Your payment will be refunded');
});
