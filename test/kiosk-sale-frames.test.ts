import test from 'ava';
import type { KioskSaleView, KioskTemplateFees } from '../shared/protocol/kiosk-sale.ts';
import { asOperator } from './fixtures/app-harness.ts';
import { createKioskHarness, type KioskHarness, TEST_READER } from './fixtures/kiosk-sale-harness.ts';

/**
 * Issue #14 at the kiosk: a frame chosen in the kiosk basket is priced by the coordinator like the
 * shop's (fee frozen on the order item), the total the kiosk showed is checked, and the print job
 * carries the template so the printer composites it.
 */
async function addTemplate(k: KioskHarness, name: string, basicFeeCents: number, slots: number) {
  const layout =
    slots === 1
      ? { media: 'na_index-4x6_4x6in', slots: [{ x: 100, y: 100, width: 1000, height: 1300 }], texts: [] }
      : {
          media: 'oe_photo-strip_2x6in',
          slots: Array.from({ length: slots }, (_, i) => ({ x: 40, y: 40 + i * 520, width: 520, height: 480 })),
          texts: [],
        };
  const res = await k.http
    .post(`/api/events/${k.event.id}/templates`)
    .set(asOperator)
    .send({ name, basicFeeCents, layout })
    .expect(201);
  return res.body.template.id as string;
}

function sale(k: KioskHarness, key: string, items: unknown[], expectedTotalCents?: number) {
  return k.call(k.printers[0]!, 'post', '/api/printer/kiosk-sales', {
    eventId: k.event.id,
    items,
    channel: 'kiosk-card',
    idempotencyKey: key,
    readerId: TEST_READER,
    ...(expectedTotalCents === undefined ? {} : { expectedTotalCents }),
  });
}

test('a frame chosen at the kiosk: fee listed, priced into the sale, frozen on the order, printed framed, captured with the fee', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const gold = await addTemplate(k, 'Gold frame', 200, 1);
  const strip = await addTemplate(k, 'Strip', 300, 3);

  const fees = (await k.call(k.printers[0]!, 'get', `/api/printer/events/${k.event.id}/template-fees`).expect(200))
    .body as KioskTemplateFees;
  const byName = new Map(fees.templates.map((f) => [f.name, f]));
  t.is(byName.get('Gold frame')?.feeCents, 200);
  t.is(byName.get('Gold frame')?.photoCount, 1);
  t.is(byName.get('Strip')?.photoCount, 3);
  t.regex(byName.get('Gold frame')?.feeLine ?? '', /Gold frame: .*2\.00 × 1 \(new\) × 1 \(new customer\) = .*2\.00/);

  // Photo 1 twice in the gold frame, photo 1 once unframed, photo 2 once: 4 prints (3-bundle 20.00 +
  // 8.00) and two frame fees of 2.00 = 32.00.
  const items = [
    { imageId: k.images[0]!.id, copies: 2, template: { templateId: gold } },
    { imageId: k.images[0]!.id, copies: 1 },
    { imageId: k.images[1]!.id, copies: 1 },
  ];
  const created = (await sale(k, 'frames-0001', items, 3200).expect(201)).body as KioskSaleView;
  t.is(created.totalCents, 3200);
  t.is(created.taxCents, Math.round((3200 * 19) / 119), 'tax included on the fees too');
  t.is(created.unitCount, 4);
  const framed = created.items.find((i) => i.template);
  t.is(framed?.copies, 2, 'the same photo framed and unframed are two lines');
  t.is(framed?.template?.feeCents, 200);
  t.is(created.items.length, 3);
  const order = await k.h.store.getOrder(created.orderId);
  t.is(order?.totalCents, 3200);
  const item = order?.items.find((i) => i.template);
  t.is(item?.template?.templateId, gold);
  t.is(item?.template?.fee.templateUses, 0, 'the use count that priced it is on the order');
  t.regex(item?.template?.feeLine ?? '', /Gold frame/);

  // A double tap finds the same sale.
  const again = (await sale(k, 'frames-0001', items, 3200).expect(201)).body as KioskSaleView;
  t.is(again.id, created.id);

  await k.terminal.present(TEST_READER, 'approve');
  const authorised = (await k.call(k.printers[0]!, 'get', `/api/printer/kiosk-sales/${created.id}`).expect(200))
    .body as KioskSaleView;
  const job = await k.call(k.printers[0]!, 'post', '/api/printer/redeem', { token: authorised.token }).expect(200);
  const units = job.body.units as Array<{ unit: number; imageId: string; template?: { templateId: string } }>;
  t.is(units.filter((u) => u.template?.templateId === gold).length, 2, 'the printer is told to frame two prints');
  t.is(units.filter((u) => !u.template).length, 2);
  for (const u of units) {
    await k.call(k.printers[0]!, 'post', `/api/printer/orders/${created.orderId}/units/${u.unit}/printed`).expect(200);
  }
  const captured = (await k.call(k.printers[0]!, 'get', `/api/printer/kiosk-sales/${created.id}`).expect(200))
    .body as KioskSaleView;
  t.is(captured.state, 'captured');
  t.is(k.terminal.payments()[0]!.capturedCents, 3200, 'the frame fees are captured with the prints');
  const stats = await k.http.get(`/api/events/${k.event.id}/template-fees`).set(asOperator).expect(200);
  const goldStats = (stats.body.templates as Array<{ template: { id: string }; uses: number; revenueCents: number }>)
    .filter((s) => s.template.id === gold)
    .at(0);
  t.is(goldStats?.uses, 2, 'one use per framed print');
  t.is(goldStats?.revenueCents, 400);

  // A strip needs more photos than the kiosk's one: refused with the words, nothing charged.
  const stripSale = await sale(k, 'frames-0002', [
    { imageId: k.images[1]!.id, copies: 1, template: { templateId: strip } },
  ]);
  t.is(stripSale.status, 400);
  t.is(stripSale.body.error.code, 'template_photos_missing');
  t.is(k.terminal.payments().length, 1);
});

test('a tampered or stale total is refused with the real one; a fee sent by the kiosk is refused; nothing is charged', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const gold = await addTemplate(k, 'Gold frame', 250, 1);
  const items = [{ imageId: k.images[0]!.id, copies: 1, template: { templateId: gold } }];

  // The kiosk claims the print without the frame's fee (8.00 instead of 10.50).
  const tampered = await sale(k, 'frames-0003', items, 800);
  t.is(tampered.status, 409);
  t.is(tampered.body.error.code, 'price_changed');
  t.is(tampered.body.error.details?.totalCents, 1050, 'the answer names the real total');
  t.is(k.terminal.payments().length, 0, 'no card asked for');
  t.is((await k.services.kioskSales.list()).length, 0, 'no sale stored');
  t.is((await k.terminal.reader(TEST_READER)).status, 'online');

  // A fee in the basket is not the kiosk's to set.
  const withFee = await sale(k, 'frames-0004', [
    { imageId: k.images[0]!.id, copies: 1, template: { templateId: gold, feeCents: 0 } },
  ]);
  t.is(withFee.status, 400);
  t.is((await k.services.kioskSales.list()).length, 0);

  // The same basket with the total the kiosk was told goes through, under the same key.
  const ok = (await sale(k, 'frames-0003', items, 1050).expect(201)).body as KioskSaleView;
  t.is(ok.totalCents, 1050);
  t.is(k.terminal.payments()[0]!.amountCents, 1050);

  // A retired frame is no longer offered to the kiosk, nor sold.
  await k.http.post(`/api/templates/${gold}/retire`).set(asOperator).expect(200);
  const fees = (await k.call(k.printers[0]!, 'get', `/api/printer/events/${k.event.id}/template-fees`).expect(200))
    .body as KioskTemplateFees;
  t.deepEqual(fees.templates, []);
  const retired = await sale(k, 'frames-0005', items);
  t.is(retired.status, 404);
  t.is(retired.body.error.code, 'template_not_found');
});
