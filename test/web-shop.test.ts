import test from 'ava';
import fc from 'fast-check';
import Koa from 'koa';
import pino from 'pino';
import request from 'supertest';
import { openEventStream, SSE_RETRY_MS, StreamLimiter } from '../coordinator/http/event-stream.ts';
import { EVENT_POLL_INTERVAL_MS, ORDER_POLL_INTERVAL_MS } from '../coordinator/services/live-updates.ts';
import { describeOrderStatus, type OrderStatusView } from '../coordinator/services/order-status.ts';
import { StorePoller } from '../coordinator/services/store-poller.ts';
import type { OrderRecord } from '../coordinator/store/records.ts';
import { AssetTable, shopAssets } from '../coordinator/web/shop/assets.ts';
import { ManualClock, systemClock } from '../shared/ports/clock.ts';
import { escapeHtml, html, page, trustedHtml } from '../shared/web/html.ts';
import {
  asOperator,
  asPhotographer,
  createHarness,
  type Harness,
  HOUR_MS,
  paidOrder,
  printerCall,
  sampleJpeg,
  seedEvent,
  seedVenue,
} from './fixtures/app-harness.ts';
import { driveUntil } from './fixtures/drive-clock.ts';
import { openSse } from './fixtures/sse-client.ts';

const HOSTILE_EVENT = `Final <script>alert("e")</script> & 'friends'`;
const HOSTILE_PHOTOGRAPHER = '<img src=x onerror=alert(1)>"Eve"';
/** A poll has certainly run by then: one interval, plus time for the request to get through. */
const EVENT_WAIT_MS = EVENT_POLL_INTERVAL_MS * 3;
/**
 * Unminified, uncompressed: the gallery (the heaviest page) is at about 17.5 KB since its cart shows
 * per-item prices and bundles, and its preview answers Back (issue #11); it was 15 KB before.
 */
const MAX_PAGE_SCRIPT_BYTES = 18_000;
const MAX_STYLESHEET_BYTES = 10_000;
const ORDER_WAIT_MS = ORDER_POLL_INTERVAL_MS * 3;

async function hostileEvent(h: Harness) {
  const now = h.clock.now();
  const { venue, event } = await seedEvent(h, {
    name: HOSTILE_EVENT,
    startsAt: now - HOUR_MS,
    endsAt: now + 3 * HOUR_MS,
  });
  const eve = (
    await h.http
      .post('/api/credentials')
      .set(asOperator)
      .send({ role: 'photographer', name: HOSTILE_PHOTOGRAPHER })
      .expect(201)
  ).body.token as string;
  const asEve = { authorization: `Bearer ${eve}` };
  return { venue, event, asEve };
}

async function upload(h: Harness, eventId: string, who: Record<string, string>, seed: number): Promise<string> {
  const res = await h.http
    .post(`/api/events/${eventId}/images`)
    .set(who)
    .attach('image', await sampleJpeg(seed), `IMG_${seed}.jpg`)
    .expect(201);
  return res.body.image.id as string;
}

function assertShopHeaders(t: import('ava').ExecutionContext, res: request.Response) {
  t.regex(String(res.headers['content-type']), /^text\/html/);
  t.regex(String(res.headers['content-security-policy']), /script-src 'self'/);
  t.regex(String(res.headers['content-security-policy']), /default-src 'none'/);
  t.is(res.headers['x-content-type-options'], 'nosniff');
  t.is(res.headers['referrer-policy'], 'no-referrer');
}

/** No markup from data, no inline script or handler: what a strict CSP also enforces in the browser. */
function assertNoInjectedMarkup(t: import('ava').ExecutionContext, page: string) {
  t.false(page.includes('<script>alert'), 'event name is escaped');
  t.false(page.includes('<img src=x'), 'photographer name is escaped');
  const attributes = (page.match(/<[a-z][^>]*>/gi) ?? []).flatMap((tag) =>
    [...tag.matchAll(/\s([^\s=>"']+)(?:=(?:"[^"]*"|'[^']*'|[^\s>]*))?/g)].map((m) => m[1]!.toLowerCase()),
  );
  t.true(attributes.length > 10);
  t.deepEqual(
    attributes.filter((name) => name.startsWith('on')),
    [],
    'no inline event handlers',
  );
  for (const tag of page.match(/<script\b[^>]*>/g) ?? []) t.regex(tag, /\ssrc="\/shop\/assets\/[a-z-]+\.js\?v=/);
}

test('html: every interpolated value is escaped, markup built by html is not escaped twice', (t) => {
  t.is(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  const name = '<b>"Eve" & \'Bob\'</b>';
  t.is(
    html`<p title="${name}">${name} ${3} ${null}${undefined}${false}${[name, html`<i>${name}</i>`]}</p>`.value,
    '<p title="&lt;b&gt;&quot;Eve&quot; &amp; &#39;Bob&#39;&lt;/b&gt;">&lt;b&gt;&quot;Eve&quot; &amp; &#39;Bob&#39;&lt;/b&gt; 3 ' +
      '&lt;b&gt;&quot;Eve&quot; &amp; &#39;Bob&#39;&lt;/b&gt;<i>&lt;b&gt;&quot;Eve&quot; &amp; &#39;Bob&#39;&lt;/b&gt;</i></p>',
  );
  t.is(html`${trustedHtml('<svg></svg>')}`.value, '<svg></svg>');
  const doc = page({ title: '</title><script>x</script>', body: html`<p>ok</p>`, scripts: ['/a.js?v=1&b="2"'] });
  t.true(doc.includes('<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;</title>'));
  t.true(doc.includes('<script type="module" src="/a.js?v=1&amp;b=&quot;2&quot;"></script>'));
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (text) => {
      const out = html`<p data-x="${text}">${text}</p>`.value;
      const inner = out.slice('<p data-x="'.length, out.length - '</p>'.length);
      // Nothing from the value can open a tag, end the attribute, or start an entity of its own.
      if (/[<>"']/.test(inner.replace('">', ''))) return false;
      const decoded = inner
        .split('">')[0]!
        .replace(
          /&(lt|gt|quot|#39|amp);/g,
          (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!,
        );
      return decoded === text;
    }),
  );
});

test('pages render, escape hostile event and photographer names, and carry strict headers', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, asEve } = await hostileEvent(h);
  const imageId = await upload(h, event.id, asEve, 1);
  const { orderId } = await paidOrder(h, event.id, [{ imageId, copies: 2 }]);

  const home = await h.http.get('/').expect(200);
  assertShopHeaders(t, home);
  assertNoInjectedMarkup(t, home.text);
  t.true(home.text.includes('Final &lt;script&gt;alert(&quot;e&quot;)&lt;/script&gt; &amp; &#39;friends&#39;'));
  t.true(home.text.includes(`href="/e/${event.id}"`));

  const gallery = await h.http.get(`/e/${event.id}`).expect(200);
  assertShopHeaders(t, gallery);
  assertNoInjectedMarkup(t, gallery.text);
  t.true(gallery.text.includes('&lt;img src=x onerror=alert(1)&gt;&quot;Eve&quot;'), 'photographer filter option');
  t.regex(
    gallery.text,
    /<img src="\/media\/images\/[^"]+\/thumbnail\.jpg" loading="lazy" decoding="async" width="320" height="240"/,
  );
  t.regex(gallery.text, /<main id="main"[^>]* data-event-id="[^"]+"/);
  t.regex(gallery.text, /<label class="field"><span>Photographer<\/span><select name="photographer"/);

  const photo = await h.http.get(`/e/${event.id}/photo/${imageId}`).expect(200);
  assertShopHeaders(t, photo);
  assertNoInjectedMarkup(t, photo.text);
  t.regex(photo.text, /src="\/media\/images\/[^"]+\/preview\.jpg" width="640" height="480"/);

  const order = await h.http.get(`/o/${orderId}`).expect(200);
  assertShopHeaders(t, order);
  assertNoInjectedMarkup(t, order.text);
  t.is(order.headers['cache-control'], 'no-store', 'the order page is a capability: never cached');
  t.is(order.headers['x-robots-tag'], 'noindex');
  const code = (await h.store.getOrder(orderId))!.code;
  t.regex(order.text, new RegExp(`<img id="qr" class="qr" src="/api/orders/${orderId}/qr.svg"`));
  t.true(order.text.includes(`<p class="code" id="code" aria-describedby="code-label">${code}</p>`));
  t.true(order.text.includes('Paid: ready to print'));

  // Unknown things are pages too, with the reason in words.
  const missing = await h.http.get('/e/no-such-event').expect(404);
  assertShopHeaders(t, missing);
  t.true(missing.text.includes('This event does not exist.'));
  t.is((await h.http.get(`/e/${event.id}/photo/not-here`)).status, 404);
  t.is((await h.http.get('/o/not-an-order')).status, 404);
});

test('the order page says what happened and what to do: declined, cancelled, printing, printed', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 1 });
  const items = [{ imageId: images[0]!.id, copies: 2 }];

  const declined = await h.http.post('/api/orders').send({ eventId: event.id, items }).expect(201);
  const pay = await h.http
    .post(new URL(declined.body.checkoutUrl).pathname)
    .type('form')
    .send({ outcome: 'decline' })
    .expect(302);
  t.is(pay.headers.location, `http://shop.test/o/${declined.body.order.id}`, 'the gateway returns to the order page');
  const declinedPage = (await h.http.get(`/o/${declined.body.order.id}`).expect(200)).text;
  t.true(declinedPage.includes('Payment declined'));
  t.regex(declinedPage, /<button type="button" id="pay-again" class="primary">Try paying again<\/button>/);
  t.regex(declinedPage, /<section id="ticket"[^>]* hidden>/, 'no code before payment');
  t.false(declinedPage.includes('qr.svg"  '), 'no QR source before payment');
  t.notRegex(declinedPage, /<img id="qr" class="qr" src=/);

  const cancelled = await h.http.post('/api/orders').send({ eventId: event.id, items }).expect(201);
  await h.http.post(new URL(cancelled.body.checkoutUrl).pathname).type('form').send({ outcome: 'cancel' }).expect(302);
  const cancelledPage = (await h.http.get(`/o/${cancelled.body.order.id}`).expect(200)).text;
  t.true(cancelledPage.includes('Payment cancelled'));
  t.regex(cancelledPage, /id="order-again" class="primary">Order these photos again/);

  const { orderId, token } = await paidOrder(h, event.id, items);
  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  await printerCall(h, printers[0]!, 'post', `/api/printer/orders/${orderId}/units/0/printed`).expect(200);
  const printing = (await h.http.get(`/o/${orderId}`).expect(200)).text;
  t.true(printing.includes('Printing at Printer 1'));
  t.true(printing.includes('Printed 1 of 2.'));
  t.regex(printing, /<progress id="progress" max="2" value="1"/);

  // The printer goes silent past its claim: the fan is told to use another printer.
  h.clock.advance(h.deps.settings.claimTtlMs + 1);
  const stalled = (await h.http.get(`/api/orders/${orderId}/status`).expect(200)).body.status as OrderStatusView;
  t.is(stalled.tone, 'problem');
  t.is(stalled.headline, 'Printer 1 stopped responding');
  t.true(stalled.redeemable, 'the code still works at another printer');

  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  await printerCall(h, printers[0]!, 'post', `/api/printer/orders/${orderId}/units/1/printed`).expect(200);
  const done = (await h.http.get(`/api/orders/${orderId}/status`).expect(200)).body.status as OrderStatusView;
  t.like(done, { state: 'fulfilled', tone: 'done', headline: 'Printed 2 of 2', final: true, redeemable: false });
  t.true(done.detail.includes('Printer 1'));
  t.is((await h.http.get('/api/orders/nope/status')).status, 404);
  t.is((await h.http.get(`/api/orders/${orderId}/nothing-here`)).body.error.code, 'route_not_found');
});

test('describeOrderStatus: an expired code is said plainly and no QR is offered', (t) => {
  const order: OrderRecord = {
    id: 'o1',
    code: 'ABCDEFGH',
    eventId: 'e',
    venueId: 'v',
    items: [{ imageId: 'i', copies: 1 }],
    unitCount: 1,
    totalCents: 800,
    currency: 'EUR',
    state: 'paid',
    paymentSessionId: 's',
    createdAt: 0,
    paidAt: 1,
    claim: null,
    printed: {},
    printedCount: 0,
    fulfilledAt: null,
  };
  const fresh = describeOrderStatus(order, { printerName: null, codeExpiresAt: 1000, now: 999 });
  t.like(fresh, { tone: 'ready', redeemable: true, code: 'ABCDEFGH' });
  const expired = describeOrderStatus(order, { printerName: null, codeExpiresAt: 1000, now: 1000 });
  t.like(expired, { tone: 'problem', headline: 'Your code has expired', redeemable: false, code: 'ABCDEFGH' });
  const waiting = describeOrderStatus(
    { ...order, state: 'awaiting_payment' },
    { printerName: null, codeExpiresAt: 1000, now: 0 },
  );
  t.like(waiting, { tone: 'waiting', code: null, action: 'pay_again' });
});

test('image filters: photographer, time window, since, and key-based paging', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, asEve } = await hostileEvent(h);
  const times: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    h.clock.advance(60_000);
    times.push(h.clock.now());
    ids.push(await upload(h, event.id, i % 2 ? asEve : asPhotographer, i + 1));
  }
  const list = (query: string) => h.http.get(`/api/events/${event.id}/images${query}`).expect(200);

  const legacy = await list('');
  t.deepEqual(
    legacy.body.images.map((i: { id: string }) => i.id),
    ids,
    'no parameters: every image, in feed order',
  );
  t.is(legacy.body.nextCursor, null);

  const byEve = await list(`?photographer=${encodeURIComponent(HOSTILE_PHOTOGRAPHER)}`);
  t.deepEqual(
    byEve.body.images.map((i: { id: string }) => i.id),
    ids.filter((_, i) => i % 2),
  );
  const window = await list(`?from=${times[2]}&to=${new Date(times[5]!).toISOString()}`);
  t.deepEqual(
    window.body.images.map((i: { id: string }) => i.id),
    ids.slice(2, 5),
    'from inclusive, to exclusive; ISO times work',
  );
  const since = await list(`?since=${times[4]}&order=oldest`);
  t.deepEqual(
    since.body.images.map((i: { id: string }) => i.id),
    ids.slice(5),
  );

  // Pages of 3, newest first, while new photos keep arriving: each old photo exactly once.
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: request.Response = await list(`?order=newest&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...page.body.images.map((i: { id: string }) => i.id));
    cursor = page.body.nextCursor;
    h.clock.advance(1000);
    await upload(h, event.id, asPhotographer, 100 + seen.length);
  } while (cursor);
  t.deepEqual(seen, [...ids].reverse());

  // The gallery page applies the same filter, and links the next page without JavaScript.
  const page = await h.http.get(`/e/${event.id}?photographer=${encodeURIComponent(HOSTILE_PHOTOGRAPHER)}&fbclid=x`);
  t.is(page.status, 200, 'unknown parameters (tracking tags on shared links) are ignored');
  const tiles = [...page.text.matchAll(/data-image="([^"]+)"/g)].map((m) => m[1]);
  t.deepEqual(tiles, ids.filter((_, i) => i % 2).reverse());
  t.regex(page.text, /<option value="&lt;img src=x onerror=alert\(1\)&gt;&quot;Eve&quot;" selected>/);
  t.true(page.text.includes('Clear filters'));
  const empty = await h.http.get(`/e/${event.id}?photographer=Nobody`).expect(200);
  t.true(empty.text.includes('No photos match these filters.'));
  t.true(empty.text.includes('<option value="Nobody" selected>Nobody</option>'));
});

test('the gallery pages its photos with a plain "More photos" link', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event } = await seedVenue(h, { images: 0, printers: 0 });
  const ids: string[] = [];
  const GALLERY_PAGE_SIZE = 48;
  for (let i = 0; i < GALLERY_PAGE_SIZE + 2; i++) {
    h.clock.advance(1000);
    ids.push(await upload(h, event.id, asPhotographer, i + 1));
  }
  const first = await h.http.get(`/e/${event.id}`).expect(200);
  t.is([...first.text.matchAll(/data-image="/g)].length, GALLERY_PAGE_SIZE);
  const more = /<a id="more" class="button" href="([^"]+)"/.exec(first.text);
  t.truthy(more);
  const second = await h.http.get(more![1]!.replaceAll('&amp;', '&')).expect(200);
  const tiles = [...second.text.matchAll(/data-image="([^"]+)"/g)].map((m) => m[1]);
  t.deepEqual(tiles, ids.slice(0, 2).reverse());
  t.false(second.text.includes('id="more"'));
});

test('bad query parameters get a 400 that names the problem', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event } = await seedVenue(h, { images: 1, printers: 0 });
  const cases: Array<[query: string, field: RegExp]> = [
    ['?from=yesterday', /from: must be a time/],
    ['?limit=0&order=newest', /limit:/],
    ['?limit=5000&order=newest', /limit:/],
    ['?limit=5', /order: paging \(limit, cursor\) needs order=newest or order=oldest/],
    ['?from=2000&to=1000', /to: must be after from/],
    ['?order=random', /order:/],
    ['?cursor=../../etc&order=newest', /cursor: must be a nextCursor value/],
    ['?colour=red', /colour|Unrecognized/i],
    ['?photographer=a&photographer=b', /photographer:/],
  ];
  for (const [query, message] of cases) {
    const res = await h.http.get(`/api/events/${event.id}/images${query}`);
    t.is(res.status, 400, query);
    t.is(res.body.error.code, 'invalid_input', query);
    t.regex(res.body.error.message, message, query);
  }
  const stream = await h.http.get(`/api/events/${event.id}/stream?from=soon`);
  t.is(stream.status, 400);
  t.regex(stream.body.error.message, /from: must be a time/);
  const page = await h.http.get(`/e/${event.id}?from=soon`);
  t.is(page.status, 400);
  t.regex(String(page.headers['content-type']), /^text\/html/);
  t.true(page.text.includes('This filter is not valid (from: must be a time'));
  t.is((await h.http.get('/api/events/nope/stream')).status, 404);
  t.is((await h.http.get('/api/orders/nope/stream')).status, 404);
});

test('live: a new photo reaches the event stream, filtered streams skip it, reconnects catch up', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, asEve } = await hostileEvent(h);
  const before = h.clock.now();
  const all = openSse(h.callback, `/api/events/${event.id}/stream?since=${before}`);
  const onlyEve = openSse(
    h.callback,
    `/api/events/${event.id}/stream?photographer=${encodeURIComponent(HOSTILE_PHOTOGRAPHER)}`,
  );
  t.teardown(() => {
    all.close();
    onlyEve.close();
  });
  const opened = await all.status;
  t.is(opened.status, 200);
  t.regex(String(opened.headers['content-type']), /^text\/event-stream/);
  t.is(opened.headers['cache-control'], 'no-store');
  await onlyEve.status;

  h.clock.advance(5_000);
  const imageId = await upload(h, event.id, asPhotographer, 42);
  const photos = await driveUntil(
    h.clock,
    all.waitFor((e) => e.event === 'photos', EVENT_WAIT_MS),
    EVENT_POLL_INTERVAL_MS,
  );
  const sent = (photos.data as { images: Array<{ id: string; thumbnailUrl: string; photographer: string }> }).images;
  t.deepEqual(
    sent.map((i) => i.id),
    [imageId],
  );
  t.is(sent[0]!.photographer, 'Pat Photographer');
  t.is(photos.id, String((await h.store.getImage(imageId))!.createdAt), 'the id lets EventSource resume');

  // Eve's photo comes next on the same stream: once it is there, Pat's (added first) would have been too.
  const eveImage = await upload(h, event.id, asEve, 43);
  await driveUntil(
    h.clock,
    onlyEve.waitFor((e) => e.event === 'photos', EVENT_WAIT_MS),
    EVENT_POLL_INTERVAL_MS,
  );
  t.deepEqual(
    onlyEve.events
      .filter((e) => e.event === 'photos')
      .flatMap((e) => (e.data as { images: Array<{ id: string }> }).images.map((i) => i.id)),
    [eveImage],
    'a stream filtered to Eve gets her photo and not the other photographer’s',
  );

  // A fan coming back (Last-Event-ID from the browser) gets what was added meanwhile, at once.
  const resumed = openSse(h.callback, `/api/events/${event.id}/stream`, { 'last-event-id': String(before) });
  t.teardown(() => resumed.close());
  const caughtUp = await resumed.waitFor((e) => e.event === 'photos', 2_000);
  t.deepEqual(
    (caughtUp.data as { images: Array<{ id: string }> }).images.map((i) => i.id).sort(),
    [imageId, eveImage].sort(),
  );
});

test('live: the order stream follows payment → printing at the named printer → printed n/m, then ends', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 1 });
  const created = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 2 }] })
    .expect(201);
  const orderId = created.body.order.id as string;
  const stream = openSse(h.callback, `/api/orders/${orderId}/stream`);
  t.teardown(() => stream.close());
  const status = (match: (s: OrderStatusView) => boolean) =>
    driveUntil(
      h.clock,
      stream.waitFor((e) => e.event === 'status' && match(e.data as OrderStatusView), ORDER_WAIT_MS),
      ORDER_POLL_INTERVAL_MS,
    ).then((e) => e.data as OrderStatusView);

  t.like(await status((s) => s.state === 'awaiting_payment'), { redeemable: false, code: null });
  await h.http.post(new URL(created.body.checkoutUrl).pathname).type('form').send({ outcome: 'pay' }).expect(302);
  const paid = await status((s) => s.state === 'paid');
  t.like(paid, { redeemable: true, headline: 'Paid: ready to print' });
  t.is(paid.code, (await h.store.getOrder(orderId))!.code);

  const token = (await h.http.get(`/api/orders/${orderId}`).expect(200)).body.redemption.token as string;
  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  t.like(await status((s) => s.state === 'redeeming'), {
    headline: 'Printing at Printer 1',
    printerName: 'Printer 1',
    printedCount: 0,
    unitCount: 2,
  });
  await printerCall(h, printers[0]!, 'post', `/api/printer/orders/${orderId}/units/0/printed`).expect(200);
  t.regex((await status((s) => s.printedCount === 1)).detail, /^Printed 1 of 2\./);
  await printerCall(h, printers[0]!, 'post', `/api/printer/orders/${orderId}/units/1/printed`).expect(200);
  t.like(await status((s) => s.state === 'fulfilled'), { headline: 'Printed 2 of 2', final: true });
  await stream.waitForEnd(2_000);
  t.pass('a finished order ends its stream');
});

test('streams: bounded in number and in time, released when the fan goes away, with heartbeats', async (t) => {
  const app = new Koa();
  app.silent = true;
  const limiter = new StreamLimiter(1);
  let closed = 0;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; code?: string };
      ctx.status = e.status ?? 500;
      ctx.body = { error: { code: e.code } };
    }
  });
  app.use((ctx) => {
    // Long defaults, so each property below is seen alone: cleanup must not wait for a failed write.
    const stream = openEventStream(ctx, limiter, systemClock, {
      heartbeatMs: ctx.path === '/ping' ? 20 : 60_000,
      maxStreamMs: ctx.path === '/short' ? 150 : 60_000,
    });
    stream.onClose(() => closed++);
    stream.send('hello', { n: 1 }, '7');
  });
  const http = request(app.callback());
  const first = openSse(app.callback(), '/');
  const hello = await first.waitFor((e) => e.event === 'hello', 2_000);
  t.deepEqual(hello, { event: 'hello', data: { n: 1 }, id: '7' });
  t.true(first.raw.startsWith(`retry: ${SSE_RETRY_MS}\n\n`), 'the browser is told when to reconnect');
  const refused = await http.get('/');
  t.is(refused.status, 503);
  t.is(refused.body.error.code, 'too_many_streams');
  first.close();
  await until(() => limiter.open === 0);
  t.is(closed, 1, 'a dropped connection frees its slot and runs its cleanup once');

  const pinged = openSse(app.callback(), '/ping');
  await pinged.waitFor((e) => e.event === 'ping', 2_000);
  pinged.close();
  await until(() => limiter.open === 0);

  const short = openSse(app.callback(), '/short');
  t.teardown(() => short.close());
  await short.waitForEnd(3_000);
  await until(() => limiter.open === 0);
  t.is(closed, 3, 'a stream ends by itself after its time limit (the browser reconnects)');
});

test('store poller: one load per key for all listeners, stops with the last one, survives failures', async (t) => {
  const clock = new ManualClock(0);
  let loads = 0;
  let fail = false;
  const poller = new StorePoller<number>({
    intervalMs: 10,
    clock,
    logger: pino({ level: 'silent' }),
    load: async (_key, previous) => {
      loads++;
      if (fail) throw new Error('store down');
      return (previous ?? 0) + 1;
    },
  });
  const got = { a: [] as number[], b: [] as number[] };
  const a = await poller.subscribe('k', (v) => got.a.push(v));
  const b = await poller.subscribe('k', (v) => got.b.push(v));
  t.is(a.baseline, 1);
  t.is(b.baseline, 1);
  t.is(poller.activeKeys, 1);
  t.is(loads, 1, 'one first load for both listeners');
  await clock.tick(9);
  t.is(loads, 1, 'nothing before the interval');
  await clock.tick(21);
  t.deepEqual(got.a, [2, 3, 4], 'each listener sees every load, in order: one a tick');
  t.deepEqual(got.b, [2, 3, 4]);
  t.is(loads, 4, 'one load per tick, shared by both listeners');

  fail = true;
  await clock.tick(30);
  t.is(loads, 7, 'failed loads are retried on the next ticks');
  t.is(got.a.length, 3, 'a failed load delivers nothing');
  fail = false;
  await clock.tick(10);
  t.deepEqual(got.a, [2, 3, 4, 5], 'polling resumes after failed loads');

  a.unsubscribe();
  t.is(poller.activeKeys, 1, 'still polled for the other listener');
  await clock.tick(10);
  t.is(loads, 9);
  t.deepEqual(got.b, [2, 3, 4, 5, 6]);
  t.is(got.a.length, 4, 'an unsubscribed listener hears nothing more');
  b.unsubscribe();
  t.is(poller.activeKeys, 0);
  t.is(clock.pendingTimers, 0, 'no tick is scheduled without listeners');
  await clock.tick(1_000);
  t.is(loads, 9, 'no polling without listeners');
  await t.throwsAsync(
    new StorePoller<number>({
      intervalMs: 10,
      clock,
      logger: pino({ level: 'silent' }),
      load: async () => {
        throw new Error('no such key');
      },
    }).subscribe('x', () => {}),
    { message: 'no such key' },
  );
});

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('assets: versioned, typed, cached, and no path escapes the asset table', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const assets = shopAssets();
  const css = assets.get('shop.css')!;
  const res = await h.http.get('/shop/assets/shop.css').expect(200);
  t.is(res.headers['content-type'], 'text/css; charset=utf-8');
  t.is(res.headers['x-content-type-options'], 'nosniff');
  t.is(res.headers['cache-control'], 'public, max-age=300');
  const versioned = await h.http.get(`/shop/assets/shop.css?v=${css.hash}`).expect(200);
  t.is(versioned.headers['cache-control'], 'public, max-age=31536000, immutable');
  await h.http.get('/shop/assets/shop.css').set('if-none-match', `"${css.hash}"`).expect(304);
  const js = await h.http.get('/shop/assets/gallery.js').expect(200);
  t.is(js.headers['content-type'], 'text/javascript; charset=utf-8');
  t.true(js.text.includes(`from './common.js?v=${assets.get('common.js')!.hash}'`), 'imports carry versions');

  for (const path of [
    '/shop/assets/..%2Froutes.ts',
    '/shop/assets/..%2F..%2F..%2Fapp.ts',
    '/shop/assets/%2e%2e%2fassets.ts',
    '/shop/assets/../routes.ts',
    '/shop/assets/..%5Croutes.ts',
    '/shop/assets/shop.css%00.js',
    '/shop/assets/.%2Fshop.css',
    '/shop/assets/%2Fetc%2Fpasswd',
  ]) {
    const r = await h.http.get(path);
    t.is(r.status, 404, path);
    t.false(String(r.text).includes('import '), `${path} serves no source`);
  }

  t.throws(() => new AssetTable(new Map([['../x.js', '']])), { message: /not allowed/ });
  t.throws(() => new AssetTable(new Map([['a.js', "import './missing.js';"]])), {
    message: /missing\.js is imported but does not exist/,
  });
  t.throws(
    () =>
      new AssetTable(
        new Map([
          ['a.js', "import { b } from './b.js';"],
          ['b.js', "import { a } from './a.js';"],
        ]),
      ),
    { message: /cycle/ },
  );
  // Pages stay light for saturated stadium networks: what each page loads, unminified.
  const bytes = (...names: string[]) => names.reduce((n, name) => n + assets.get(name)!.body.length, 0);
  for (const [page, scripts] of [
    ['gallery', ['common.js', 'gallery.js', 'cart-view.js']],
    ['order', ['common.js', 'order.js', 'orders-list.js']],
    ['home', ['common.js', 'home.js', 'orders-list.js']],
  ] as const) {
    t.true(bytes(...scripts) <= MAX_PAGE_SCRIPT_BYTES, `${page} page scripts: ${bytes(...scripts)} bytes`);
  }
  t.true(bytes('shop.css') <= MAX_STYLESHEET_BYTES, `stylesheet: ${bytes('shop.css')} bytes`);
});
