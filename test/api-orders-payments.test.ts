import test from 'ava';
import sharp from 'sharp';
import { TEST_GATEWAY_SIGNATURE_HEADER, WEBHOOK_TOLERANCE_MS } from '../coordinator/payment/test-gateway.ts';
import { decodeQrFromRgba } from '../shared/qr/decode-qr.ts';
import { verifyRedemptionToken } from '../shared/token/redemption-token.ts';
import { createHarness, type Harness, paidOrder, seedVenue } from './fixtures/app-harness.ts';

async function newOrder(h: Harness) {
  const { event, images } = await seedVenue(h, { images: 2, printers: 0 });
  const res = await h.http
    .post('/api/orders')
    .send({
      eventId: event.id,
      items: [
        { imageId: images[0]!.id, copies: 2 },
        { imageId: images[1]!.id, copies: 2 },
      ],
    })
    .expect(201);
  return { event, images, order: res.body.order, checkoutUrl: res.body.checkoutUrl as string };
}

function webhookBody(order: { id: string }, sessionId: string, over: Record<string, unknown> = {}) {
  return JSON.stringify({
    id: `evt_${Math.random().toString(36).slice(2)}`,
    type: 'payment.succeeded',
    sessionId,
    orderId: order.id,
    amountCents: 2800,
    currency: 'EUR',
    createdAt: Date.now(),
    ...over,
  });
}

test('an order is priced by the pricing module, with unguessable ids', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { order, event, images } = await newOrder(h);
  // 4 prints: one 3-bundle (20.00) + one single (8.00)
  t.is(order.totalCents, 2800);
  t.is(order.state, 'awaiting_payment');
  t.regex(order.id, /^[A-Za-z0-9_-]{22}$/);
  const quote = await h.http
    .post('/api/orders/quote')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 4 }] })
    .expect(200);
  t.is(quote.body.quote.totalCents, 2800);
  const ids = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const r = await h.http
      .post('/api/orders')
      .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1 }] });
    ids.add(r.body.order.id);
  }
  t.is(ids.size, 20);
});

test('bad order input gets a 4xx naming the problem, and stores nothing', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 1, printers: 0 });
  const bad = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 0 }] });
  t.is(bad.status, 400);
  t.regex(bad.body.error.message, /items\.0\.copies/);
  t.is((await h.http.post('/api/orders').send({ eventId: event.id, items: [] })).status, 400);
  t.is(
    (await h.http.post('/api/orders').send({ eventId: 'nope', items: [{ imageId: images[0]!.id, copies: 1 }] })).status,
    404,
  );
  const foreign = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: 'not-here', copies: 1 }] });
  t.is(foreign.status, 422);
  t.is(foreign.body.error.code, 'image_not_in_event');
  const malformed = await h.http.post('/api/orders').set('content-type', 'application/json').send('{"eventId": ');
  t.is(malformed.status, 400);
  t.deepEqual(await h.store.countOrdersByState(), {
    awaiting_payment: 0,
    payment_failed: 0,
    cancelled: 0,
    paid: 0,
    redeeming: 0,
    fulfilled: 0,
  });
});

test('hosted checkout: pay → paid via a verified webhook; QR decodes to a valid token', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { order, checkoutUrl } = await newOrder(h);
  const page = await h.http.get(new URL(checkoutUrl).pathname).expect(200);
  t.regex(page.text, /Total: 28\.00 EUR/);
  const before = await h.http.get(`/api/orders/${order.id}`).expect(200);
  t.is(before.body.redemption, null, 'no code before payment');
  t.is((await h.http.get(`/api/orders/${order.id}/qr.png`)).status, 409);

  await h.http.post(new URL(checkoutUrl).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  const after = await h.http.get(`/api/orders/${order.id}`).expect(200);
  t.is(after.body.order.state, 'paid');
  const token = after.body.redemption.token as string;
  t.true(token.length <= 110);
  t.true(verifyRedemptionToken(token, h.tokenKeys.publicKeys, h.clock.now()).ok);

  const png = await h.http
    .get(`/api/orders/${order.id}/qr.png`)
    .buffer(true)
    .expect(200)
    .expect('content-type', 'image/png');
  const { data, info } = await sharp(png.body as Buffer)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  t.is(decodeQrFromRgba(data, info.width, info.height), token);
  const svg = await h.http.get(`/api/orders/${order.id}/qr.svg`).buffer(true).expect(200);
  t.regex(String(svg.body), /<svg/);
});

test('declined then paid; cancelled stays cancelled', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { order, checkoutUrl } = await newOrder(h);
  const path = new URL(checkoutUrl).pathname;
  await h.http.post(path).type('form').send({ outcome: 'decline' }).expect(302);
  t.is((await h.store.getOrder(order.id))!.state, 'payment_failed');
  await h.http.post(path).type('form').send({ outcome: 'pay' }).expect(302);
  t.is((await h.store.getOrder(order.id))!.state, 'paid');

  const second = await newOrderInSameEvent(h, order.eventId);
  await h.http.post(new URL(second.checkoutUrl).pathname).type('form').send({ outcome: 'cancel' }).expect(302);
  t.is((await h.store.getOrder(second.order.id))!.state, 'cancelled');
  await h.http.post(new URL(second.checkoutUrl).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  t.is((await h.store.getOrder(second.order.id))!.state, 'cancelled', 'a cancelled order is never redeemable');
  t.is((await h.http.post(new URL(second.checkoutUrl).pathname).type('form').send({ outcome: 'steal' })).status, 400);
  t.is((await h.http.get('/pay/test/forged.session')).status, 404);
});

async function newOrderInSameEvent(h: Harness, eventId: string) {
  const images = (await h.http.get(`/api/events/${eventId}/images`).expect(200)).body.images;
  const res = await h.http
    .post('/api/orders')
    .send({ eventId, items: [{ imageId: images[0].id, copies: 1 }] })
    .expect(201);
  return { order: res.body.order, checkoutUrl: res.body.checkoutUrl as string };
}

test('forged, tampered, stale and mismatched webhooks change nothing; replays are idempotent', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { order } = await newOrder(h);
  const sessionId = (await h.store.getOrder(order.id))!.paymentSessionId!;
  const post = (body: string, signature: string | null) => {
    const req = h.http.post('/api/payments/webhook').set('content-type', 'application/json');
    if (signature !== null) req.set(TEST_GATEWAY_SIGNATURE_HEADER, signature);
    return req.send(body);
  };

  const unsigned = await post(webhookBody(order, sessionId), null);
  t.is(unsigned.status, 401);
  const body = webhookBody(order, sessionId, { createdAt: h.clock.now() });
  const forgedSig = `t=${h.clock.now()},v1=${'0'.repeat(64)}`;
  t.is((await post(body, forgedSig)).status, 401);
  const signed = h.gateway.signatureHeader(body, h.clock.now());
  const tampered = body.replace('2800', '1');
  t.is((await post(tampered, signed)).status, 401, 'signature covers the exact body');
  const stale = h.gateway.signatureHeader(body, h.clock.now() - WEBHOOK_TOLERANCE_MS - 1);
  t.is((await post(body, stale)).status, 401);
  const cheap = webhookBody(order, sessionId, { amountCents: 1 });
  t.is((await post(cheap, h.gateway.signatureHeader(cheap, h.clock.now()))).status, 422);
  const otherSession = webhookBody(order, 'another-session');
  t.is((await post(otherSession, h.gateway.signatureHeader(otherSession, h.clock.now()))).status, 404);
  t.is((await h.store.getOrder(order.id))!.state, 'awaiting_payment');

  const first = await post(body, signed).expect(200);
  t.deepEqual(first.body, { received: true, duplicate: false, state: 'paid' });
  const replay = await post(body, signed).expect(200);
  t.deepEqual(replay.body, { received: true, duplicate: true, state: 'paid' });
  // A late "failed" for a paid order cannot undo the payment.
  const late = webhookBody(order, sessionId, { type: 'payment.failed' });
  await post(late, h.gateway.signatureHeader(late, h.clock.now())).expect(200);
  t.is((await h.store.getOrder(order.id))!.state, 'paid');
});

test('paidOrder helper path gives a redeemable token (used by the redemption tests)', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 1, printers: 0 });
  const { token, order } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  t.is(order.state, 'paid');
  t.true(verifyRedemptionToken(token, h.tokenKeys.publicKeys, h.clock.now()).ok);
});
