import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { createHarness, paidOrder, seedVenue } from '../fixtures/app-harness.ts';
import { launchChromium, PHONE_VIEWPORT } from './browser.ts';

/**
 * Issue #11, the shop's browser-only stumbles: Back with the photo preview open closes it (the fan
 * stays in the gallery), the photo page shows times in the phone's time zone, the cart shows the
 * bundles it applies, and the start page shows the state of the orders placed on the phone.
 */

const PAGE_TIMEOUT_MS = 15_000;
/** Half an hour off UTC: a time shown in UTC can never pass for one shown here. */
const PHONE_TIME_ZONE = 'Asia/Kolkata';

/** The coordinator app (SQLite store, manual clock) on a loopback port, closed on teardown. */
async function serveShop(t: ExecutionContext, images: number) {
  const h = await createHarness();
  t.teardown(() => h.close());
  const seeded = await seedVenue(h, { images, printers: 0 });
  const server = createServer(h.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    // Open event streams would keep close() waiting.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { h, base, ...seeded };
}

test.serial('Back with the photo preview open closes the preview and stays in the gallery', async (t) => {
  const { base, event, images } = await serveShop(t, 3);
  const run = await launchChromium(t);
  const page = await run.newPage(PHONE_VIEWPORT);
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const gallery = `${base}/e/${event.id}`;
  // The fan came from the start page: without the fix, Back would return there.
  await page.goto(`${base}/`);
  await page.goto(gallery);
  await page.waitForSelector('#cart-open:not([hidden])');

  // The first tile, which has a next one (photos taken at the same moment come in any order).
  await page.click('#grid li:first-child a');
  await page.waitForSelector('#viewer[open]');
  await page.click('#viewer-next');
  await page.evaluate('history.back()');
  await page.waitForSelector('#viewer', { state: 'hidden' });
  t.is(page.url(), gallery, 'Back closed the preview; the gallery is still shown');

  // Closed with ×, the preview leaves no entry behind: the next Back leaves the gallery as usual.
  await page.click(`#grid a[data-image="${images[1]!.id}"]`);
  await page.waitForSelector('#viewer[open]');
  await page.click('#viewer [data-close]');
  await page.waitForSelector('#viewer', { state: 'hidden' });
  t.is(page.url(), gallery);
  // Closed with × and opened again at once, before the entry is gone: Back still closes it.
  await page.click(`#grid a[data-image="${images[2]!.id}"]`);
  await page.waitForSelector('#viewer[open]');
  // One task: the Back that takes the closed preview's entry away is certainly still pending.
  await page.evaluate(
    `document.querySelector('#viewer [data-close]').click(); document.querySelector('#grid a[data-image="${images[0]!.id}"]').click();`,
  );
  await page.waitForFunction('history.state?.vpmViewer === true');
  t.true(await page.isVisible('#viewer'), 'the preview opened again stays open');
  await page.evaluate('history.back()');
  await page.waitForSelector('#viewer', { state: 'hidden' });
  t.is(page.url(), gallery);
  await Promise.all([page.waitForURL(`${base}/`), page.evaluate('history.back()')]);
  t.is(page.url(), `${base}/`);
  t.deepEqual(run.problems, []);
});

test.serial('the photo page shows the time the photo was taken in the phone’s time zone', async (t) => {
  const { base, event, images } = await serveShop(t, 1);
  const run = await launchChromium(t);
  const context = await run.browser.newContext({
    viewport: PHONE_VIEWPORT,
    timezoneId: PHONE_TIME_ZONE,
    locale: 'en-GB',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const image = (await (await fetch(`${base}/api/events/${event.id}/images`)).json()) as {
    images: Array<{ createdAt: number }>;
  };
  const local = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: PHONE_TIME_ZONE,
  }).format(image.images[0]!.createdAt);

  await page.goto(`${base}/e/${event.id}/photo/${images[0]!.id}`);
  await page.waitForSelector('#photo-add:not([hidden])');
  const heading = (await page.textContent('h1')) ?? '';
  t.true(heading.endsWith(`, ${local}`), heading);
  t.false(heading.includes('UTC'), heading);
  const alt = (await page.getAttribute('img.preview', 'alt')) ?? '';
  t.true(alt.endsWith(`, ${local}`), alt);
  await context.close();
});

test.serial('the cart shows the price per photo and the bundle applied, with its saving', async (t) => {
  const { base, event, images } = await serveShop(t, 2);
  const run = await launchChromium(t);
  const context = await run.browser.newContext({ viewport: PHONE_VIEWPORT, locale: 'en-GB' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  await page.goto(`${base}/e/${event.id}`);
  for (const image of images) {
    await page.click(`#grid a[data-image="${image.id}"]`);
    await page.waitForSelector('#viewer[open]');
    await page.click('#viewer-add');
    await page.click('#viewer [data-close]');
    await page.waitForSelector('#viewer', { state: 'hidden' });
  }
  await page.click('#cart-open');
  await page.waitForSelector('#checkout:not([disabled])');
  t.deepEqual(await page.$$eval('#cart-breakdown li', (lis) => lis.length), 0, 'two prints: no bundle');
  // Three copies of the first photo: four prints, one "3 for €20.00" bundle (the price list seeded by the harness).
  await page.fill(`#cart-items li[data-image="${images[0]!.id}"] input`, '3');
  await page.press(`#cart-items li[data-image="${images[0]!.id}"] input`, 'Tab');
  await page.waitForSelector('#cart-breakdown li');
  t.deepEqual(await page.$$eval('#cart-breakdown li', (lis) => lis.map((li) => li.textContent)), [
    '3 for €20.00: you save €4.00',
  ]);
  t.deepEqual(await page.$$eval('#cart-items .price', (spans) => spans.map((s) => s.textContent)), [
    '3 × €8.00 = €24.00',
    '€8.00',
  ]);
  t.is(await page.textContent('#checkout'), 'Pay €28.00');
});

test.serial('the start page shows each order’s state, asking the server about a few at most', async (t) => {
  const { h, base, event, images } = await serveShop(t, 1);
  const items = [{ imageId: images[0]!.id, copies: 1 }];
  const cancelled = await h.http.post('/api/orders').send({ eventId: event.id, items }).expect(201);
  await h.http.post(new URL(cancelled.body.checkoutUrl).pathname).type('form').send({ outcome: 'cancel' }).expect(302);
  const paid = await paidOrder(h, event.id, items);
  const run = await launchChromium(t);
  const page = await run.newPage(PHONE_VIEWPORT);
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const statusRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/status')) statusRequests.push(r.url());
  });
  await page.goto(`${base}/`);
  // A phone that placed these two and many more orders (the ones not on this server answer 404).
  const remembered = [
    { id: cancelled.body.order.id, eventName: 'Cup final', at: 2 },
    { id: paid.orderId, eventName: 'Cup final', at: 1 },
    ...Array.from({ length: 18 }, (_, i) => ({ id: `gone-${i}`, eventName: 'Old', at: 0 })),
  ];
  await page.evaluate(`localStorage.setItem('vpm.orders', ${JSON.stringify(JSON.stringify(remembered))})`);
  await page.reload();
  await page.waitForSelector('#my-orders-list .order-state[data-state="paid"]');
  await page.waitForSelector('#my-orders-list .order-state[data-state="cancelled"]');
  const states = await page.$$eval('#my-orders-list .order-state', (els) => els.map((e) => e.textContent));
  t.deepEqual(states.slice(0, 2), ['Cancelled', 'Paid']);
  t.is(states.length, 20);
  t.true(statusRequests.length <= 5, `${statusRequests.length} status requests`);

  // The next visit: the cancelled order is known to be final, so it is shown without asking again.
  statusRequests.length = 0;
  await page.reload();
  await page.waitForSelector('#my-orders-list .order-state[data-state="cancelled"]');
  t.is(await page.textContent('#my-orders-list li:first-child .order-state'), 'Cancelled');
  t.false(statusRequests.some((u) => u.includes(cancelled.body.order.id)));
  t.false(
    statusRequests.some((u) => u.endsWith('/gone-0/status')),
    'an order the shop does not know is not asked about again',
  );
  t.true(statusRequests.length <= 5, `${statusRequests.length} status requests`);
});
