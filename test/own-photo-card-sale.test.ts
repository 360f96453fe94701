import test from 'ava';
import { ownPhotoMediaKey } from '../coordinator/media/own-photo-media.ts';
import { createServices } from '../coordinator/services/index.ts';
import { kioskDashboard } from '../coordinator/services/kiosk-dashboard.ts';
import { KIOSK_AUTHORISATION_LIMIT_MS, KIOSK_PAYMENT_WINDOW_MS } from '../coordinator/services/kiosk-sale-settle.ts';
import { kioskDashboardHtml } from '../coordinator/web/ops/pages/kiosk-sales.ts';
import type { AppError } from '../shared/errors.ts';
import type { OwnPhotoCardSaleView } from '../shared/protocol/own-photo-card.ts';
import { asOperator, type Printer, sampleJpeg } from './fixtures/app-harness.ts';
import { createKioskHarness, type KioskHarness, TEST_READER } from './fixtures/kiosk-sale-harness.ts';

/**
 * Own-photo jobs paid by card at the kiosk (issue #13 item 3 with 2b): the test card terminal, the
 * real sale store and own-photo service, the ManualClock. The job is the lock between printing and
 * money: captured only once printed, voided (and the job unpaid again) when printing fails or the
 * fan cancels, never both.
 */

async function uploadJob(k: KioskHarness, photos = 2): Promise<string> {
  let req = k.http.post('/own-photos/upload').set('accept', 'application/json');
  for (let i = 0; i < photos; i++) req = req.attach('photos', await sampleJpeg(40 + i), `IMG_${i}.jpg`);
  const res = await req;
  if (res.status !== 201) throw new Error(`upload refused: ${JSON.stringify(res.body)}`);
  return (res.body as { job: { id: string } }).job.id;
}

const printerOf = (k: KioskHarness): Printer => k.printers[0]!;

async function startCard(k: KioskHarness, jobId: string, key: string): Promise<OwnPhotoCardSaleView> {
  const res = await k
    .call(printerOf(k), 'post', `/api/printer/own-photos/jobs/${jobId}/card-sale`, {
      readerId: TEST_READER,
      idempotencyKey: key,
    })
    .expect(201);
  return res.body.sale as OwnPhotoCardSaleView;
}

async function getSale(k: KioskHarness, id: string): Promise<OwnPhotoCardSaleView> {
  return (await k.call(printerOf(k), 'get', `/api/printer/own-photos/card-sales/${id}`).expect(200)).body.sale;
}

async function job(k: KioskHarness, jobId: string) {
  return (await k.h.store.ownPhotoJobs().getOwnPhotoJob(jobId))!;
}

/** What the edge node's OwnPhotoPrinting does: release, fetch each photo, report printed. */
async function printJob(k: KioskHarness, jobId: string) {
  const p = printerOf(k);
  const release = await k.call(p, 'post', `/api/printer/own-photos/jobs/${jobId}/release`).expect(200);
  for (const image of release.body.images as Array<{ n: number }>) {
    await k.call(p, 'get', `/api/printer/own-photos/jobs/${jobId}/images/${image.n}`).expect(200);
  }
  await k.call(p, 'post', `/api/printer/own-photos/jobs/${jobId}/printed`).expect(200);
}

test('card: authorised on the reader, the job paid by the sale, printed, then captured once; photos deleted', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const jobId = await uploadJob(k);
  const sale = await startCard(k, jobId, 'own-card-0001');
  t.is(sale.state, 'awaiting_payment');
  t.is(sale.jobId, jobId);
  // The venue's price list: 8.00 a print, two prints; 19 % tax included.
  t.is(sale.totalCents, 1600);
  t.is(sale.taxCents, Math.round((1600 * 19) / 119));
  t.is((await k.terminal.reader(TEST_READER)).status, 'busy');

  // A double tap on "Pay by card" finds the same sale and the same authorisation.
  t.is((await startCard(k, jobId, 'own-card-0001')).id, sale.id);
  t.is(k.terminal.payments().length, 1);
  // Not paid yet: the job cannot be released.
  const early = await k.call(printerOf(k), 'post', `/api/printer/own-photos/jobs/${jobId}/release`);
  t.is(early.body.error.code, 'own_photo_job_state');

  await k.terminal.present(TEST_READER, 'approve');
  const authorised = await getSale(k, sale.id);
  t.is(authorised.state, 'authorised');
  t.deepEqual(authorised.card, { brand: 'visa', last4: '4242' });
  t.truthy(authorised.authorisationCode);
  t.like(await job(k, jobId), { state: 'paid', paidSessionId: sale.id, paidVia: 'kiosk_sale' });
  t.like((await job(k, jobId)).quote, { totalCents: 1600, currency: 'EUR', printCount: 2 });
  t.is(k.terminal.payments()[0]!.status, 'authorised', 'not captured before printing');

  await printJob(k, jobId);
  const captured = await getSale(k, sale.id);
  t.is(captured.state, 'captured');
  const [payment] = k.terminal.payments();
  t.is(payment!.status, 'captured');
  t.is(payment!.captureCount, 1);
  t.is(payment!.capturedCents, 1600);
  t.is((await job(k, jobId)).state, 'printed');
  t.is(await k.h.store.getMedia(ownPhotoMediaKey.master(jobId, 0)), null, 'photos deleted after printing');

  // Polling, sweeping and a second start change nothing.
  await getSale(k, sale.id);
  await k.services.kioskSales.settler.sweep();
  t.is((await startCard(k, jobId, 'own-card-0001')).state, 'captured');
  t.is(k.terminal.payments()[0]!.captureCount, 1);

  // The operators' refund goes through the terminal, once.
  const refund = await k.http.post(`/api/kiosk-sales/${sale.id}/refund`).set(asOperator).send({}).expect(200);
  t.is(refund.body.sale.state, 'refunded');
  t.is(k.terminal.payments()[0]!.refundedCents, 1600);
});

test('card: a print failure voids the authorisation and makes the job unpaid again; nothing captured', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const jobId = await uploadJob(k, 1);
  const sale = await startCard(k, jobId, 'own-card-0002');
  await k.terminal.present(TEST_READER, 'approve');
  t.is((await getSale(k, sale.id)).state, 'authorised');
  const p = printerOf(k);
  await k.call(p, 'post', `/api/printer/own-photos/jobs/${jobId}/release`).expect(200);
  t.is((await getSale(k, sale.id)).state, 'printing');
  // A printing job cannot be cancelled: the printer holds it.
  const refused = await k.call(p, 'post', `/api/printer/own-photos/card-sales/${sale.id}/cancel`);
  t.is(refused.body.error.code, 'sale_not_cancellable');

  await k.call(p, 'post', `/api/printer/own-photos/jobs/${jobId}/failed`, { reason: 'paper out' }).expect(200);
  const voided = await getSale(k, sale.id);
  t.is(voided.state, 'voided');
  t.is(k.terminal.payments()[0]!.status, 'voided');
  t.is(k.terminal.payments()[0]!.captureCount, 0);
  t.like(await job(k, jobId), { state: 'uploaded', paidSessionId: null, paidAt: null });
  t.truthy(await k.h.store.getMedia(ownPhotoMediaKey.master(jobId, 0)), 'the photos are kept to try again');

  // The fan pays again (a new key) and it prints this time.
  const second = await startCard(k, jobId, 'own-card-0002-b');
  t.not(second.id, sale.id);
  await k.terminal.present(TEST_READER, 'approve');
  t.is((await getSale(k, second.id)).state, 'authorised');
  await printJob(k, jobId);
  t.is((await getSale(k, second.id)).state, 'captured');
  t.deepEqual(
    k.terminal.payments().map((x) => [x.status, x.captureCount]),
    [
      ['voided', 0],
      ['captured', 1],
    ],
  );
});

test('card: decline then another card; cancel before and after the tap releases everything', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const p = printerOf(k);
  const jobId = await uploadJob(k, 1);

  const first = await startCard(k, jobId, 'own-card-0003');
  await k.terminal.present(TEST_READER, 'decline');
  let view = await getSale(k, first.id);
  t.is(view.state, 'awaiting_payment');
  t.is(view.lastFailure, 'declined');
  view = (await k.call(p, 'post', `/api/printer/own-photos/card-sales/${first.id}/retry`).expect(200)).body.sale;
  t.is(view.attempts, 1);
  t.is(view.lastFailure, null);
  // The fan gives up before tapping again.
  view = (await k.call(p, 'post', `/api/printer/own-photos/card-sales/${first.id}/cancel`).expect(200)).body.sale;
  t.is(view.state, 'cancelled');
  t.is((await k.terminal.reader(TEST_READER)).status, 'online');
  t.is((await job(k, jobId)).state, 'uploaded');

  // Tapped, then cancelled before printing: voided, the job unpaid again.
  const second = await startCard(k, jobId, 'own-card-0003-b');
  await k.terminal.present(TEST_READER, 'approve');
  t.is((await getSale(k, second.id)).state, 'authorised');
  t.is((await job(k, jobId)).state, 'paid');
  view = (await k.call(p, 'post', `/api/printer/own-photos/card-sales/${second.id}/cancel`).expect(200)).body.sale;
  t.is(view.state, 'voided');
  t.like(await job(k, jobId), { state: 'uploaded', paidSessionId: null });
  t.true(k.terminal.payments().every((x) => x.captureCount === 0));
  t.is(k.terminal.payments().filter((x) => x.status === 'authorised').length, 0, 'no money left held');

  // The basket routes do not know an own-photo sale.
  const other = await k.call(p, 'get', `/api/printer/kiosk-sales/${second.id}`);
  t.is(other.body.error.code, 'sale_not_found');
  // Nor does another printer.
  const foreign = await k.call(k.printers[1]!, 'get', `/api/printer/own-photos/card-sales/${second.id}`);
  t.is(foreign.body.error.code, 'sale_not_found');
});

test('card: paid by phone while the card was read → the card is voided, the phone payment prints', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const p = printerOf(k);
  const jobId = await uploadJob(k, 1);
  const sale = await startCard(k, jobId, 'own-card-0004');
  const checkout = await k.call(p, 'post', `/api/printer/own-photos/jobs/${jobId}/checkout`).expect(200);
  await k.h.http.post(new URL(checkout.body.checkoutUrl).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  t.like(await job(k, jobId), { state: 'paid', paidVia: 'kiosk_phone' });

  await k.terminal.present(TEST_READER, 'approve');
  t.is((await getSale(k, sale.id)).state, 'voided');
  t.is(k.terminal.payments()[0]!.status, 'voided');
  t.like(await job(k, jobId), { state: 'paid', paidVia: 'kiosk_phone' });
  // A job paid already cannot start another card payment.
  const again = await k.call(p, 'post', `/api/printer/own-photos/jobs/${jobId}/card-sale`, {
    readerId: TEST_READER,
    idempotencyKey: 'own-card-0004-b',
  });
  t.is(again.body.error.code, 'own_photo_job_state');
  t.is(k.terminal.payments().length, 1, 'no authorisation asked for a paid job');
});

test('card: the sweeper voids an authorisation held too long and a card never tapped; a cut-short start is finished', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  // Only this test's sweeps settle (the background one would race them for the lease).
  k.services.kioskSales.settler.stop();
  const [jobA, jobB, jobC] = [await uploadJob(k, 1), await uploadJob(k, 1), await uploadJob(k, 1)];
  const held = await startCard(k, jobA, 'own-card-0005-a');
  await k.terminal.present(TEST_READER, 'approve');
  t.is((await getSale(k, held.id)).state, 'authorised');
  const waiting = await startCard(k, jobB, 'own-card-0005-b');

  // A crash right after the sale was authorised, before the job was marked paid.
  const cut = await startCard(k, jobC, 'own-card-0005-c');
  await k.kioskSales.transition(cut.id, 'authorised', k.h.clock.now(), { authorisedAt: k.h.clock.now() });
  t.is((await job(k, jobC)).state, 'uploaded');
  await k.services.kioskSales.settler.sweep();
  t.like(await job(k, jobC), { state: 'paid', paidSessionId: cut.id }, 'the next pass marks the job paid');

  k.h.clock.advance(Math.max(KIOSK_AUTHORISATION_LIMIT_MS, KIOSK_PAYMENT_WINDOW_MS) + 1_000);
  await k.services.kioskSales.settler.sweep();
  t.is((await k.kioskSales.get(held.id))!.state, 'voided');
  t.is((await k.kioskSales.get(waiting.id))!.state, 'expired');
  t.is((await k.kioskSales.get(cut.id))!.state, 'voided');
  for (const id of [jobA, jobB, jobC]) t.like(await job(k, id), { state: 'uploaded', paidSessionId: null });
  t.true(k.terminal.payments().every((x) => x.status === 'voided' && x.captureCount === 0));
});

test('card: without a card terminal the kiosk is told so, and nothing is stored', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const jobId = await uploadJob(k, 1);
  const { cardTerminal: _, ...noTerminal } = k.deps;
  const services = createServices(noTerminal);
  t.teardown(() => services.close());
  const printer = (await k.h.store.getPrinter(printerOf(k).id))!;
  const refused = await t.throwsAsync(
    services.ownPhotoCardSales.create(printer, jobId, { readerId: TEST_READER, idempotencyKey: 'own-card-0006' }),
  );
  t.is((refused as AppError).code, 'card_terminal_not_configured');
  t.deepEqual(await k.kioskSales.listOpen(10), []);
});

test('dashboard: sales per channel include own photos (phone and card), not counted as shop or kiosk card', async (t) => {
  const k = await createKioskHarness();
  t.teardown(() => k.close());
  const p = printerOf(k);
  const since = k.h.clock.now() - 1_000;
  // One own-photo job paid by card (2 prints, 16.00) and one by phone (1 print, 8.00), both printed here.
  const byCard = await uploadJob(k, 2);
  const sale = await startCard(k, byCard, 'own-card-0007');
  await k.terminal.present(TEST_READER, 'approve');
  await getSale(k, sale.id);
  await printJob(k, byCard);
  t.is((await getSale(k, sale.id)).state, 'captured');
  const byPhone = await uploadJob(k, 1);
  const checkout = await k.call(p, 'post', `/api/printer/own-photos/jobs/${byPhone}/checkout`).expect(200);
  await k.h.http.post(new URL(checkout.body.checkoutUrl).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  await printJob(k, byPhone);
  // An unpaid job counts nowhere.
  await uploadJob(k, 1);

  const board = await kioskDashboard(k.deps, since);
  t.deepEqual(board.channels, [{ channel: 'own-photos', currency: 'EUR', sales: 2, revenueCents: 2400 }]);
  const station = board.stations.find((s) => s.printerId === p.id);
  t.deepEqual(station?.lines, [{ channel: 'own-photos', currency: 'EUR', sales: 2, revenueCents: 2400 }]);
  const rendered = String(kioskDashboardHtml(board));
  t.regex(rendered, /data-channel="own-photos">Own photos: 2 · <strong>24\.00 EUR<\/strong>/);

  // A refund of the card sale from the console takes it off the line.
  await k.http.post(`/api/kiosk-sales/${sale.id}/refund`).set(asOperator).send({}).expect(200);
  const after = await kioskDashboard(k.deps, since);
  t.deepEqual(after.channels, [{ channel: 'own-photos', currency: 'EUR', sales: 1, revenueCents: 800 }]);
});
