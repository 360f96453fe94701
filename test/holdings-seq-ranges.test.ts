/**
 * Have-lists as catalog seq ranges (shared/feed/seq-ranges.ts): what a printer reports, and what the
 * coordinator makes of it for a redemption's lacking flags, a fan's routing hint and the operator's
 * heat map. Id lists from older printers are covered by the tests of those features.
 */
import test from 'ava';
import type { PrinterStatusReport } from '../shared/protocol/printer-api.ts';
import { appendToFeed, asOperator, createHarness, paidOrder, printerCall, seedVenue } from './fixtures/app-harness.ts';
import { printerStatusBody } from './fixtures/printer-status.ts';

test('holdings as seq ranges: a redemption flags exactly the photos outside the ranges as lacking', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 4, printers: 1 });
  await appendToFeed(h, images);
  // Holds seqs 0, 2 and 3: image 1 is the one missing.
  await printerCall(h, printers[0]!, 'put', '/api/printer/holdings', {
    eventId: event.id,
    seqRanges: [
      [0, 1],
      [2, 4],
    ],
  }).expect(204);
  const { token } = await paidOrder(
    h,
    event.id,
    images.map((i) => ({ imageId: i.id, copies: 1 })),
  );
  const job = await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  t.deepEqual(
    job.body.units.map((u: { imageId: string; lacking: boolean }) => [u.imageId, u.lacking]),
    images.map((i, k) => [i.id, k === 1]),
  );
});

test('holdings as seq ranges: the fan is sent to the printer that holds the photos; the heat map counts them', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 3, printers: 2 });
  await appendToFeed(h, images);
  const [holder, other] = printers as [(typeof printers)[0], (typeof printers)[0]];
  await printerCall(h, holder, 'put', '/api/printer/holdings', { eventId: event.id, seqRanges: [[0, 3]] }).expect(204);
  await printerCall(h, other, 'put', '/api/printer/holdings', { eventId: event.id, seqRanges: [[0, 2]] }).expect(204);
  for (const [p, queueWorkSeconds] of [
    [holder, 120],
    [other, 0],
  ] as const) {
    await printerCall(h, p, 'put', '/api/printer/status', report(p.id, queueWorkSeconds, h.clock.now())).expect(204);
  }
  // Photo 2 (seq 2) is held by `holder` alone: it is offered although its queue is longer.
  const { orderId } = await paidOrder(h, event.id, [{ imageId: images[2]!.id, copies: 1 }]);
  const view = (await h.http.get(`/api/orders/${orderId}/routing`).expect(200)).body;
  t.deepEqual(
    view.stations.map((s: { id: string }) => s.id),
    [holder.id],
  );

  const matrix = (await h.http.get(`/api/events/${event.id}/delivery`).set(asOperator).expect(200)).body;
  const row = (id: string) => matrix.printers.find((p: { printer: { id: string } }) => p.printer.id === id);
  t.deepEqual(row(holder.id).holds, [true, true, true]);
  t.deepEqual(row(other.id).holds, [true, true, false]);
  t.is(row(other.id).heldCount, 2);
});

test('holdings: a report that is not one canonical have-list is refused with 400, naming the problem', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 1 });
  const bad: Array<[string, Record<string, unknown>]> = [
    ['both forms', { seqRanges: [[0, 1]], imageIds: [images[0]!.id] }],
    ['neither form', {}],
    ['an empty range', { seqRanges: [[3, 3]] }],
    [
      'unsorted ranges',
      {
        seqRanges: [
          [5, 6],
          [0, 1],
        ],
      },
    ],
    [
      'overlapping ranges',
      {
        seqRanges: [
          [0, 4],
          [3, 6],
        ],
      },
    ],
    [
      'touching ranges (one range)',
      {
        seqRanges: [
          [0, 2],
          [2, 4],
        ],
      },
    ],
    ['a negative seq', { seqRanges: [[-1, 2]] }],
    ['a fraction', { seqRanges: [[0, 1.5]] }],
  ];
  for (const [what, body] of bad) {
    const res = await printerCall(h, printers[0]!, 'put', '/api/printer/holdings', { eventId: event.id, ...body });
    t.is(res.status, 400, what);
    t.is(res.body.error.code, 'invalid_input', what);
  }
  await printerCall(h, printers[0]!, 'put', '/api/printer/holdings', { eventId: event.id, seqRanges: [] }).expect(204);
});

function report(id: string, queueWorkSeconds: number, at: number): PrinterStatusReport {
  return printerStatusBody({
    lanPeers: 1,
    routing: {
      id,
      name: `Printer ${id.slice(0, 4)}`,
      queueWorkSeconds,
      unitsWaiting: 0,
      secondsPerPrint: 10,
      workingPrinters: 1,
      canPrint: true,
      position: null,
      at,
    },
  });
}
