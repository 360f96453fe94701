import test from 'ava';
import type { z } from 'zod';
import {
  confirmPrintedAnswerSchema,
  errorBodySchema,
  holdingsReportSchema,
  offlineReportAnswerSchema,
  offlineReportSchema,
  PRINTER_API,
  printerProfileSchema,
  printerStatusReportSchema,
  redeemJobSchema,
  redeemRequestSchema,
} from '../shared/protocol/printer-api.ts';
import { createHarness, paidOrder, printerCall, seedVenue } from './fixtures/app-harness.ts';
import { printerStatusBody } from './fixtures/printer-status.ts';

/** The answer parses with its schema; on failure the message names the fields. */
function conforms(t: { true(v: boolean, m?: string): void }, schema: z.ZodType, body: unknown, route: string): void {
  const parsed = schema.safeParse(body);
  t.true(
    parsed.success,
    parsed.success
      ? route
      : `${route}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
}

/**
 * The printer API's one definition (shared/protocol/printer-api.ts) against the coordinator: every
 * route's answer parses with its schema, and every request this test sends passes the request schema
 * the coordinator validates with, so the edge node and the coordinator cannot drift apart silently.
 */
test('printer API: every /api/printer route answers what shared/protocol/printer-api.ts defines', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 2, printers: 2 });
  const [p1, p2] = printers;
  const covered = new Set<string>();

  const me = await printerCall(h, p1!, 'get', PRINTER_API.me.path).expect(200);
  conforms(t, printerProfileSchema, me.body, 'GET /api/printer/me');
  t.true(me.body.feeds.length > 0 && me.body.peers.printers.length > 0, 'the profile lists feeds and peers');
  covered.add('me');

  // What edge nodes send (seq ranges), and what printers older than ranges still send (image ids).
  for (const holdings of [
    { eventId: event.id, seqRanges: [[0, 1]] },
    { eventId: event.id, imageIds: [images[0]!.id] },
  ]) {
    t.true(holdingsReportSchema.safeParse(holdings).success);
    await printerCall(h, p1!, 'put', PRINTER_API.holdings.path, holdings).expect(204);
  }
  covered.add('holdings');

  const status = printerStatusBody({ jobLogDamagedLines: 2, dht: { host: '127.0.0.1', port: 4000 } });
  t.true(printerStatusReportSchema.safeParse(status).success);
  await printerCall(h, p1!, 'put', PRINTER_API.status.path, status).expect(204);
  covered.add('status');

  const { token, orderId, order } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 2 }]);
  t.true(redeemRequestSchema.safeParse({ token }).success);
  const job = await printerCall(h, p1!, 'post', PRINTER_API.redeem.path, { token }).expect(200);
  conforms(t, redeemJobSchema, job.body, 'POST /api/printer/redeem (token)');
  const byCode = await printerCall(h, p1!, 'post', PRINTER_API.redeem.path, { code: order.code }).expect(200);
  conforms(t, redeemJobSchema, byCode.body, 'POST /api/printer/redeem (typed code)');
  covered.add('redeem');

  const confirmed = await printerCall(h, p1!, 'post', `/api/printer/orders/${orderId}/units/0/printed`).expect(200);
  conforms(t, confirmPrintedAnswerSchema, confirmed.body, 'POST /api/printer/orders/:orderId/units/:unit/printed');
  covered.add('confirmPrinted');

  // Printed at a second printer with no cloud: reported when the uplink returns (a double print here).
  const report = { orders: [{ orderId, claimedAt: h.clock.now(), mode: 'offline' as const, units: [1] }] };
  t.true(offlineReportSchema.safeParse(report).success);
  const offline = await printerCall(h, p2!, 'post', PRINTER_API.offlineRedemptions.path, report).expect(200);
  conforms(t, offlineReportAnswerSchema, offline.body, 'POST /api/printer/offline-redemptions');
  t.is(offline.body.results.length, 1);
  covered.add('offlineRedemptions');

  // A refusal is an error body with a registry code.
  const refused = await printerCall(h, p2!, 'post', PRINTER_API.redeem.path, { token });
  t.true(refused.status >= 400);
  conforms(t, errorBodySchema, refused.body, 'a refused redemption');

  t.deepEqual([...covered].sort(), Object.keys(PRINTER_API).sort(), 'every route of PRINTER_API is exercised');
});
