import test from 'ava';
import { hashBearerToken } from '../coordinator/http/auth.ts';
import type { PrinterRow } from '../coordinator/services/printer-rows.ts';
import { printerRowHtml } from '../coordinator/web/ops/dashboard-view.ts';
import { createHarness, paidOrder, seedVenue } from './fixtures/app-harness.ts';
import { signIn } from './fixtures/staff-session.ts';

const row: PrinterRow = {
  id: 'p1',
  name: 'Gate 3',
  venueId: 'v',
  venueName: 'Arena',
  pairedAt: 0,
  revoked: false,
  online: true,
  lastSeenAt: 0,
  reportedAt: 0,
  version: '0.1.0',
  queue: 0,
  printerState: 'ready',
  printerDetail: 'Ready.',
  lastError: null,
  bytesFromLan: 0,
  bytesFromCloud: 0,
  throughputBytesPerSec: null,
  lanPeers: 0,
  cloudConnected: true,
  events: [],
};

test('a ready printer reads "Ready", not "Ready Ready."; a detail that adds something is kept', (t) => {
  const text = (r: PrinterRow) =>
    String(printerRowHtml(r, 0))
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ');
  t.notRegex(text(row), /Ready\s+Ready/);
  t.regex(
    text({ ...row, printerState: 'paper_out', printerDetail: 'Roll empty at 14:02' }),
    /Out of paper Roll empty at 14:02/,
  );
});

test('the dashboard is headed "Dashboard" with a "Printers" section that explains its yellow flash; a role is shown once', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const token = 'default-operator-token-0123456789';
  // What a fresh install creates: a credential named after its role.
  await h.store.insertCredential({
    tokenHash: hashBearerToken(token),
    role: 'operator',
    name: 'operator',
    createdAt: 0,
    revokedAt: null,
  });
  const { cookie } = await signIn(h, token);
  const page = await h.http.get('/ops').set('cookie', cookie).expect(200);
  t.regex(page.text, /<h1>Dashboard<\/h1>/);
  t.regex(page.text, /<h2 id="printers-heading">Printers<\/h2>/);
  t.regex(page.text, /flashes yellow/);
  t.regex(page.text, /<span class="who">operator<\/span>/);
});

test('the order page numbers its photos as the receipt does', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 2, printers: 0 });
  const { orderId } = await paidOrder(h, event.id, [
    { imageId: images[0]!.id, copies: 2 },
    { imageId: images[1]!.id, copies: 1 },
  ]);
  const page = await h.http.get(`/o/${orderId}`).expect(200);
  t.regex(page.text, /<strong>Photo 1<\/strong> · 2 copies/);
  t.regex(page.text, /<strong>Photo 2<\/strong> · 1 copy/);
});

test('the photo page writes its time for the page script to show in local time, like the gallery', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 1, printers: 0 });
  const page = await h.http.get(`/e/${event.id}/photo/${images[0]!.id}`).expect(200);
  t.regex(page.text, /<h1>Photo by [^<]+, <time datetime="[^"]+" data-local="time">/);
});

test('the dashboard shows a sales summary: paid orders, prints and revenue of the last 24 hours', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 2, printers: 0 });
  const { cookie } = await signIn(h, 'operator-token-for-tests-0123456789');
  const empty = await h.http.get('/ops').set('cookie', cookie).expect(200);
  t.regex(
    empty.text,
    /Sales in the last 24 hours<\/h2>\s*<ul id="sales-summary" class="plain"><li class="muted">No paid orders yet/,
  );
  await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 2 }]);
  await paidOrder(h, event.id, [
    { imageId: images[0]!.id, copies: 1 },
    { imageId: images[1]!.id, copies: 2 },
  ]);
  // An unpaid order is no sale.
  await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[1]!.id, copies: 1 }] })
    .expect(201);
  const page = await h.http.get('/ops').set('cookie', cookie).expect(200);
  // 2 prints = 16.00; 3 prints = one 3-bundle, 20.00.
  t.regex(page.text, /2 orders · 5 prints · <strong>36\.00 EUR<\/strong>/);
  h.clock.advance(25 * 3_600_000);
  t.deepEqual(await h.store.salesSince(h.clock.now() - 24 * 3_600_000), [], 'older sales drop out');
});
