import test from 'ava';
import { ROUTING_REPORT_FRESH_MS, ROUTING_SNAPSHOT_MS } from '../coordinator/services/order-routing.ts';
import { PRERENDER_STATIONS_PER_ORDER, PreRenderAssignment } from '../shared/policy/prerender-stations.ts';
import type { PrinterStatusReport } from '../shared/protocol/printer-api.ts';
import type { StationQueueReport } from '../shared/protocol/station-queue.ts';
import { createHarness, paidOrder, printerCall, seedVenue } from './fixtures/app-harness.ts';
import { stationQueue } from './fixtures/station-queues.ts';

function report(queue: StationQueueReport): PrinterStatusReport {
  return {
    version: '0.1.0',
    uptimeMs: 1,
    events: [],
    bytesFromLan: 0,
    bytesFromCloud: 0,
    bytesToLan: 0,
    lanPeers: 1,
    cloudConnected: true,
    queue: 0,
    printer: { state: 'ready', detail: '' },
    lastError: null,
    routing: queue,
  };
}

test('order routing: the shortest queue among the printers holding the photos; stale and down printers are left out', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 2, printers: 3 });
  const [p1, p2, p3] = printers as [(typeof printers)[0], (typeof printers)[0], (typeof printers)[0]];
  const { orderId } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 2 }]);
  const queue = (p: typeof p1, over: Partial<StationQueueReport>) => stationQueue(p.id, { at: h.clock.now(), ...over });
  const hold = (p: typeof p1, ids: string[]) =>
    printerCall(h, p, 'put', '/api/printer/holdings', { eventId: event.id, imageIds: ids }).expect(204);
  await hold(p1, [images[0]!.id]);
  await hold(p2, [images[0]!.id, images[1]!.id]);
  await hold(p3, [images[1]!.id]);
  await printerCall(h, p1, 'put', '/api/printer/status', report(queue(p1, { queueWorkSeconds: 300 }))).expect(204);
  await printerCall(h, p2, 'put', '/api/printer/status', report(queue(p2, { queueWorkSeconds: 20 }))).expect(204);
  // p3 is idle but does not hold the photo.
  await printerCall(h, p3, 'put', '/api/printer/status', report(queue(p3, {}))).expect(204);

  const view = (await h.http.get(`/api/orders/${orderId}/routing`).expect(200)).body;
  t.true(view.active);
  t.deepEqual(
    view.stations.map((s: { id: string; etaSeconds: number }) => [s.id, s.etaSeconds]),
    [
      [p2.id, 20 + 2 * 10],
      [p1.id, 300 + 2 * 10],
    ],
  );
  t.is(view.text, `Go to Printer ${p2.id.slice(0, 4)} (about 40 s)`);

  // p2 goes down: p1 is the only holder left.
  await printerCall(
    h,
    p2,
    'put',
    '/api/printer/status',
    report(queue(p2, { canPrint: false, workingPrinters: 0 })),
  ).expect(204);
  // Reports are read at most every ROUTING_SNAPSHOT_MS per event.
  h.clock.advance(ROUTING_SNAPSHOT_MS + 1);
  const down = (await h.http.get(`/api/orders/${orderId}/routing`).expect(200)).body;
  t.deepEqual(
    down.stations.map((s: { id: string }) => s.id),
    [p1.id],
  );
  // Reports older than the freshness limit are not offered at all.
  h.clock.advance(ROUTING_REPORT_FRESH_MS + 1);
  const stale = (await h.http.get(`/api/orders/${orderId}/routing`).expect(200)).body;
  t.deepEqual(stale.stations, []);
  t.is(stale.text, null);
  await h.http.get('/api/orders/nope/routing').expect(404);
});

test('at a venue of many printers, of equally idle ones the page sends the fan to one that renders the order ahead', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const count = PRERENDER_STATIONS_PER_ORDER + 4;
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: count });
  const { orderId } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  // The edge nodes' own answer: the venue's paired printers, each order at PRERENDER_STATIONS_PER_ORDER.
  const renderers = new PreRenderAssignment(printers.map((p) => p.id)).renderersOf(orderId);
  t.is(renderers.size, PRERENDER_STATIONS_PER_ORDER);
  for (const p of printers) {
    await printerCall(h, p, 'put', '/api/printer/holdings', { eventId: event.id, imageIds: [images[0]!.id] }).expect(
      204,
    );
    const queue = stationQueue(p.id, {
      at: h.clock.now(),
      // Names put the printers that do not render this order first: by name alone they would be offered.
      name: `${renderers.has(p.id) ? 'Rendering' : 'Idle'} ${p.id.slice(0, 8)}`,
    });
    await printerCall(h, p, 'put', '/api/printer/status', report(queue)).expect(204);
  }
  const view = (await h.http.get(`/api/orders/${orderId}/routing`).expect(200)).body;
  const offered: string[] = view.stations.map((s: { id: string }) => s.id);
  t.is(offered.length, 3);
  for (const id of offered) t.true(renderers.has(id), `${id} renders the order ahead`);
  t.regex(view.text, /^Go to Rendering /);
});

test('a renewal in the same millisecond as the claim does not queue the order for the feed again', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 1 });
  const { token } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  const queued = async () => (await h.store.listQueuedOrders(event.venueId, 10)).map((e) => e.token);
  const afterPaid = await queued();
  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  const afterClaim = await queued();
  t.notDeepEqual(afterClaim, afterPaid, 'the claim is queued for the orders feed');
  // The harness clock is frozen: this renewal happens in the claim's millisecond.
  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  t.deepEqual(await queued(), afterClaim, 'a renewal changes nothing on the feed');
});
