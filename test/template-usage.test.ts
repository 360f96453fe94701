import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import sharp from 'sharp';
import { defaultFeeSettings, quoteTemplateFee } from '../shared/policy/template-fees.ts';
import { addSampleTemplates } from '../tools/venue-kit/sample-templates.ts';
import {
  asOperator,
  createHarness,
  type Harness,
  OPERATOR_TOKEN,
  type Printer,
  printerCall,
  seedVenue,
} from './fixtures/app-harness.ts';
import { makeFrame } from './fixtures/template-fixtures.ts';

const BASIC_FEE_CENTS = 200;
const ONLINE_ORDERS = 16;
const OFFLINE_ORDERS = 8;
const PRINTERS = 6;

async function templateOrder(h: Harness, eventId: string, imageId: string, templateId: string, copies: number) {
  const items = [{ imageId, copies, template: { templateId } }];
  const created = await h.http.post('/api/orders').send({ eventId, items }).expect(201);
  await h.http.post(new URL(created.body.checkoutUrl).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  const order = await h.http.get(`/api/orders/${created.body.order.id}`).expect(200);
  return {
    orderId: created.body.order.id as string,
    token: order.body.redemption.token as string,
    units: copies,
    items: order.body.order.items as Array<{ template: { fee: { feeCents: number; templateUses: number } } }>,
  };
}

async function printOnline(h: Harness, p: Printer, order: { orderId: string; token: string; units: number }) {
  const job = await printerCall(h, p, 'post', '/api/printer/redeem', { token: order.token });
  if (job.status !== 200) throw new Error(JSON.stringify(job.body));
  const confirm = (unit: number) =>
    printerCall(h, p, 'post', `/api/printer/orders/${order.orderId}/units/${unit}/printed`).expect(200);
  const units = Array.from({ length: order.units }, (_, u) => u);
  // Every confirmation twice, at once: a retry after a lost answer must not count again.
  await Promise.all([...units.map(confirm), ...units.map(confirm)]);
}

async function reportOffline(h: Harness, p: Printer, order: { orderId: string; units: number }) {
  const body = {
    orders: [
      {
        orderId: order.orderId,
        claimedAt: h.clock.now(),
        mode: 'offline',
        units: Array.from({ length: order.units }, (_, u) => u),
      },
    ],
  };
  // The reconciler retries a report until it has an answer: twice here, concurrently.
  const answers = await Promise.all([
    printerCall(h, p, 'post', '/api/printer/offline-redemptions', body),
    printerCall(h, p, 'post', '/api/printer/offline-redemptions', body),
  ]);
  for (const a of answers) if (a.status !== 200) throw new Error(JSON.stringify(a.body));
}

test('template uses are exact: concurrent prints at six printers, repeated confirmations, offline prints reconciled twice', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 2, printers: PRINTERS });
  const created = await h.http
    .post(`/api/events/${event.id}/templates`)
    .set(asOperator)
    .send({
      name: 'Gold frame',
      basicFeeCents: BASIC_FEE_CENTS,
      layout: { media: 'na_index-4x6_4x6in', slots: [{ x: 100, y: 100, width: 1000, height: 1300 }], texts: [] },
    })
    .expect(201);
  const templateId = created.body.template.id as string;

  const orders = [];
  for (let i = 0; i < ONLINE_ORDERS + OFFLINE_ORDERS; i++) {
    orders.push(await templateOrder(h, event.id, images[i % images.length]!.id, templateId, 1 + (i % 3)));
  }
  // Nothing printed yet: every order was quoted at 0 uses, the basic fee.
  t.true(orders.every((o) => o.items[0]!.template.fee.templateUses === 0 && o.items[0]!.template.fee.feeCents === 200));

  const online = orders.slice(0, ONLINE_ORDERS);
  const offline = orders.slice(ONLINE_ORDERS);
  await Promise.all([
    ...online.map((o, i) => printOnline(h, printers[i % PRINTERS]!, o)),
    ...offline.map((o, i) => reportOffline(h, printers[(i + 1) % PRINTERS]!, o)),
  ]);
  // Reported once more after everything settled (a reconciler that restarted): still nothing new.
  await reportOffline(h, printers[1]!, offline[0]!);

  const printedUnits = orders.reduce((n, o) => n + o.units, 0);
  const stats = await h.http.get(`/api/events/${event.id}/template-fees`).set(asOperator).expect(200);
  const gold = stats.body.templates[0];
  t.is(gold.uses, printedUnits, 'one use per printed unit');
  t.is(gold.revenueCents, printedUnits * BASIC_FEE_CENTS, 'each use at the fee its order was priced at');
  for (const o of orders) {
    const order = await h.http.get(`/api/orders/${o.orderId}`).expect(200);
    t.is(order.body.order.state, 'fulfilled');
  }

  // The next quote reflects the band the uses reached; placed orders keep their frozen price.
  const expected = quoteTemplateFee({
    basicFeeCents: BASIC_FEE_CENTS,
    templateUses: printedUnits,
    customerUses: 0,
    settings: defaultFeeSettings(),
  });
  t.is(gold.band, expected.templateBand);
  const quote = await h.http
    .post('/api/orders/quote')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1, template: { templateId } }] })
    .expect(200);
  t.is(quote.body.templateFees.lines[0].feeCents, expected.feeCents);
  t.is(quote.body.templateFees.lines[0].usesAtQuote, printedUnits);
  t.true(expected.feeCents < BASIC_FEE_CENTS, `${printedUnits} uses are past the first band`);
  t.is(quote.body.totalCents, quote.body.quote.totalCents + expected.feeCents);
  // A cart priced before the band moved is not charged at the new price without the fan seeing it.
  const stale = await h.http
    .post('/api/orders')
    .send({
      eventId: event.id,
      items: [{ imageId: images[0]!.id, copies: 1, template: { templateId } }],
      expectedTotalCents: quote.body.quote.totalCents + BASIC_FEE_CENTS,
    })
    .expect(409);
  t.is(stale.body.error.code, 'price_changed');
  t.is(stale.body.error.details.totalCents, quote.body.totalCents);
  const first = await h.http.get(`/api/orders/${orders[0]!.orderId}`).expect(200);
  t.is(first.body.order.items[0].template.fee.feeCents, BASIC_FEE_CENTS, 'the order keeps the price the fan saw');
});

test('the demo’s sample templates are accepted: the gold frame’s rounded window is found, the strip takes three photos', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 3, printers: 0 });
  const server = createServer(h.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  t.deepEqual(await addSampleTemplates(`http://127.0.0.1:${port}`, OPERATOR_TOKEN, event.id), [
    'Gold frame',
    'Photo strip',
  ]);
  const list = await h.http.get(`/api/events/${event.id}/templates`).expect(200);
  // Created in the same millisecond of the manual clock: found by name, not by order.
  const named = (name: string) => list.body.templates.find((x: { name: string }) => x.name === name);
  const [gold, strip] = [named('Gold frame'), named('Photo strip')];
  t.deepEqual(gold.layout.slots, [{ x: 120, y: 120, width: 960, height: 1280, rotation: 0 }]);
  t.is(strip.photoCount, 3);
  const refused = await h.http
    .post('/api/orders/quote')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1, template: { templateId: strip.id } }] })
    .expect(400);
  t.is(refused.body.error.code, 'template_photos_missing');
  const moreImageIds = [images[1]!.id, images[2]!.id];
  const ok = await h.http
    .post('/api/orders/quote')
    .send({
      eventId: event.id,
      items: [{ imageId: images[0]!.id, copies: 1, template: { templateId: strip.id, moreImageIds } }],
    })
    .expect(200);
  t.is(ok.body.templateFees.totalCents, 300);
  const preview = await h.http
    .get(`/api/templates/${strip.id}/preview.jpg?images=${[images[0]!.id, ...moreImageIds].join(',')}`)
    .expect(200);
  const meta = await sharp(preview.body as Buffer).metadata();
  t.deepEqual([meta.width, meta.height], [160, 480], 'a small preview of the strip');
});

test('a frame upload is refused with a message naming the fix: not a PNG, a size no printer has, no window, a bomb', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event } = await seedVenue(h, { images: 0, printers: 0 });
  const upload = (body: Buffer, type = 'image/png') =>
    h.http
      .post(`/api/events/${event.id}/templates?name=Test&basicFeeCents=100`)
      .set(asOperator)
      .set('content-type', type)
      .send(body);
  const jpeg = await sharp({ create: { width: 1200, height: 1800, channels: 3, background: '#c9a227' } })
    .jpeg()
    .toBuffer();
  const notPng = await upload(jpeg);
  t.is(notPng.status, 415);
  t.is(notPng.body.error.code, 'template_not_png');
  const small = await upload(await makeFrame(400, 600, [{ x: 50, y: 50, width: 300, height: 400 }]));
  t.is(small.status, 422);
  t.regex(small.body.error.message, /400×600 pixels; it must be one of 1200×1800, 1500×2100, 600×1800/);
  const seven = Array.from({ length: 7 }, (_, i) => ({ x: 100, y: 60 + i * 240, width: 1000, height: 200 }));
  const tooMany = await upload(await makeFrame(1200, 1800, seven));
  t.is(tooMany.status, 422);
  t.regex(tooMany.body.error.message, /7 transparent windows; at most 6/);
  const closed = await upload(await makeFrame(1200, 1800, []));
  t.is(closed.status, 422);
  t.regex(closed.body.error.message, /no transparent window/);
  // 4000 × 4000 of one colour: a few kB of PNG that decodes to 64 MB, past the frame pixel limit.
  const bomb = await sharp({
    create: { width: 4000, height: 4000, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 1 } },
  })
    .png({ compressionLevel: 9 })
    .toBuffer();
  const refused = await upload(bomb);
  t.is(refused.status, 422, JSON.stringify(refused.body));
  t.is(refused.body.error.code, 'template_unreadable');
  const bad = await h.http
    .post(`/api/events/${event.id}/templates`)
    .set(asOperator)
    .send({ name: 'X', basicFeeCents: -5, layout: { media: 'na_index-4x6_4x6in', slots: [], texts: [] } });
  t.is(bad.status, 422);
  t.regex(bad.body.error.message, /basic fee must be a whole number of cents/);
  t.is((await h.http.get(`/api/events/${event.id}/templates`).expect(200)).body.templates.length, 0, 'nothing stored');
});
