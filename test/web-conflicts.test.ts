import { join } from 'node:path';
import test from 'ava';
import { CONFLICTS_PAGE, conflictAlerts, MAX_CONFLICT_ALERTS } from '../coordinator/services/alerts.ts';
import { type ConflictView, joinNames } from '../coordinator/services/conflict-views.ts';
import type { ConflictRecord } from '../coordinator/store/offline-records.ts';
import { SqliteStore } from '../coordinator/store/sqlite-store.ts';
import {
  asOperator,
  asPhotographer,
  createHarness,
  type Harness,
  OPERATOR_TOKEN,
  PHOTOGRAPHER_TOKEN,
  paidOrder,
  printerCall,
  seedVenue,
} from './fixtures/app-harness.ts';
import { driveUntil } from './fixtures/drive-clock.ts';
import { openSse, type SseEvent } from './fixtures/sse-client.ts';
import { SAME_ORIGIN, signIn } from './fixtures/staff-session.ts';

const STREAM_WAIT_MS = 5_000;
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

async function harness(t: { teardown(fn: () => Promise<void>): void }): Promise<Harness> {
  const h = await createHarness();
  t.teardown(() => h.close());
  return h;
}

function conflict(over: Partial<ConflictRecord> = {}): ConflictRecord {
  return {
    id: 'double_print:o1:pB',
    kind: 'double_print',
    venueId: 'v1',
    orderId: 'o1',
    printerId: 'pB',
    otherPrinterIds: ['pA'],
    units: [0, 1],
    detail: 'Printed offline at this printer and also counted for another printer: the order was printed twice.',
    detectedAt: Date.UTC(2026, 5, 1, 12),
    ...over,
  };
}

function view(over: Partial<ConflictView> = {}): ConflictView {
  return {
    conflict: conflict(),
    orderCode: 'K7Q2ABCD',
    printerName: 'Printer B',
    otherPrinterNames: ['Printer A'],
    ...over,
  };
}

interface StreamData {
  alerts: Array<{ id: string; kind: string; message: string }>;
  html: { alerts: string };
}

const conflictAlertsOf = (e: SseEvent) => (e.data as StreamData).alerts.filter((a) => a.kind === 'conflict');

test('conflict alerts: one sentence per kind naming the order and printers, then a pointer when there are more', (t) => {
  t.is(joinNames(['A']), 'A');
  t.is(joinNames(['A', 'B', 'C']), 'A, B and C');
  const [twice] = conflictAlerts([view()], false);
  t.like(twice, { id: 'conflict:double_print:o1:pB', kind: 'conflict', severity: 'warning', href: CONFLICTS_PAGE });
  t.is(
    twice!.message,
    'Order K7Q2ABCD was printed twice while offline: at Printer A and Printer B — refund or contact the fan.',
  );
  const lone = conflictAlerts([view({ otherPrinterNames: [] })], false)[0]!;
  t.regex(lone.message, /at Printer B and another printer/);
  const refused = conflictAlerts([view({ conflict: conflict({ kind: 'not_redeemable' }) })], false)[0]!;
  t.regex(refused.message, /^Order K7Q2ABCD was printed offline at Printer B although it could not be redeemed/);
  const unknown = conflictAlerts([view({ orderCode: null, conflict: conflict({ kind: 'unknown_order' }) })], false)[0]!;
  t.regex(unknown.message, /^Printer B printed an order offline that its venue does not know \(id o1\)/);

  const many = Array.from({ length: MAX_CONFLICT_ALERTS + 1 }, (_, i) => view({ conflict: conflict({ id: `c${i}` }) }));
  const shown = conflictAlerts(many, true);
  t.is(shown.length, MAX_CONFLICT_ALERTS + 1, 'at most MAX_CONFLICT_ALERTS, plus one pointer');
  t.like(shown.at(-1), { id: 'conflict:more', printerId: null, href: CONFLICTS_PAGE });
  t.is(conflictAlerts(many.slice(0, 2), false).length, 2);
});

/** A venue where Printer 1 printed an order online and Printer 2 printed it again offline, and one more offline order. */
async function doublePrintedVenue(h: Harness) {
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 2 });
  const [p1, p2] = [printers[0]!, printers[1]!];
  const twice = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 2 }]);
  await printerCall(h, p1, 'post', '/api/printer/redeem', { token: twice.token }).expect(200);
  for (const unit of [0, 1]) {
    await printerCall(h, p1, 'post', `/api/printer/orders/${twice.orderId}/units/${unit}/printed`).expect(200);
  }
  const once = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  const claimedAt = h.clock.now();
  const report = await printerCall(h, p2, 'post', '/api/printer/offline-redemptions', {
    orders: [
      { orderId: twice.orderId, claimedAt, mode: 'offline', units: [0, 1] },
      { orderId: once.orderId, claimedAt, mode: 'offline', units: [0] },
    ],
  }).expect(200);
  const outcomes = report.body.results.map((r: { outcome: string }) => r.outcome);
  if (outcomes.join() !== 'conflict,applied') throw new Error(`unexpected reconciliation: ${outcomes}`);
  const [recorded] = await h.store.listConflicts({}, 10);
  return { p1, p2, twice, once, conflict: recorded! };
}

test('a reconciled double print is an alert on the dashboard (page, snapshot, stream) until acknowledged', async (t) => {
  const h = await harness(t);
  const { twice, conflict: recorded } = await doublePrintedVenue(h);
  const code = twice.order.code as string;
  const expected = `Order ${code} was printed twice while offline: at Printer 1 and Printer 2 — refund or contact the fan.`;

  const snapshot = await h.http.get('/api/ops/snapshot').set(asOperator).expect(200);
  t.deepEqual(
    snapshot.body.alerts
      .filter((a: { kind: string }) => a.kind === 'conflict')
      .map((a: { message: string }) => a.message),
    [expected],
  );
  const { cookie } = await signIn(h, OPERATOR_TOKEN, 'Olga');
  const dashboard = await h.http.get('/ops').set('cookie', cookie).expect(200);
  t.true(
    dashboard.text.includes(`${expected} <a href="/ops/conflicts">Review</a>`),
    'rendered with a link to act on it',
  );

  const stream = openSse(h.callback, '/api/ops/stream', { cookie });
  t.teardown(() => stream.close());
  const first = await stream.waitFor((e) => e.event === 'snapshot', STREAM_WAIT_MS);
  t.deepEqual(
    conflictAlertsOf(first).map((a) => a.id),
    [`conflict:${recorded.id}`],
  );
  t.true((first.data as StreamData).html.alerts.includes(expected));

  await h.http
    .post(`/api/conflicts/${encodeURIComponent(recorded.id)}/acknowledge`)
    .set('cookie', cookie)
    .set(SAME_ORIGIN)
    .expect(200);
  const cleared = await driveUntil(
    h.clock,
    stream.waitFor((e) => e.event === 'update' && conflictAlertsOf(e).length === 0, STREAM_WAIT_MS),
    h.deps.settings.ops.streamPollMs,
  );
  t.notRegex((cleared.data as StreamData).html.alerts, /printed twice/);
  const after = await h.http.get('/api/ops/snapshot').set(asOperator).expect(200);
  t.false(after.body.alerts.some((a: { kind: string }) => a.kind === 'conflict'));
});

test('a conflict recorded while the dashboard is open reaches it live, with names escaped', async (t) => {
  const h = await harness(t);
  const { venue } = await seedVenue(h, { images: 0, printers: 1 });
  const hostile = 'ab'.repeat(32);
  await h.http
    .post(`/api/venues/${venue.id}/printers`)
    .set(asOperator)
    .send({ publicKey: hostile, name: HOSTILE_NAME })
    .expect(201);
  const { cookie } = await signIn(h, OPERATOR_TOKEN);
  const stream = openSse(h.callback, '/api/ops/stream', { cookie });
  t.teardown(() => stream.close());
  const first = await stream.waitFor((e) => e.event === 'snapshot', STREAM_WAIT_MS);
  t.deepEqual(conflictAlertsOf(first), []);

  await h.store.insertConflict(
    conflict({ id: 'unknown_order:o9:x', kind: 'unknown_order', venueId: venue.id, orderId: 'o9', printerId: hostile }),
  );
  const update = await driveUntil(
    h.clock,
    stream.waitFor((e) => e.event === 'update' && conflictAlertsOf(e).length > 0, STREAM_WAIT_MS),
    h.deps.settings.ops.streamPollMs,
  );
  const html = (update.data as StreamData).html.alerts;
  t.false(html.includes(HOSTILE_NAME), 'the printer name is escaped');
  t.true(html.includes('&lt;img src=x onerror=alert(1)&gt; printed an order offline that its venue does not know'));

  const page = await h.http.get('/ops/conflicts').set('cookie', cookie).expect(200);
  t.false(page.text.includes(HOSTILE_NAME));
  t.true(page.text.includes('&lt;img src=x onerror=alert(1)&gt;'));
  t.regex(page.text, /Unknown order/);
  t.regex(page.text, /<code class="small key muted" title="No order with this id here">o9<\/code>/);
});

test('conflicts page: reconciled count, each conflict with its printers and prints, acknowledged ones stay listed', async (t) => {
  const h = await harness(t);
  const { twice, conflict: recorded } = await doublePrintedVenue(h);
  const { cookie } = await signIn(h, OPERATOR_TOKEN, '"Olga"');
  const page = await h.http.get('/ops/conflicts').set('cookie', cookie).expect(200);
  t.regex(String(page.headers['content-security-policy']), /script-src 'self';/);
  t.is(page.headers['cache-control'], 'no-store');
  t.regex(page.text, /<a href="\/ops\/conflicts" aria-current="page">Conflicts<\/a>/);
  t.regex(page.text, /<strong>2 orders were printed offline and reconciled\.<\/strong>/);
  t.regex(page.text, /From 2 printer reports/);
  t.regex(page.text, /1 needs attention/);
  t.regex(page.text, new RegExp(`<code>${twice.order.code}</code>`));
  t.regex(
    page.text,
    /Printer 2<span class="small block">printed it offline<\/span><span class="small block">counted for Printer 1<\/span>/,
  );
  t.regex(page.text, /Printed twice/);
  t.regex(page.text, /2 prints<br><span class="small">#1, #2<\/span>/);
  t.regex(page.text, new RegExp(`data-acknowledge-conflict="${recorded.id}"`));
  t.notRegex(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');

  h.clock.advance(60_000);
  const acked = await h.http
    .post(`/api/conflicts/${encodeURIComponent(recorded.id)}/acknowledge`)
    .set('cookie', cookie)
    .set(SAME_ORIGIN)
    .expect(200);
  const who = { at: h.clock.now(), byName: '"Olga" (Olga Operator)' };
  t.like(acked.body.conflict.acknowledged, who);
  t.regex(acked.body.conflict.acknowledged.byCredentialId, /^[0-9a-f]{24}$/);
  h.clock.advance(1_000);
  const again = await h.http.post(`/api/conflicts/${encodeURIComponent(recorded.id)}/acknowledge`).set(asOperator);
  t.is(again.status, 200, 'acknowledging twice is harmless');
  t.like(again.body.conflict.acknowledged, who, 'the first acknowledgement stands');

  const listed = await h.http.get('/ops/conflicts').set('cookie', cookie).expect(200);
  t.regex(listed.text, /<tr class="acknowledged">/);
  t.regex(listed.text, /Acknowledged<\/span><br><span class="small">by &quot;Olga&quot; \(Olga Operator\), <time/);
  t.regex(listed.text, /0 need attention/);
  t.notRegex(listed.text, /data-acknowledge-conflict=/);
  const api = await h.http.get('/api/conflicts').set(asOperator).expect(200);
  t.like(api.body.conflicts[0], { id: recorded.id, acknowledged: who });
  const missing = await h.http.post('/api/conflicts/nope/acknowledge').set(asOperator);
  t.is(missing.status, 404);
  t.is(missing.body.error.code, 'conflict_not_found');
});

test('fans and photographers can neither see nor acknowledge conflicts; cross-site cookie writes are refused', async (t) => {
  const h = await harness(t);
  await h.store.insertConflict(conflict());
  const path = `/api/conflicts/${encodeURIComponent(conflict().id)}/acknowledge`;
  const photographer = await signIn(h, PHOTOGRAPHER_TOKEN);
  const operator = await signIn(h, OPERATOR_TOKEN);

  t.is((await h.http.post(path)).status, 401, 'a fan with nothing');
  t.is((await h.http.post(path).set('cookie', 'vpm_session=forged; theme=dark').set(SAME_ORIGIN)).status, 401);
  t.is((await h.http.post(path).set(asPhotographer)).status, 403);
  t.is((await h.http.post(path).set('cookie', photographer.cookie).set(SAME_ORIGIN)).status, 403);
  t.is((await h.http.get('/api/conflicts').set(asPhotographer)).status, 403);

  const anonymousPage = await h.http.get('/ops/conflicts');
  t.is(anonymousPage.status, 302);
  t.is(anonymousPage.headers.location, '/signin?next=%2Fops%2Fconflicts');
  const photographerPage = await h.http.get('/ops/conflicts').set('cookie', photographer.cookie);
  t.is(photographerPage.status, 403);
  t.false(photographerPage.text.includes('printed twice'));

  for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, {}]) {
    const res = await h.http.post(path).set('cookie', operator.cookie).set(headers);
    t.is(res.status, 403, JSON.stringify(headers));
    t.is(res.body.error.code, 'cross_site_refused', JSON.stringify(headers));
  }
  t.is((await h.store.listConflicts({ acknowledged: false }, 10)).length, 1, 'every refusal changed nothing');
  await h.http.post(path).set('cookie', operator.cookie).set(SAME_ORIGIN).expect(200);
  t.deepEqual(await h.store.listConflicts({ acknowledged: false }, 10), []);
});

test('a dashboard poll on a store that is not open fails as one rejection, not as stray ones', async (t) => {
  // The dashboard reads conflicts next to printers in one Promise.all: a synchronous throw there
  // would leave the reads already started unhandled, which ends a Node process.
  const store = new SqliteStore({ path: join('/nonexistent', 'never-opened.sqlite') });
  let pending: Promise<unknown> | undefined;
  t.notThrows(() => {
    pending = store.listConflicts({ acknowledged: false }, 1);
  });
  await t.throwsAsync(pending!, { message: /not open/ });
  await t.throwsAsync(store.acknowledgeConflict('c', { at: 0, byCredentialId: 'x', byName: 'x' }), {
    message: /not open/,
  });
});
