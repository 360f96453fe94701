import test from 'ava';
import { KIOSK_AUTHORISATION_LIMIT_MS, KIOSK_PAYMENT_WINDOW_MS } from '../coordinator/services/kiosk-sale-settle.ts';
import type { KioskSaleView } from '../shared/protocol/kiosk-sale.ts';
import { asOperator, createHarness, paidOrder, printerCall, seedVenue } from './fixtures/app-harness.ts';
import { createKioskHarness, type KioskHarness, TEST_READER, TEST_READER_2 } from './fixtures/kiosk-sale-harness.ts';

async function cardSale(k: KioskHarness, key: string, copies = 1) {
  const res = await k
    .call(k.printers[0]!, 'post', '/api/printer/kiosk-sales', {
      eventId: k.event.id,
      items: [{ imageId: k.images[0]!.id, copies }],
      channel: 'kiosk-card',
      idempotencyKey: key,
      readerId: TEST_READER,
    })
    .expect(201);
  return res.body as KioskSaleView;
}

async function getSale(k: KioskHarness, id: string): Promise<KioskSaleView> {
  return (await k.call(k.printers[0]!, 'get', `/api/printer/kiosk-sales/${id}`).expect(200)).body as KioskSaleView;
}

/** The printer redeems the sale's token and confirms every unit, as the edge node does. */
async function printAll(k: KioskHarness, sale: KioskSaleView) {
  const job = await k.call(k.printers[0]!, 'post', '/api/printer/redeem', { token: sale.token }).expect(200);
  for (const u of job.body.units as Array<{ unit: number }>) {
    await k.call(k.printers[0]!, 'post', `/api/printer/orders/${sale.orderId}/units/${u.unit}/printed`).expect(200);
  }
}

test('card: basket priced by the shop pricing, card tapped, authorised, printed, then captured once', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const sale = await cardSale(k, 'basket-0001', 3);
  t.is(sale.state, 'awaiting_payment');
  // 3 prints at 8.00 or a 3-bundle at 20.00: the shop's pricing picks the bundle.
  t.is(sale.totalCents, 2000);
  t.is(sale.taxCents, Math.round((2000 * 19) / 119));
  t.is(sale.token, null, 'no token before the money is held');
  t.is((await k.terminal.reader(TEST_READER)).status, 'busy');

  // A double tap on "Pay" finds the same sale.
  const again = await cardSale(k, 'basket-0001', 3);
  t.is(again.id, sale.id);
  t.is(k.terminal.payments().length, 1);

  await k.terminal.present(TEST_READER, 'approve');
  const authorised = await getSale(k, sale.id);
  t.is(authorised.state, 'authorised');
  t.deepEqual(authorised.card, { brand: 'visa', last4: '4242' });
  t.regex(authorised.authorisationCode ?? '', /^[0-9A-F]{6}$/);
  t.truthy(authorised.token);
  t.is(k.terminal.payments()[0]!.status, 'authorised', 'not captured before printing');

  await printAll(k, authorised);
  const captured = await getSale(k, sale.id);
  t.is(captured.state, 'captured');
  t.is(captured.token, null);
  const [payment] = k.terminal.payments();
  t.is(payment!.status, 'captured');
  t.is(payment!.captureCount, 1);
  t.is(payment!.capturedCents, 2000);
  // Polling again or sweeping changes nothing.
  await getSale(k, sale.id);
  await k.services.kioskSales.settler.sweep();
  t.is(k.terminal.payments()[0]!.captureCount, 1);
});

test('card: a declined card can be retried; insufficient funds and a removed card are shown; cancel voids', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const sale = await cardSale(k, 'basket-0002');
  await k.terminal.present(TEST_READER, 'decline');
  let view = await getSale(k, sale.id);
  t.is(view.state, 'awaiting_payment');
  t.is(view.lastFailure, 'declined');
  t.is((await k.terminal.reader(TEST_READER)).status, 'online');

  view = (await k.call(k.printers[0]!, 'post', `/api/printer/kiosk-sales/${sale.id}/retry`).expect(200)).body;
  t.is(view.lastFailure, null);
  t.is(view.attempts, 1);
  await k.terminal.present(TEST_READER, 'insufficient_funds');
  t.is((await getSale(k, sale.id)).lastFailure, 'insufficient_funds');
  await k.call(k.printers[0]!, 'post', `/api/printer/kiosk-sales/${sale.id}/retry`).expect(200);
  await k.terminal.present(TEST_READER, 'card_removed');
  t.is((await getSale(k, sale.id)).lastFailure, 'card_removed');

  await k.call(k.printers[0]!, 'post', `/api/printer/kiosk-sales/${sale.id}/retry`).expect(200);
  const cancelled = (await k.call(k.printers[0]!, 'post', `/api/printer/kiosk-sales/${sale.id}/cancel`).expect(200))
    .body as KioskSaleView;
  t.is(cancelled.state, 'cancelled');
  t.is(k.terminal.payments()[0]!.status, 'voided');
  t.is((await k.terminal.reader(TEST_READER)).status, 'online', 'the reader is free for the next fan');
  const order = await k.h.store.getOrder(sale.orderId);
  t.is(order?.state, 'cancelled');
  // The cancelled order can never be redeemed.
  await k.call(k.printers[0]!, 'post', '/api/printer/redeem', { code: sale.orderCode }).expect((r) => {
    if (r.status < 400) throw new Error(`redeemed a cancelled sale: ${r.status}`);
  });
});

test('card: a print failure voids the authorisation and nothing is captured', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const sale = await cardSale(k, 'basket-0003', 2);
  await k.terminal.present(TEST_READER, 'approve');
  const authorised = await getSale(k, sale.id);
  const job = await k.call(k.printers[0]!, 'post', '/api/printer/redeem', { token: authorised.token }).expect(200);
  await k
    .call(k.printers[0]!, 'post', `/api/printer/orders/${sale.orderId}/units/${job.body.units[0].unit}/printed`)
    .expect(200);
  t.is((await getSale(k, sale.id)).state, 'printing');
  const failed = (
    await k
      .call(k.printers[0]!, 'post', `/api/printer/kiosk-sales/${sale.id}/print-failed`, { reason: 'paper jam' })
      .expect(200)
  ).body as KioskSaleView;
  t.is(failed.state, 'voided');
  t.is(k.terminal.payments()[0]!.status, 'voided');
  t.is(k.terminal.payments()[0]!.captureCount, 0);
  // The second unit's late confirmation does not make the order fulfilled or the sale captured.
  await k.call(k.printers[0]!, 'post', `/api/printer/orders/${sale.orderId}/units/${job.body.units[1].unit}/printed`);
  await k.services.kioskSales.settler.sweep();
  t.is((await getSale(k, sale.id)).state, 'voided');
  t.is(k.terminal.payments()[0]!.captureCount, 0);
});

test('card: the reader times out on the Clock; an offline reader is a failed attempt; expiry and the authorisation limit void', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const sale = await cardSale(k, 'basket-0004');
  await k.h.clock.tick(61_000);
  t.is((await getSale(k, sale.id)).lastFailure, 'timeout');

  k.terminal.setOffline(TEST_READER, true);
  const offline = (await k.call(k.printers[0]!, 'post', `/api/printer/kiosk-sales/${sale.id}/retry`).expect(200)).body;
  t.is(offline.lastFailure, 'reader_offline');
  const payments = (
    await k.call(k.printers[0]!, 'get', `/api/printer/kiosk-payments?readerId=${TEST_READER}`).expect(200)
  ).body;
  t.deepEqual(payments.card, { readerId: TEST_READER, status: 'offline' });
  k.terminal.setOffline(TEST_READER, false);

  await k.h.clock.tick(KIOSK_PAYMENT_WINDOW_MS);
  await k.services.kioskSales.settler.sweep();
  t.is((await getSale(k, sale.id)).state, 'expired');
  t.is(k.terminal.payments()[0]!.status, 'voided');

  // An authorisation never printed is voided once past its limit.
  const held = await cardSale(k, 'basket-0005');
  await k.terminal.present(TEST_READER, 'approve');
  t.is((await getSale(k, held.id)).state, 'authorised');
  await k.h.clock.tick(KIOSK_AUTHORISATION_LIMIT_MS + 1_000);
  await k.services.kioskSales.settler.sweep();
  t.is((await getSale(k, held.id)).state, 'voided');
  t.is(k.terminal.payments().find((p) => p.saleId === held.id)?.status, 'voided');
});

test('phone: the basket gets a hosted checkout; the verified webhook marks it paid; printing fulfils it; cancel on the phone frees the kiosk', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const create = (key: string) =>
    k
      .call(k.printers[0]!, 'post', '/api/printer/kiosk-sales', {
        eventId: k.event.id,
        items: [{ imageId: k.images[1]!.id, copies: 2 }],
        channel: 'kiosk-phone',
        idempotencyKey: key,
      })
      .expect(201);
  const sale = (await create('phone-0001')).body as KioskSaleView;
  t.is(sale.state, 'awaiting_payment');
  t.truthy(sale.checkoutUrl);
  const path = new URL(sale.checkoutUrl!).pathname;
  await k.http.post(path).type('form').send({ outcome: 'pay' }).expect(302);
  const paid = await getSale(k, sale.id);
  t.is(paid.state, 'paid');
  t.truthy(paid.token);
  // The provider delivers the same event again (a replay): nothing changes, nothing prints twice.
  const order = await k.h.store.getOrder(sale.orderId);
  const body = JSON.stringify({
    id: 'evt_replayed_0001',
    type: 'payment.succeeded',
    sessionId: order!.paymentSessionId,
    orderId: sale.orderId,
    amountCents: sale.totalCents,
    currency: sale.currency,
    createdAt: k.h.clock.now(),
  });
  for (const expectDuplicate of [false, true]) {
    const replay = await k.http
      .post('/api/payments/webhook')
      .set('content-type', 'application/json')
      .set('x-test-gateway-signature', k.h.gateway.signatureHeader(body, k.h.clock.now()))
      .send(body)
      .expect(200);
    t.is(replay.body.duplicate, expectDuplicate);
  }
  t.is((await getSale(k, sale.id)).state, 'paid');
  await printAll(k, paid);
  // A second kiosk poll or redeem of the fulfilled sale prints nothing more.
  await k.call(k.printers[0]!, 'post', '/api/printer/redeem', { token: paid.token }).expect((r) => {
    if (r.status === 200 && r.body.units.some((u: { printed: boolean }) => !u.printed)) {
      throw new Error('a fulfilled sale offered units to print again');
    }
  });
  t.is((await getSale(k, sale.id)).state, 'fulfilled');

  const other = (await create('phone-0002')).body as KioskSaleView;
  await k.http.post(new URL(other.checkoutUrl!).pathname).type('form').send({ outcome: 'cancel' }).expect(302);
  t.is((await getSale(k, other.id)).state, 'cancelled');

  // The kiosk's photographer filter: who took which photo of this venue's event.
  const names = await k.call(k.printers[0]!, 'get', `/api/printer/events/${k.event.id}/photographers`).expect(200);
  t.is(names.body.byImage[k.images[0]!.id], 'Pat Photographer');
  await k.call(k.printers[0]!, 'get', '/api/printer/events/no-such-event/photographers').expect(404);
  // Another printer cannot read or cancel this printer's sale.
  await k.call(k.printers[1]!, 'get', `/api/printer/kiosk-sales/${sale.id}`).expect(404);
});

test('operators: sales per channel and station with the reader state on the dashboard; refund from the console', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  // The kiosk names its reader when it asks what it may offer.
  const offer = await k.call(k.printers[0]!, 'get', `/api/printer/kiosk-payments?readerId=${TEST_READER}`).expect(200);
  t.deepEqual(offer.body, { phone: true, card: { readerId: TEST_READER, status: 'online' }, taxRatePercent: 19 });
  const sale = await cardSale(k, 'basket-ops-1', 2);
  t.is((await k.terminal.reader(TEST_READER)).status, 'busy');
  let page = await k.http.get('/ops').set(asOperator).expect(200);
  t.regex(page.text, /data-reader-status="busy"/);
  await k.terminal.present(TEST_READER, 'approve');
  await printAll(k, await getSale(k, sale.id));
  t.is((await getSale(k, sale.id)).state, 'captured');
  // A shop order too: the shop line counts it, the kiosk line counts the kiosk sale, never both.
  await paidOrder(k.h, k.event.id, [{ imageId: k.images[2]!.id, copies: 1 }]);

  page = await k.http.get('/ops').set(asOperator).expect(200);
  t.regex(page.text, /data-channel="kiosk-card">Kiosk, card: 1 · <strong>16\.00 EUR/);
  t.regex(page.text, /data-channel="shop">Online shop: 1 · <strong>8\.00 EUR/);
  t.regex(page.text, /data-reader-status="online"/);

  // The section refreshes itself from its own fragment (the reader's state without a reload).
  const fragment = await k.http.get('/ops/kiosk-stations').set(asOperator).expect(200);
  t.regex(fragment.text, /^<section id="kiosk-sales-section"/);
  t.regex(fragment.text, /data-reader-status="online"/);
  const list = await k.http.get('/ops/kiosk-sales').set(asOperator).expect(200);
  t.regex(list.text, /VISA •••• 4242/);
  t.regex(list.text, new RegExp(`data-refund="${sale.id}"`));
  const refunded = await k.http.post(`/ops/kiosk-sales/${sale.id}/refund`).set(asOperator).expect(302);
  t.regex(refunded.headers.location ?? '', /notice=refunded/);
  t.is((await k.kioskSales.get(sale.id))?.state, 'refunded');
  t.is(k.terminal.payments()[0]!.refundedCents, 1600);
  // Asking again refunds nothing more.
  await k.http.post(`/ops/kiosk-sales/${sale.id}/refund`).set(asOperator).expect(302);
  t.is(k.terminal.payments()[0]!.refundedCents, 1600);
});

test('phone: a paid sale that cannot be printed is refunded through the gateway, once', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const sale = (
    await k
      .call(k.printers[0]!, 'post', '/api/printer/kiosk-sales', {
        eventId: k.event.id,
        items: [{ imageId: k.images[0]!.id, copies: 1 }],
        channel: 'kiosk-phone',
        idempotencyKey: 'phone-refund-1',
      })
      .expect(201)
  ).body as KioskSaleView;
  await k.http.post(new URL(sale.checkoutUrl!).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  t.is((await getSale(k, sale.id)).state, 'paid');
  for (let i = 0; i < 2; i++) {
    const failed = await k
      .call(k.printers[0]!, 'post', `/api/printer/kiosk-sales/${sale.id}/print-failed`, { reason: 'out of paper' })
      .expect(200);
    t.is(failed.body.state, 'refunded');
  }
  t.is(k.h.gateway.refunds.length, 1);
  t.is(k.h.gateway.refunds[0]!.amountCents, sale.totalCents);
  t.is((await k.h.store.getOrder(sale.orderId))?.state, 'cancelled', 'the order can never print now');
});

test('card: the fan taps just as the kiosk cancels: the money is released, nothing prints, nothing is captured', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const sale = await cardSale(k, 'basket-race-1');
  // Approved at the reader, but the coordinator has not looked yet when "Cancel" arrives.
  await k.terminal.present(TEST_READER, 'approve');
  const cancelled = (await k.call(k.printers[0]!, 'post', `/api/printer/kiosk-sales/${sale.id}/cancel`).expect(200))
    .body as KioskSaleView;
  t.is(cancelled.state, 'voided');
  t.is(cancelled.token, null);
  t.is(k.terminal.payments()[0]!.status, 'voided');
  t.is((await k.h.store.getOrder(sale.orderId))?.state, 'cancelled');
  await k.services.kioskSales.settler.sweep();
  t.is(k.terminal.payments()[0]!.captureCount, 0);
});

test('operators: a sale that took no money cannot be refunded: 409, the provider is not asked, the sale is unchanged', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const card = await cardSale(k, 'basket-unpaid-card');
  const phone = (
    await k
      .call(k.printers[0]!, 'post', '/api/printer/kiosk-sales', {
        eventId: k.event.id,
        items: [{ imageId: k.images[0]!.id, copies: 1 }],
        channel: 'kiosk-phone',
        idempotencyKey: 'basket-unpaid-phone',
      })
      .expect(201)
  ).body as KioskSaleView;
  for (const sale of [card, phone]) {
    const before = await k.kioskSales.get(sale.id);
    const res = await k.http.post(`/api/kiosk-sales/${sale.id}/refund`).set(asOperator).send({}).expect(409);
    t.is(res.body.error.code, 'sale_not_refundable', sale.channel);
    t.deepEqual(await k.kioskSales.get(sale.id), before, `${sale.channel}: unchanged`);
  }
  t.deepEqual(k.h.gateway.refunds, [], 'no refund of an unpaid checkout was asked for');
  t.is(k.terminal.payments()[0]!.refundedCents, undefined);
  // The console's button says it was not accepted, and changes nothing either.
  const page = await k.http.post(`/ops/kiosk-sales/${phone.id}/refund`).set(asOperator).expect(302);
  t.regex(page.headers.location ?? '', /notice=failed/);
  t.deepEqual(k.h.gateway.refunds, []);
});

test('a coordinator composed without a kiosk sale store has no sale routes (404, not 503); the kiosk is told it cannot sell', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 1 });
  const offer = await printerCall(h, printers[0]!, 'get', `/api/printer/kiosk-payments?readerId=${TEST_READER}`);
  t.is(offer.status, 200);
  t.deepEqual(offer.body, { phone: false, card: null, taxRatePercent: 0 });
  const sale = await printerCall(h, printers[0]!, 'post', '/api/printer/kiosk-sales', {
    eventId: event.id,
    items: [{ imageId: images[0]!.id, copies: 1 }],
    channel: 'kiosk-phone',
    idempotencyKey: 'basket-no-store',
  });
  t.is(sale.status, 404);
  t.is(sale.body.error.code, 'route_not_found');
  for (const path of ['/api/printer/kiosk-sales/x', '/pay/test-kiosk']) {
    t.is((await printerCall(h, printers[0]!, 'get', path)).status, 404, path);
  }
  t.is((await h.http.post('/api/kiosk-sales/x/refund').set(asOperator).send({})).status, 404);
  // What needs no sale store stays: the operators' (empty) list.
  t.deepEqual((await h.http.get('/api/kiosk-sales').set(asOperator).expect(200)).body, { sales: [] });
});

test('card: a basket for card payment at a station with no reader assigned is refused 400 and stores nothing', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  await k.http
    .put(`/api/printers/${k.printers[0]!.id}/card-reader`)
    .set(asOperator)
    .send({ cardReaderId: null })
    .expect(200);
  const res = await k.call(k.printers[0]!, 'post', '/api/printer/kiosk-sales', {
    eventId: k.event.id,
    items: [{ imageId: k.images[0]!.id, copies: 1 }],
    channel: 'kiosk-card',
    idempotencyKey: 'basket-no-reader',
  });
  t.is(res.status, 400);
  t.is(res.body.error.code, 'card_reader_not_configured');
  t.regex(res.body.error.message, /Card payment is not set up at this station/);
  t.deepEqual(await k.kioskSales.listRecent(10), []);
  t.deepEqual(k.terminal.payments(), []);
  // Phone payment is still offered; card is not.
  const offer = await k.call(k.printers[0]!, 'get', '/api/printer/kiosk-payments').expect(200);
  t.deepEqual(offer.body, { phone: true, card: null, taxRatePercent: 19 });
});

test("card: the coordinator pays on the printer's assigned reader; a reader it names must be that one (403, nothing started)", async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const basket = { eventId: k.event.id, items: [{ imageId: k.images[0]!.id, copies: 1 }], channel: 'kiosk-card' };
  // The second printer of the same venue names the first's reader: refused, with the fix named.
  const stolen = await k.call(k.printers[1]!, 'post', '/api/printer/kiosk-sales', {
    ...basket,
    idempotencyKey: 'basket-other-reader',
    readerId: TEST_READER,
  });
  t.is(stolen.status, 403);
  t.is(stolen.body.error.code, 'card_reader_not_assigned');
  t.regex(stolen.body.error.message, /Printers page/);
  t.deepEqual(await k.kioskSales.listRecent(10), []);
  t.deepEqual(k.terminal.payments(), [], 'no payment was started');
  t.is((await k.terminal.reader(TEST_READER)).status, 'online');
  // Its kiosk, asking what it can offer with the other reader named, learns nothing of that reader.
  const peek = await k.call(k.printers[1]!, 'get', `/api/printer/kiosk-payments?readerId=${TEST_READER}`).expect(200);
  t.is(peek.body.card, null);
  // Naming no reader: the coordinator uses the one assigned to the calling printer.
  const own = await k.call(k.printers[1]!, 'post', '/api/printer/kiosk-sales', {
    ...basket,
    idempotencyKey: 'basket-own',
  });
  t.is(own.status, 201);
  t.is(own.body.state, 'awaiting_payment');
  t.is((await k.kioskSales.get(own.body.id))?.readerId, TEST_READER_2);
  t.is((await k.terminal.reader(TEST_READER_2)).status, 'busy', "the second printer's own reader waits for the card");
  t.is((await k.terminal.reader(TEST_READER)).status, 'online', "the first printer's reader is untouched");

  // The operator moves the reader away mid-sale: the kiosk cannot ask for a card on it again.
  await k.terminal.present(TEST_READER_2, 'decline');
  await k.call(k.printers[1]!, 'get', `/api/printer/kiosk-sales/${own.body.id}`).expect(200);
  await k.http
    .put(`/api/printers/${k.printers[1]!.id}/card-reader`)
    .set(asOperator)
    .send({ cardReaderId: null })
    .expect(200);
  const retry = await k.call(k.printers[1]!, 'post', `/api/printer/kiosk-sales/${own.body.id}/retry`);
  t.is(retry.status, 403);
  t.is(retry.body.error.code, 'card_reader_not_assigned');
  const cancelled = await k.call(k.printers[1]!, 'post', `/api/printer/kiosk-sales/${own.body.id}/cancel`).expect(200);
  t.is(cancelled.body.state, 'cancelled', 'cancelling still frees it');
});
