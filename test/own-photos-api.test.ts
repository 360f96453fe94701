import { createHash } from 'node:crypto';
import test from 'ava';
import request from 'supertest';
import { createApp } from '../coordinator/app.ts';
import { ownPhotoMediaKey } from '../coordinator/media/own-photo-media.ts';
import { TEST_GATEWAY_SIGNATURE_HEADER } from '../coordinator/payment/test-gateway.ts';
import { OWN_PHOTO_PIN_BURST } from '../coordinator/services/own-photo-pin-limiter.ts';
import { defaultOwnPhotoSettings } from '../coordinator/services/own-photo-settings.ts';
import { noisyJpeg } from '../tools/venue-kit/photos.ts';
import {
  asOperator,
  createHarness,
  type Harness,
  HOUR_MS,
  type Printer,
  printerCall,
  sampleJpeg,
  seedVenue,
} from './fixtures/app-harness.ts';

/** Uploads photos as a phone's fetch would; `cookie` is the phone's own-photo cookie, if it has one. */
async function upload(h: Harness, photos: Buffer[], cookie?: string) {
  let req = h.http.post('/own-photos/upload').set('accept', 'application/json');
  if (cookie) req = req.set('cookie', cookie);
  for (const [i, p] of photos.entries()) req = req.attach('photos', p, `IMG_${i}.jpg`);
  const res = await req;
  const setCookie = res.headers['set-cookie'] as unknown as string[] | undefined;
  return { res, cookie: setCookie?.[0]?.split(';')[0] ?? cookie ?? '' };
}

function codeAndPin(body: { code: string; pin: string }) {
  return { code: body.code, pin: body.pin };
}

async function payJob(h: Harness, printer: Printer, jobId: string) {
  const checkout = await printerCall(h, printer, 'post', `/api/printer/own-photos/jobs/${jobId}/checkout`).expect(200);
  await h.http.post(new URL(checkout.body.checkoutUrl).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  return checkout.body;
}

test('a fan uploads, opens the jobs at a kiosk with code and PIN, pays, the job prints once at that printer and its photos are deleted', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 2 });
  const [a, b] = printers as unknown as [Printer, Printer];
  const photos = [await sampleJpeg(11), await sampleJpeg(12, 480, 640)];
  const { res, cookie } = await upload(h, photos);
  t.is(res.status, 201, JSON.stringify(res.body));
  const { code, pin } = res.body as { code: string; pin: string };
  t.regex(code, /^[0-9A-Z]{6}$/);
  t.regex(pin, /^\d{4}$/);
  t.true(cookie.startsWith('vpm_own='));

  // The phone page shows the code, PIN, QR and retention.
  const pageRes = await h.http.get('/own-photos').set('cookie', cookie).expect(200);
  t.true(pageRes.text.includes(code) && pageRes.text.includes(pin));
  t.regex(pageRes.text, /kept for at most 24 hours/);
  const qr = await h.http.get('/own-photos/qr.svg').set('cookie', cookie).expect(200);
  t.regex(String(qr.body), /<svg/);

  const wrong = pin === '0000' ? '0001' : '0000';
  const refused = await printerCall(h, b, 'post', '/api/printer/own-photos/lookup', { code, pin: wrong });
  t.is(refused.status, 404);
  t.is(refused.body.error.code, 'own_photo_job_not_found');

  const found = await printerCall(h, b, 'post', '/api/printer/own-photos/lookup', {
    code: code.toLowerCase(),
    pin,
  }).expect(200);
  t.is(found.body.jobs.length, 1);
  const job = found.body.jobs[0];
  // The event's price list: 8.00 a print, so two prints cost 16.00.
  t.deepEqual(job.fee, { currency: 'EUR', totalCents: 1600, printCount: 2 });
  const thumb = await printerCall(h, b, 'get', `/api/printer/own-photos/jobs/${job.id}/images/1/thumbnail`).expect(200);
  t.is(thumb.headers['content-type'], 'image/jpeg');

  // Not paid: nothing is released.
  const early = await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${job.id}/release`);
  t.is(early.body.error.code, 'own_photo_job_state');

  await payJob(h, b, job.id);
  const paid = await printerCall(h, b, 'get', `/api/printer/own-photos/jobs/${job.id}`).expect(200);
  t.is(paid.body.job.state, 'paid');

  const released = await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${job.id}/release`).expect(200);
  t.is(released.body.attempt, 1);
  t.is(released.body.images.length, 2);
  // A retry of the release by the same printer is the same release; another printer is refused.
  const again = await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${job.id}/release`).expect(200);
  t.is(again.body.attempt, 1);
  const other = await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${job.id}/release`);
  t.is(other.body.error.code, 'own_photo_job_held');
  const notYours = await printerCall(h, a, 'get', `/api/printer/own-photos/jobs/${job.id}/images/0`);
  t.is(notYours.status, 409);

  for (const [n, bytes] of photos.entries()) {
    const got = await printerCall(h, b, 'get', `/api/printer/own-photos/jobs/${job.id}/images/${n}`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    t.is(
      createHash('sha256')
        .update(got.body as Buffer)
        .digest('hex'),
      released.body.images[n].sha256,
    );
    t.true((got.body as Buffer).equals(bytes));
  }

  const done = await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${job.id}/printed`).expect(200);
  t.is(done.body.job.state, 'printed');
  // Reported twice (a retry): the same answer, nothing printed again.
  await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${job.id}/printed`).expect(200);
  for (let n = 0; n < 2; n++) {
    t.is(await h.store.getMedia(ownPhotoMediaKey.master(job.id, n)), null);
    t.is(await h.store.getMedia(ownPhotoMediaKey.thumbnail(job.id, n)), null);
  }
  const stored = await h.store.ownPhotoJobs().getOwnPhotoJob(job.id);
  t.not(stored?.imagesDeletedAt, null);
  const rerelease = await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${job.id}/release`);
  t.is(rerelease.body.error.code, 'own_photo_job_state');
  // A printed job is no longer listed at a kiosk.
  const after = await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', { code, pin });
  t.is(after.body.error.code, 'own_photo_job_expired');

  const console = await h.http.get('/api/own-photos').set(asOperator).expect(200);
  t.is(console.body.jobs[0].state, 'printed');
  t.is(console.body.jobs[0].printedBy, b.id);
});

test('a print that fails at one printer is retried at another without paying again', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 2 });
  const [a, b] = printers as unknown as [Printer, Printer];
  const { res } = await upload(h, [await sampleJpeg(21)]);
  const { code, pin } = res.body;
  const jobId = (await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', { code, pin })).body.jobs[0].id;
  await payJob(h, a, jobId);
  await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/release`).expect(200);
  const failed = await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/failed`, {
    reason: 'out of paper',
  }).expect(200);
  t.is(failed.body.job.state, 'paid');
  const listed = await printerCall(h, b, 'post', '/api/printer/own-photos/lookup', { code, pin }).expect(200);
  t.is(listed.body.jobs[0].state, 'paid');
  const retry = await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${jobId}/release`).expect(200);
  t.is(retry.body.attempt, 2);
  // The failed printer cannot complete a job it no longer holds.
  const stale = await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/printed`);
  t.is(stale.status, 409);
  await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${jobId}/printed`).expect(200);
});

test('a printer that goes quiet holding a job loses it after the hold; the sweeper frees it', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 2 });
  const [a, b] = printers as unknown as [Printer, Printer];
  const { res } = await upload(h, [await sampleJpeg(31)]);
  const { code, pin } = res.body;
  const jobId = (await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', { code, pin })).body.jobs[0].id;
  await payJob(h, a, jobId);
  await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/release`).expect(200);
  h.clock.advance(10 * 60_000);
  const swept = await createSweep(h);
  t.is(swept.holdsFreed, 1);
  const retry = await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${jobId}/release`).expect(200);
  t.is(retry.body.attempt, 2);
});

async function createSweep(h: Harness) {
  const { createServices } = await import('../coordinator/services/index.ts');
  const services = createServices(h.deps);
  try {
    return await services.ownPhotoSweeper.sweep();
  } finally {
    services.close();
  }
}

test('retention: an unpaid job and its photos are deleted after the retention time; a paid one is kept', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 1 });
  const [a] = printers as unknown as [Printer];
  const unpaid = await upload(h, [await sampleJpeg(41)]);
  const paidUpload = await upload(h, [await sampleJpeg(42)]);
  const lookup = async (r: { res: { body: { code: string; pin: string } } }) =>
    (await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', codeAndPin(r.res.body))).body.jobs[0]
      .id as string;
  const unpaidId = await lookup(unpaid);
  const paidId = await lookup(paidUpload);
  await payJob(h, a, paidId);

  h.clock.advance(23 * HOUR_MS);
  t.deepEqual(await createSweep(h), { expired: 0, imagesDeleted: 0, holdsFreed: 0, orphansRemoved: 0 });
  t.not(await h.store.getMedia(ownPhotoMediaKey.master(unpaidId, 0)), null);
  h.clock.advance(HOUR_MS);
  const swept = await createSweep(h);
  t.is(swept.expired, 1);
  t.is(await h.store.getMedia(ownPhotoMediaKey.master(unpaidId, 0)), null);
  t.is(await h.store.getMedia(ownPhotoMediaKey.thumbnail(unpaidId, 0)), null);
  t.is((await h.store.ownPhotoJobs().getOwnPhotoJob(unpaidId))?.state, 'expired');
  t.not(await h.store.getMedia(ownPhotoMediaKey.master(paidId, 0)), null);
  const gone = await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', codeAndPin(unpaid.res.body));
  t.is(gone.body.error.code, 'own_photo_job_expired');
  // The phone page says so, and offers a new upload.
  const page = await h.http.get('/own-photos').set('cookie', unpaid.cookie).expect(200);
  t.regex(page.text, /Expired: the photos are deleted/);
});

test('wrong PINs lock the code: past the burst even the right PIN waits, and the answer says how long', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 1 });
  const [a] = printers as unknown as [Printer];
  const { res } = await upload(h, [await sampleJpeg(51)]);
  const { code, pin } = res.body;
  const wrong = pin === '1111' ? '2222' : '1111';
  for (let i = 0; i < OWN_PHOTO_PIN_BURST; i++) {
    const r = await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', { code, pin: wrong });
    t.is(r.status, 404);
  }
  const locked = await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', { code, pin });
  t.is(locked.status, 429);
  t.is(locked.body.error.code, 'own_photo_pin_locked');
  t.truthy(Number(locked.headers['retry-after']) > 0);
  h.clock.advance(11 * 60_000);
  await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', { code, pin }).expect(200);
});

test('uploads get the photographers checks: not an image, too many files; a second upload from the phone joins its code', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 1 });
  const [a] = printers as unknown as [Printer];
  const bad = await upload(h, [Buffer.from('<html>not a photo</html>')]);
  t.is(bad.res.status, 415);
  t.is(bad.res.body.error.code, 'unsupported_image_type');
  const tooMany = await upload(h, await Promise.all(Array.from({ length: 21 }, (_, i) => sampleJpeg(100 + i, 64, 64))));
  t.is(tooMany.res.status, 400);
  t.is(tooMany.res.body.error.code, 'too_many_files');

  const first = await upload(h, [await sampleJpeg(61)]);
  h.clock.advance(1_000);
  const second = await upload(h, [await sampleJpeg(62), await sampleJpeg(63)], first.cookie);
  t.is(second.res.status, 201);
  t.is(second.res.body.code, first.res.body.code);
  t.is(second.res.body.pin, first.res.body.pin);
  const jobs = (
    await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', codeAndPin(first.res.body)).expect(200)
  ).body.jobs;
  t.deepEqual(
    jobs.map((j: { imageCount: number }) => j.imageCount),
    [1, 2],
  );
  // A plain form post (no script on the phone) lands back on the page.
  const form = await h.http
    .post('/own-photos/upload')
    .set('accept', 'text/html')
    .set('cookie', first.cookie)
    .attach('photos', await sampleJpeg(64), 'IMG.jpg');
  t.is(form.status, 303);
  t.is(form.headers.location, '/own-photos');
});

test('a payment of an older checkout after the job was paid is refunded and the job stays paid by the first', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 1 });
  const [a] = printers as unknown as [Printer];
  const { res } = await upload(h, [await sampleJpeg(71)]);
  const jobId = (await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', codeAndPin(res.body))).body.jobs[0]
    .id;
  const first = await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/checkout`).expect(200);
  const second = await payJob(h, a, jobId);
  t.not(first.body.sessionId, second.sessionId);
  await h.http.post(new URL(first.body.checkoutUrl).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  const refunds = h.gateway.refunds;
  t.is(refunds.length, 1);
  t.is(refunds[0]?.sessionId, first.body.sessionId);
  const job = await h.store.ownPhotoJobs().getOwnPhotoJob(jobId);
  t.is(job?.state, 'paid');
  t.is(job?.paidSessionId, second.sessionId);

  // The gateway delivers the same event again: taken, marked a duplicate, nothing changes.
  const replay = JSON.stringify({
    id: 'evt_replayed',
    type: 'payment.succeeded',
    sessionId: second.sessionId,
    orderId: `ownjob_${jobId}`,
    amountCents: second.job.fee.totalCents,
    currency: second.job.fee.currency,
    createdAt: h.clock.now(),
  });
  const deliver = () =>
    h.http
      .post('/api/payments/webhook')
      .set('content-type', 'application/json')
      .set(TEST_GATEWAY_SIGNATURE_HEADER, h.gateway.signatureHeader(replay, h.clock.now()))
      .send(replay);
  t.deepEqual((await deliver()).body, { received: true, duplicate: false, state: 'paid' });
  t.deepEqual((await deliver()).body, { received: true, duplicate: true, state: 'paid' });
  t.is(h.gateway.refunds.length, 1, 'the paying session itself is never refunded');
});

test('the fan cancels the payment on the phone: the job is unpaid again and the kiosk stops waiting', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 1 });
  const [a] = printers as unknown as [Printer];
  const { res } = await upload(h, [await sampleJpeg(91)]);
  const jobId = (await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', codeAndPin(res.body))).body.jobs[0]
    .id;
  const older = await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/checkout`).expect(200);
  const latest = await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/checkout`).expect(200);
  // Cancelling a checkout the kiosk no longer shows changes nothing.
  await h.http.post(new URL(older.body.checkoutUrl).pathname).type('form').send({ outcome: 'cancel' });
  t.is((await printerCall(h, a, 'get', `/api/printer/own-photos/jobs/${jobId}`)).body.job.state, 'awaiting_payment');
  await h.http.post(new URL(latest.body.checkoutUrl).pathname).type('form').send({ outcome: 'cancel' });
  t.is((await printerCall(h, a, 'get', `/api/printer/own-photos/jobs/${jobId}`)).body.job.state, 'uploaded');
  // Paying later still works.
  await payJob(h, a, jobId);
  t.is((await printerCall(h, a, 'get', `/api/printer/own-photos/jobs/${jobId}`)).body.job.state, 'paid');
});

test('each photo fetched renews the printer hold, so a long job is not taken from a printer at work', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 2 });
  const [a, b] = printers as unknown as [Printer, Printer];
  const { res } = await upload(h, [await sampleJpeg(81), await sampleJpeg(82)]);
  const jobId = (await printerCall(h, a, 'post', '/api/printer/own-photos/lookup', codeAndPin(res.body))).body.jobs[0]
    .id;
  await payJob(h, a, jobId);
  await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/release`).expect(200);
  h.clock.advance(4 * 60_000);
  await printerCall(h, a, 'get', `/api/printer/own-photos/jobs/${jobId}/images/0`).expect(200);
  h.clock.advance(4 * 60_000);
  t.is((await createSweep(h)).holdsFreed, 0, '8 minutes after the release, but 4 after the last fetch');
  const other = await printerCall(h, b, 'post', `/api/printer/own-photos/jobs/${jobId}/release`);
  t.is(other.body.error.code, 'own_photo_job_held');
  await printerCall(h, a, 'get', `/api/printer/own-photos/jobs/${jobId}/images/1`).expect(200);
  await printerCall(h, a, 'post', `/api/printer/own-photos/jobs/${jobId}/printed`).expect(200);
});

test('a client past its hourly upload bytes is refused before its body is read, and may upload again later', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const photo = await noisyJpeg(95, 160);
  // Room for two and a half photos: the third still starts within budget and puts the client in debt.
  const budget = Math.floor(photo.length * 2.5);
  const settings = { ...h.deps.settings, ownPhotos: defaultOwnPhotoSettings({ clientBytesPerHour: budget }) };
  const http = request(createApp({ ...h.deps, settings }).callback());
  const send = () => http.post('/own-photos/upload').set('accept', 'application/json').attach('photos', photo, 'a.jpg');
  let accepted = 0;
  let refused: request.Response | null = null;
  for (let i = 0; i < 10 && !refused; i++) {
    const res = await send();
    if (res.status === 201) accepted++;
    else refused = res;
  }
  t.is(accepted, 3);
  t.is(refused?.status, 429);
  t.is(refused?.body.error.code, 'too_many_own_photo_uploads');
  t.true(Number(refused?.headers['retry-after']) > 0);
  h.clock.advance(3_600_000);
  t.is((await send()).status, 201);
});

test('photos whose job record never came (an upload cut short) are removed after a grace period; live jobs keep theirs', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { createServices } = await import('../coordinator/services/index.ts');
  const services = createServices(h.deps);
  t.teardown(() => services.close());
  const live = await upload(h, [await sampleJpeg(97)]);
  t.is(live.res.status, 201);
  const ghost = { bytes: Buffer.from('half an upload'), contentType: 'image/jpeg' };
  await h.store.putMedia(ownPhotoMediaKey.master('ghost-job', 0), ghost);
  await h.store.putMedia(ownPhotoMediaKey.thumbnail('ghost-job', 0), ghost);
  t.is((await services.ownPhotoSweeper.sweep()).orphansRemoved, 0, 'first seen: maybe an upload in flight');
  h.clock.advance(5 * 60_000);
  t.is((await services.ownPhotoSweeper.sweep()).orphansRemoved, 0);
  h.clock.advance(6 * 60_000);
  t.is((await services.ownPhotoSweeper.sweep()).orphansRemoved, 1);
  t.is(await h.store.getMedia(ownPhotoMediaKey.master('ghost-job', 0)), null);
  t.is(await h.store.getMedia(ownPhotoMediaKey.thumbnail('ghost-job', 0)), null);
  t.deepEqual(await h.store.listMediaKeys('own/', null, 10), [
    ownPhotoMediaKey.master(live.res.body.job.id, 0),
    ownPhotoMediaKey.thumbnail(live.res.body.job.id, 0),
  ]);
});

test('a kiosk sale can carry jobs as lines: quote together, mark paid once, void after a failed print, release and complete', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { createServices } = await import('../coordinator/services/index.ts');
  const services = createServices(h.deps);
  t.teardown(() => services.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 1 });
  const printer = (await h.store.getPrinter(printers[0]!.id))!;
  const first = await upload(h, [await sampleJpeg(131)]);
  h.clock.advance(1_000);
  const second = await upload(h, [await sampleJpeg(132), await sampleJpeg(133)], first.cookie);
  const { jobs } = await services.ownPhotos.lookup(printer, first.res.body.code, first.res.body.pin);
  const ids = jobs.map((j) => j.id);
  t.is(ids.length, 2);
  t.is(second.res.body.code, first.res.body.code);
  // 1 + 2 prints priced together: the event's 3-print bundle (20.00), as a basket of event photos would be.
  const { quote } = await services.ownPhotos.quote(printer, ids);
  t.is(quote.totalCents, 2000);
  for (const id of ids) {
    const paid = await services.ownPhotos.markPaid(id, {
      sessionId: 'sale_1',
      paidAt: h.clock.now(),
      via: 'kiosk_sale',
    });
    t.is(paid?.state, 'paid');
    t.is(
      await services.ownPhotos.markPaid(id, { sessionId: 'sale_1', paidAt: h.clock.now(), via: 'kiosk_sale' }),
      null,
    );
  }
  // The sale's print fails and it voids the card authorisation: the job is unpaid again (and kept).
  const [firstId, secondId] = ids as [string, string];
  await services.ownPhotos.release(printer, firstId);
  await services.ownPhotos.fail(printer, firstId, 'paper jam');
  t.is(await services.ownPhotos.voidPayment(firstId, 'another_sale'), null, 'only the paying sale voids');
  t.is((await services.ownPhotos.voidPayment(firstId, 'sale_1'))?.state, 'uploaded');
  t.not(await h.store.getMedia(ownPhotoMediaKey.master(firstId, 0)), null);
  await services.ownPhotos.markPaid(firstId, { sessionId: 'sale_2', paidAt: h.clock.now(), via: 'kiosk_sale' });
  t.is((await services.ownPhotos.release(printer, secondId)).attempt, 1);
  t.is(await services.ownPhotos.voidPayment(secondId, 'sale_1'), null, 'not while a printer holds it');
  await services.ownPhotos.complete(printer, secondId);
  for (const id of [firstId]) {
    const release = await services.ownPhotos.release(printer, id);
    t.is(release.attempt, 2, 'the second attempt, after the failed one');
    t.is((await services.ownPhotos.complete(printer, id)).job.state, 'printed');
  }
  t.deepEqual(await h.store.listMediaKeys('own/', null, 10), []);
});
