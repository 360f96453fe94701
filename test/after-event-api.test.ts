import test from 'ava';
import { DAY_MS } from '../coordinator/after-event/deps.ts';
import { LAB_RETRY, MAX_LAB_ATTEMPTS } from '../coordinator/after-event/lab-dispatcher.ts';
import { REORDER_ID_PREFIX } from '../coordinator/after-event/records.ts';
import { TEST_LAB_STEP_MS, TestLab } from '../coordinator/lab/test-lab.ts';
import { mediaKey } from '../coordinator/media/media-keys.ts';
import { TEST_GATEWAY_SIGNATURE_HEADER } from '../coordinator/payment/test-gateway.ts';
import { AppError } from '../shared/errors.ts';
import { cryptoRandom } from '../shared/ports/random.ts';
import {
  asOperator,
  createAfterEventHarness,
  endedEventWithOrder,
  paidReorder,
  SHIP_TO,
} from './fixtures/after-event-harness.ts';
import { asPhotographer } from './fixtures/app-harness.ts';

test('a reorder of an 8×10 and a digital file: paid, downloadable byte for byte a limited number of times, sent to the lab, shipped with tracking', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images, order } = await endedEventWithOrder(h);
  const paid = await paidReorder(h, {
    eventId: event.id,
    sourceOrderId: order.id,
    lines: [
      { imageId: images[2]!.id, productId: 'print_8x10', quantity: 1 },
      { imageId: images[3]!.id, productId: 'digital_file', quantity: 1 },
    ],
  });
  t.is(paid.reorder.state, 'paid');
  // Default price list: 15.00 + 12.00 + 4.90 shipping, no tax.
  t.is(paid.reorder.totalCents, 1500 + 1200 + 490);
  t.is(paid.downloads.length, 1);

  const master = (await h.store.getMedia(mediaKey.master(images[3]!.id)))!.bytes;
  const url = paid.downloads[0]!.url;
  t.regex(url, /^\/d\/[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{32}$/);
  for (let use = 1; use <= h.config.downloadMaxUses; use++) {
    const res = await h.http
      .get(url)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    t.is(res.status, 200);
    t.regex(String(res.headers['content-disposition']), /^attachment; filename="photo-1-[A-Za-z0-9_-]+\.jpg"$/);
    t.true(Buffer.compare(res.body as Buffer, master) === 0, 'byte-identical to the master');
  }
  t.is((await h.http.get(url)).body.error.code, 'download_used_up');
  // A tampered signature is not a link.
  t.is((await h.http.get(`${url.slice(0, -1)}${url.endsWith('A') ? 'B' : 'A'}`)).status, 404);

  const lab = h.lab as TestLab;
  await h.ae.dispatcher.runOnce();
  t.is(lab.received.size, 1);
  t.is((await h.reorders.getReorder(paid.reorder.id))!.state, 'sent_to_lab');
  await h.clock.tick(TEST_LAB_STEP_MS * 3);
  await h.ae.dispatcher.runOnce();
  const shipped = (await h.reorders.getReorder(paid.reorder.id))!;
  t.is(shipped.state, 'shipped');
  t.regex(shipped.trackingNumber ?? '', /^TL\d{10}$/);
  t.is(shipped.carrier, 'Test Post');
  // Running again changes nothing and sends nothing twice.
  await h.ae.dispatcher.runOnce();
  t.is(lab.submitCalls, 1);
  const page = await h.http.get(`/r/${paid.reorder.id}`).expect(200);
  t.true(page.text.includes(shipped.trackingNumber!));
});

test('download links expire with their window', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h);
  const paid = await paidReorder(h, {
    eventId: event.id,
    lines: [{ imageId: images[2]!.id, productId: 'digital_file', quantity: 1 }],
  });
  t.is(paid.reorder.state, 'delivered', 'downloads only: delivered with its links');
  await h.http.get(paid.downloads[0]!.url).expect(200);
  h.clock.advance(h.config.downloadWindowMs);
  t.is((await h.http.get(paid.downloads[0]!.url)).body.error.code, 'download_expired');
});

test('the all-my-photos bundle gives a link per photo of the venue order', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images, order } = await endedEventWithOrder(h);
  const paid = await paidReorder(h, { eventId: event.id, sourceOrderId: order.id, lines: [], bundle: true });
  t.deepEqual(paid.downloads.map((d) => d.imageId).sort(), [images[0]!.id, images[1]!.id].sort());
  t.is(paid.reorder.totalCents, 2900);
});

test('shipping addresses are checked per country; a closed window refuses reorders', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h);
  const lines = [{ imageId: images[0]!.id, productId: 'print_5x7', quantity: 2 }];
  const bad = await h.http
    .post('/api/reorders')
    .send({
      eventId: event.id,
      lines,
      shippingMethodId: 'standard',
      address: { ...SHIP_TO, country: 'US', postalCode: '1011', region: '' },
    })
    .expect(400);
  t.is(bad.body.error.code, 'address_invalid');
  t.deepEqual(bad.body.error.details.problems.map((p: { field: string }) => p.field).sort(), ['postalCode', 'region']);
  const noShipping = await h.http.post('/api/reorders').send({ eventId: event.id, lines }).expect(400);
  t.is(noShipping.body.error.code, 'address_invalid');
  await h.http
    .post('/api/reorders')
    .send({
      eventId: event.id,
      lines,
      shippingMethodId: 'standard',
      address: { ...SHIP_TO, country: 'GB', postalCode: 'SW1A 1AA' },
    })
    .expect(201);
  h.clock.advance(h.config.defaultReorderWindowDays * DAY_MS);
  const closed = await h.http
    .post('/api/reorders')
    .send({ eventId: event.id, lines, shippingMethodId: 'standard', address: SHIP_TO });
  t.is(closed.status, 410);
  t.is(closed.body.error.code, 'reorder_window_closed');
});

test('a job the lab rejects is refunded once, for the prints and shipping only', async (t) => {
  const h = await createAfterEventHarness({
    lab: (clock) => new TestLab({ clock, mode: 'auto', outcome: () => ({ kind: 'reject', reason: 'file too dark' }) }),
  });
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h);
  const paid = await paidReorder(h, {
    eventId: event.id,
    lines: [
      { imageId: images[0]!.id, productId: 'canvas_12x16', quantity: 1 },
      { imageId: images[1]!.id, productId: 'digital_file', quantity: 1 },
    ],
  });
  await h.ae.dispatcher.runOnce();
  await h.clock.tick(TEST_LAB_STEP_MS);
  await h.ae.dispatcher.runOnce();
  await h.ae.dispatcher.runOnce();
  const r = (await h.reorders.getReorder(paid.reorder.id))!;
  t.is(r.state, 'refunded');
  t.is(r.rejectReason, 'file too dark');
  t.is(h.gateway.refunds.length, 1);
  t.is(h.gateway.refunds[0]!.amountCents, 5900 + 490);
  t.is(r.refundCents, 5900 + 490);
  // The digital file was delivered and stays.
  await h.http.get(`/api/reorders/${r.id}`).expect(200);
});

test('the order page offers "order more"; the order code finds the reorder form; operators ship by hand', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images, order } = await endedEventWithOrder(h);
  const page = await h.http.get(`/o/${order.id}`).expect(200);
  t.true(page.text.includes('id="order-more"'));
  const gallery = await h.http.get(`/e/${event.id}`).expect(200);
  t.true(gallery.text.includes('id="reorder-notice"'), 'the ended event’s gallery points at the reorders');
  const found = await h.http.get(`/find?code=${order.code.toLowerCase()}`).expect(303);
  t.is(found.headers.location, `/e/${event.id}/reorder?from=${order.id}`);
  const form = await h.http.get(found.headers.location!).expect(200);
  for (const img of images) t.true(form.text.includes(`name="q:${img.id}:print_8x10"`));
  await h.http.get('/find?code=ZZZZZZZZ').expect(404);

  const paid = await paidReorder(h, {
    eventId: event.id,
    lines: [{ imageId: images[0]!.id, productId: 'print_5x7', quantity: 1 }],
  });
  const shipped = await h.http
    .post(`/api/reorders/${paid.reorder.id}/ship`)
    .set(asOperator)
    .send({ carrier: 'DHL', trackingNumber: 'JJD000123' })
    .expect(200);
  t.is(shipped.body.result.state, 'shipped');
  // The outbox job is cancelled: nothing reaches the lab for a parcel already posted.
  await h.ae.dispatcher.runOnce();
  t.is((h.lab as TestLab).received.size, 0);
  const ops = await h.http.get('/ops/fulfilment').set(asOperator).expect(200);
  t.true(ops.text.includes('JJD000123'));
  const summary = await h.http.get('/api/reorders-summary').set(asOperator).expect(200);
  t.is(summary.body.events[0].paidReorders, 1);
});

test('erase my data: refused while the parcel is on its way, then address and links are gone', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h);
  const paid = await paidReorder(h, {
    eventId: event.id,
    lines: [
      { imageId: images[0]!.id, productId: 'print_5x7', quantity: 1 },
      { imageId: images[1]!.id, productId: 'digital_file', quantity: 1 },
    ],
  });
  t.is((await h.http.post(`/api/reorders/${paid.reorder.id}/erase`)).status, 409);
  await h.http
    .post(`/api/reorders/${paid.reorder.id}/ship`)
    .set(asOperator)
    .send({ carrier: 'DHL', trackingNumber: 'JJD0001' })
    .expect(200);
  const erased = await h.http.post(`/api/reorders/${paid.reorder.id}/erase`).expect(200);
  t.is(erased.body.reorder.address, null);
  t.is((await h.http.get(paid.downloads[0]!.url)).status, 404);
  t.is(erased.body.reorder.totalCents, paid.reorder.totalCents, 'the amount stays for the accounts');
});

test('operator routes of the after-event part refuse fans and photographers', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h, { images: 2 });
  const paid = await paidReorder(h, {
    eventId: event.id,
    lines: [{ imageId: images[0]!.id, productId: 'print_5x7', quantity: 1 }],
  });
  const id = paid.reorder.id;
  const routes: Array<['get' | 'post' | 'put', string]> = [
    ['put', `/api/events/${event.id}/after-event`],
    ['post', `/ops/events/${event.id}/after-event`],
    ['get', '/api/reorders'],
    ['get', '/api/reorders-summary'],
    ...(['resend', 'ship', 'delivered', 'refund'] as const).map((a): ['post', string] => [
      'post',
      `/api/reorders/${id}/${a}`,
    ]),
    ...(['resend', 'ship', 'delivered', 'refund'] as const).map((a): ['post', string] => [
      'post',
      `/ops/fulfilment/${id}/${a}`,
    ]),
  ];
  for (const [method, path] of routes) {
    t.is((await h.http[method](path).send({})).status, 401, `${method} ${path} anonymous`);
    t.is((await h.http[method](path).set(asPhotographer).send({})).status, 403, `${method} ${path} photographer`);
  }
  t.is((await h.http.get('/ops/fulfilment')).status, 302, 'the page sends a browser to sign in');
  t.is((await h.reorders.getReorder(id))!.state, 'paid', 'nothing changed');
  t.is(h.gateway.refunds.length, 0);
});

test('a lab that cannot be reached: retries back off on the clock, give up after the limit, and an operator resends', async (t) => {
  let down = true;
  let inner: TestLab | null = null;
  const h = await createAfterEventHarness({
    lab: (clock) => {
      inner = new TestLab({ clock, mode: 'manual' });
      const lab = inner;
      return {
        name: 'flaky',
        submit: async (pkg) => {
          if (down) throw new AppError('lab_unavailable', 'connection refused');
          return lab.submit(pkg);
        },
        pendingStatuses: () => lab.pendingStatuses(),
        acknowledge: (r) => lab.acknowledge(r),
      };
    },
  });
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h, { images: 2 });
  const paid = await paidReorder(h, {
    eventId: event.id,
    lines: [{ imageId: images[0]!.id, productId: 'print_8x10', quantity: 1 }],
  });
  const job = async () => (await h.reorders.listLabJobs(paid.reorder.id)).at(-1)!;
  const delays: number[] = [];
  for (let attempt = 1; attempt < MAX_LAB_ATTEMPTS; attempt++) {
    await h.ae.dispatcher.runOnce();
    const j = await job();
    t.is(j.attempts, attempt);
    t.is(j.state, 'pending');
    delays.push(j.nextAttemptAt - h.clock.now());
    // Not due yet: a round before the delay sends nothing.
    await h.ae.dispatcher.runOnce();
    t.is((await job()).attempts, attempt);
    h.clock.advance(j.nextAttemptAt - h.clock.now());
  }
  // Doubling from the base to the cap, each shortened by at most the jitter.
  delays.forEach((d, i) => {
    const full = Math.min(LAB_RETRY.maxMs, LAB_RETRY.baseMs * 2 ** i);
    t.true(d <= full && d >= full * (1 - LAB_RETRY.jitter) - 1, `attempt ${i + 1}: ${d} ms of ${full}`);
  });
  await h.ae.dispatcher.runOnce();
  t.like(await job(), { state: 'failed', attempts: MAX_LAB_ATTEMPTS, lastError: 'connection refused' });
  t.is((await h.reorders.getReorder(paid.reorder.id))!.state, 'paid');

  down = false;
  await h.http.post(`/api/reorders/${paid.reorder.id}/resend`).set(asOperator).expect(200);
  await h.ae.dispatcher.runOnce();
  t.deepEqual([...inner!.received.keys()], [`${paid.reorder.id}.2`]);
  t.is((await h.reorders.getReorder(paid.reorder.id))!.state, 'sent_to_lab');
  t.deepEqual(
    (await h.reorders.listLabJobs(paid.reorder.id)).map((j) => j.state),
    ['cancelled', 'handed_off'],
  );
});

test('operators set the reorder window and prices per event on their page; the shop and the quote follow', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h, { images: 2 });
  const page = await h.http.get(`/ops/events/${event.id}/after-event`).set(asOperator).expect(200);
  t.true(page.text.includes('name="price.print_8x10"'));
  t.is((await h.http.get(`/ops/events/${event.id}/after-event`).set(asPhotographer)).status, 403);
  const form = {
    windowDays: '30',
    'price.print_5x7': '9',
    'price.print_8x10': '19,50',
    'price.poster_12x18': '29.00',
    'price.canvas_12x16': '',
    'price.digital_file': '12',
    bundle: '',
    'ship.standard': '5',
    'ship.express': '15',
    taxPercent: '19',
  };
  const bad = await h.http
    .post(`/ops/events/${event.id}/after-event`)
    .set(asOperator)
    .type('form')
    .send({ ...form, 'price.print_8x10': 'twenty' })
    .expect(400);
  t.regex(bad.text, /8×10 in print: &quot;twenty&quot; is not an amount/);
  await h.http.post(`/ops/events/${event.id}/after-event`).set(asOperator).type('form').send(form).expect(303);
  const { settings } = (await h.http.get(`/api/events/${event.id}/after-event`).expect(200)).body;
  t.is(settings.reorderWindowDays, 30);
  t.is(settings.priceList.products.print_8x10, 1950);
  t.is(settings.priceList.products.canvas_12x16, undefined);
  t.is(settings.priceList.bundlePriceCents, null);
  t.is(settings.priceList.taxBasisPoints, 1900);
  const quote = await h.http
    .post('/api/reorders/quote')
    .send({
      eventId: event.id,
      lines: [{ imageId: images[0]!.id, productId: 'print_8x10', quantity: 1 }],
      shippingMethodId: 'standard',
      address: SHIP_TO,
    })
    .expect(200);
  t.is(quote.body.quote.totalCents, 1950 + 500 + Math.round((1950 + 500) * 0.19));
  const canvas = await h.http
    .post('/api/reorders/quote')
    .send({
      eventId: event.id,
      lines: [{ imageId: images[0]!.id, productId: 'canvas_12x16', quantity: 1 }],
      shippingMethodId: 'standard',
      address: SHIP_TO,
    })
    .expect(400);
  t.is(canvas.body.error.code, 'reorder_invalid');
  const shop = await h.http.get(`/e/${event.id}/reorder`).expect(200);
  t.false(shop.text.includes('canvas_12x16'), 'a product not sold is not offered');
});

test('an operator refund gives the whole amount back once and withdraws the download links', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h, { images: 2 });
  const paid = await paidReorder(h, {
    eventId: event.id,
    lines: [
      { imageId: images[0]!.id, productId: 'poster_12x18', quantity: 1 },
      { imageId: images[1]!.id, productId: 'digital_file', quantity: 1 },
    ],
  });
  await h.ae.dispatcher.runOnce();
  const refunded = await h.http.post(`/api/reorders/${paid.reorder.id}/refund`).set(asOperator).expect(200);
  t.like(refunded.body.result, { state: 'refunded', refundCents: paid.reorder.totalCents });
  t.is(h.gateway.refunds.length, 1);
  t.like(h.gateway.refunds[0], { amountCents: paid.reorder.totalCents, idempotencyKey: `refund:${paid.reorder.id}` });
  t.is((await h.http.get(paid.downloads[0]!.url)).status, 404, 'links withdrawn');
  const again = await h.http.post(`/api/reorders/${paid.reorder.id}/refund`).set(asOperator).expect(409);
  t.is(again.body.error.code, 'reorder_not_refundable');
  t.is(h.gateway.refunds.length, 1);
  // The lab's late news does not move a refunded order.
  (h.lab as TestLab).report(`${paid.reorder.id}.1`, 'shipped', { carrier: 'X', trackingNumber: 'ABCD1234' });
  await h.ae.dispatcher.runOnce();
  t.is((await h.reorders.getReorder(paid.reorder.id))!.state, 'refunded');
});

test('a fan who comes back before paying finds the way to the payment page on the order page', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h, { images: 2 });
  const created = await h.http
    .post('/api/reorders')
    .send({ eventId: event.id, lines: [{ imageId: images[0]!.id, productId: 'digital_file', quantity: 1 }] })
    .expect(201);
  const page = await h.http.get(`/r/${created.body.reorder.id}`).expect(200);
  t.true(page.text.includes(`id="pay" href="${created.body.checkoutUrl}"`));
  t.false(page.text.includes('id="downloads"'), 'no links before payment');
  await h.http.get('/r/r-doesnotexist').expect(404);
});

test('a reorder webhook is handed over like an own-photo one: applied once, a replay is a duplicate, both counted', async (t) => {
  const h = await createAfterEventHarness();
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h);
  const counted = async () => {
    const values = (await h.deps.metrics.webhooks.get()).values;
    const of = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
    return { applied: of('applied'), duplicate: of('duplicate'), unknown: of('unknown_order') };
  };
  const before = await counted();
  const created = await h.http
    .post('/api/reorders')
    .send({ eventId: event.id, lines: [{ imageId: images[1]!.id, productId: 'digital_file', quantity: 1 }] })
    .expect(201);
  const reorderId = created.body.reorder.id as string;
  const sessionId = new URL(created.body.checkoutUrl).pathname.split('/').at(-1)!;
  const body = JSON.stringify({
    id: 'evt_reorder_handover',
    type: 'payment.succeeded',
    sessionId,
    orderId: reorderId,
    amountCents: created.body.reorder.totalCents,
    currency: created.body.reorder.currency,
    createdAt: h.clock.now(),
  });
  const deliver = () =>
    h.http
      .post('/api/payments/webhook')
      .set('content-type', 'application/json')
      .set(TEST_GATEWAY_SIGNATURE_HEADER, h.gateway.signatureHeader(body, h.clock.now()))
      .send(body);
  t.like((await deliver().expect(200)).body, { received: true, duplicate: false });
  t.like((await deliver().expect(200)).body, { received: true, duplicate: true });
  t.is((await h.reorders.getReorder(reorderId))!.state, 'delivered', 'downloads only: delivered once paid');
  const after = await counted();
  t.deepEqual(
    { applied: after.applied - before.applied, duplicate: after.duplicate - before.duplicate },
    { applied: 1, duplicate: 1 },
  );
  t.is(after.unknown, before.unknown, 'a reorder is never looked up as a shop order');
});

test('a venue order whose random id happens to start like a reorder ("r-") is still paid as a venue order', async (t) => {
  // Every 16-byte id this coordinator draws begins with the bytes that base64url-encode to "r-".
  const reorderLookalike = {
    bytes: (n: number) => {
      const bytes = cryptoRandom.bytes(n);
      if (n === 16) bytes.set([0xaf, 0xe0 | (bytes[1]! & 0x0f)], 0);
      return bytes;
    },
  };
  const h = await createAfterEventHarness({ random: reorderLookalike });
  t.teardown(() => h.close());
  const { order } = await endedEventWithOrder(h);
  t.true(order.id.startsWith(REORDER_ID_PREFIX), order.id);
  t.is(order.state, 'paid');
  t.deepEqual(h.webhookRefusals, []);
});
